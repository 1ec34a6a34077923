from datetime import datetime

from sqlmodel import Field, SQLModel

from server.db import UTCDateTime, utcnow


class PrintedCard(SQLModel, table=True):
    """A printed card: its code lives long, so it can be revoked by serial."""

    id: int | None = Field(default=None, primary_key=True)
    volunteer_id: int = Field(foreign_key="volunteer.id", index=True)
    issued_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_reason: str = Field(default="", max_length=200)


class Certification(SQLModel, table=True):
    """A star level certified by the civilisation office or the federation."""

    id: int | None = Field(default=None, primary_key=True)
    volunteer_id: int = Field(foreign_key="volunteer.id", index=True)
    level: int
    certified_by: int = Field(foreign_key="account.id")
    certified_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
