from datetime import datetime

from sqlalchemy import Index, LargeBinary
from sqlmodel import Field, SQLModel

from server.db import UTCDateTime, utcnow


class Visit(SQLModel, table=True):
    """A home visit. Its id is made on the phone, so retries cannot create two.

    `last_record_id` names the sync record whose change the row now shows (None
    after a change made on the server): a phone's edit must follow that change.
    """

    __table_args__ = (Index("ix_visit_station_started", "station_id", "started_at"),)

    id: str = Field(primary_key=True, max_length=36)
    station_id: int = Field(foreign_key="station.id")
    team_id: int = Field(foreign_key="team.id", index=True)
    recipient_id: int = Field(foreign_key="recipient.id", index=True)
    started_at: datetime = Field(sa_type=UTCDateTime)
    ended_at: datetime = Field(sa_type=UTCDateTime)
    service_type: str = Field(max_length=24)
    notes: str = Field(default="", max_length=2000)
    recorded_by: int = Field(foreign_key="account.id")
    # The phone clock's measured error, already added to the times above.
    clock_offset_seconds: int = Field(default=0)
    version: int = Field(default=1)
    last_record_id: str | None = Field(default=None, max_length=36)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    deleted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    deleted_by: int | None = Field(default=None, foreign_key="account.id")


class VisitVolunteer(SQLModel, table=True):
    """A volunteer present at a visit; each is credited the visit's time."""

    visit_id: str = Field(foreign_key="visit.id", primary_key=True, max_length=36)
    volunteer_id: int = Field(foreign_key="volunteer.id", primary_key=True, index=True)


class VisitPhoto(SQLModel, table=True):
    """The visit's one photo, apart from the visit so that lists never load it."""

    visit_id: str = Field(foreign_key="visit.id", primary_key=True, max_length=36)
    content_type: str = Field(max_length=40)
    size: int
    data: bytes = Field(sa_type=LargeBinary)
