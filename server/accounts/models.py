from datetime import datetime
from enum import StrEnum

from sqlmodel import Field, SQLModel

from server.db import UTCDateTime, utcnow


class Role(StrEnum):
    volunteer = "volunteer"
    head = "head"
    deputy = "deputy"
    organiser = "organiser"
    publicist = "publicist"
    captain = "captain"
    office_admin = "office_admin"
    federation_admin = "federation_admin"
    partner = "partner"


STATION_STAFF = frozenset({Role.head, Role.deputy, Role.organiser, Role.publicist})


class User(SQLModel, table=True):
    """Someone who logs in. What they may see follows from role and scope fields."""

    __tablename__ = "account"

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=64, unique=True)
    password_hash: str = Field(max_length=200)
    display_name: str = Field(max_length=64)
    role: str = Field(max_length=20, index=True)
    station_id: int | None = Field(default=None, foreign_key="station.id", index=True)
    partner_id: int | None = Field(default=None, foreign_key="partner.id", index=True)
    volunteer_id: int | None = Field(
        default=None, foreign_key="volunteer.id", unique=True
    )
    division_code: str | None = Field(
        default=None, foreign_key="division.code", max_length=12
    )
    is_active: bool = Field(default=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
