from datetime import datetime
from enum import StrEnum

from sqlalchemy import Index, Text
from sqlmodel import Field, SQLModel

from server.db import UTCDateTime, utcnow


class Device(SQLModel, table=True):
    """One phone for one login: its id is made on the phone after each login."""

    id: str = Field(primary_key=True, max_length=36)
    user_id: int = Field(foreign_key="account.id", index=True)
    station_id: int | None = Field(default=None, foreign_key="station.id", index=True)
    first_seen_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_seen_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_offset_seconds: int = Field(default=0)


class RecordStatus(StrEnum):
    held = "held"
    accepted = "accepted"
    refused = "refused"
    conflict = "conflict"


class SyncRecord(SQLModel, table=True):
    """A record a phone sent, stored under the id the phone made, with its answer.

    The primary key is what makes sync idempotent: a second copy of a record,
    however it arrives, fails to insert and gets this row's answer instead.
    `payload` is the record as the phone sent it (phone times, before correction);
    a photo's bytes are replaced by their size and digest once the record is final.
    """

    __table_args__ = (Index("ix_syncrecord_device_seq", "device_id", "seq"),)

    id: str = Field(primary_key=True, max_length=36)
    device_id: str = Field(foreign_key="device.id", max_length=36)
    user_id: int = Field(foreign_key="account.id")
    seq: int
    kind: str = Field(max_length=10)
    op: str = Field(max_length=10)
    made_at: datetime = Field(sa_type=UTCDateTime)
    clock_offset_seconds: int = Field(default=0)
    payload: str = Field(sa_type=Text)
    base_id: str | None = Field(default=None, max_length=36)
    # The visit id, or the check-in's id, this record changed.
    target: str = Field(default="", max_length=36)
    station_id: int | None = Field(default=None, foreign_key="station.id")
    status: str = Field(max_length=10)
    reason: str = Field(default="", max_length=40)
    message: str = Field(default="", max_length=300)
    waits_for: str | None = Field(default=None, max_length=36, index=True)
    received_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class FlagKind(StrEnum):
    overlap = "overlap"  # the same volunteer's time recorded twice; counted once
    clock = "clock"  # a phone's clock was far off; its times were corrected
    conflict = "conflict"  # a late edit that could not be applied; kept for review


class SyncFlag(SQLModel, table=True):
    """Something sync did that a person at the station should look at."""

    __table_args__ = (Index("ix_syncflag_station_created", "station_id", "created_at"),)

    id: int | None = Field(default=None, primary_key=True)
    # One flag per thing flagged, however often sync meets it again.
    key: str = Field(max_length=120, unique=True)
    kind: str = Field(max_length=10)
    station_id: int | None = Field(default=None, foreign_key="station.id")
    device_id: str | None = Field(default=None, foreign_key="device.id", max_length=36)
    record_id: str | None = Field(default=None, max_length=36)
    volunteer_id: int | None = Field(default=None, foreign_key="volunteer.id")
    reason: str = Field(default="", max_length=40)
    offset_seconds: int | None = Field(default=None)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    resolved_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    resolved_by: int | None = Field(default=None, foreign_key="account.id")


class SyncCredit(SQLModel, table=True):
    """Which ledger entries sync wrote for which visit or activity.

    Only these are ever withdrawn when a visit changes or a late check-in splits a
    pair: entries written by other features are never touched by sync.
    """

    __table_args__ = (
        Index("ix_synccredit_origin_volunteer", "origin", "volunteer_id"),
    )

    entry_id: int = Field(foreign_key="ledgerentry.id", primary_key=True)
    origin: str = Field(max_length=48)  # "visit:<uuid>" or "activity:<id>"
    volunteer_id: int = Field(foreign_key="volunteer.id")
