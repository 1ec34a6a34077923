from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from server.db import UTCDateTime, utcnow


class HourSource(StrEnum):
    scan = "scan"  # check-in and check-out at an activity
    visit = "visit"  # a home visit logged by a captain
    backfill = "backfill"  # 补录, submitted with evidence and approved


class LedgerEntry(SQLModel, table=True):
    """Minutes credited to one volunteer on one local day. Never updated or deleted:
    a correction is a new entry with negative minutes that names the one it reverses.
    """

    __table_args__ = (
        Index("ix_ledger_volunteer_year", "volunteer_id", "service_year"),
        # What a volunteer has credited overlapping a new stretch (record_service):
        # new time mostly comes after the old, so few entries end after it starts.
        Index("ix_ledger_volunteer_end", "volunteer_id", "ended_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    volunteer_id: int = Field(foreign_key="volunteer.id")
    station_id: int = Field(foreign_key="station.id", index=True)
    activity_id: int | None = Field(default=None, foreign_key="activity.id", index=True)
    source: str = Field(max_length=10)
    service_date: date
    service_year: int
    minutes: int
    started_at: datetime = Field(sa_type=UTCDateTime)
    ended_at: datetime = Field(sa_type=UTCDateTime)
    content: str = Field(default="", max_length=300)
    needs_review: bool = Field(default=False)
    note: str = Field(default="", max_length=300)
    reverses_id: int | None = Field(
        default=None, foreign_key="ledgerentry.id", index=True
    )
    recorded_by: int | None = Field(default=None, foreign_key="account.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ReviewDecision(StrEnum):
    confirmed = "confirmed"
    rejected = "rejected"


class LedgerReview(SQLModel, table=True):
    """A leader's decision on an entry. Only confirmed entries count for anything."""

    entry_id: int = Field(foreign_key="ledgerentry.id", primary_key=True)
    decision: str = Field(max_length=10, index=True)
    reviewed_by: int = Field(foreign_key="account.id")
    reviewed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    reason: str = Field(default="", max_length=300)
