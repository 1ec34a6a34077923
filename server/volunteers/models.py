from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import LargeBinary, UniqueConstraint
from sqlmodel import Field, SQLModel

from server.db import UTCDateTime, utcnow


class RegistrationStatus(StrEnum):
    pending = "pending"
    approved = "approved"
    rejected = "rejected"


class IdType(StrEnum):
    resident = "resident"  # 居民身份证, 18 or 15 digits
    foreigner = "foreigner"  # 外国人永久居留身份证
    other = "other"  # 港澳台居民居住证、护照等


class Volunteer(SQLModel, table=True):
    """A person who registered to volunteer; approved ones carry a volunteer number.

    The ID number is stored normalised so duplicates can be found; it never leaves
    the station's pages (the volunteer number identifies a volunteer elsewhere).
    """

    __table_args__ = (UniqueConstraint("id_type", "id_number"),)

    id: int | None = Field(default=None, primary_key=True)
    volunteer_no: str | None = Field(default=None, max_length=20, unique=True)
    status: str = Field(default=RegistrationStatus.pending, max_length=10, index=True)
    station_id: int = Field(foreign_key="station.id", index=True)
    name: str = Field(max_length=100)
    sex: str = Field(max_length=6)  # male, female
    birth_date: date
    id_type: str = Field(max_length=10)
    id_number: str = Field(max_length=32)
    mobile: str = Field(max_length=20, index=True)
    employer: str = Field(default="", max_length=100)
    skills: str = Field(default="", max_length=300)
    intentions: str = Field(default="", max_length=300)
    availability: str = Field(default="", max_length=200)
    emergency_name: str = Field(max_length=100)
    emergency_mobile: str = Field(max_length=20)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    # When the person ticked the consent box on the registration form; None for
    # people registered another way (a spreadsheet, the demo) until they consent.
    consented_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    decided_by: int | None = Field(default=None)
    rejection_reason: str = Field(default="", max_length=200)


class VolunteerPhoto(SQLModel, table=True):
    """The card photo, kept apart so that lists of volunteers never load images."""

    volunteer_id: int = Field(foreign_key="volunteer.id", primary_key=True)
    content_type: str = Field(max_length=40)
    data: bytes = Field(sa_type=LargeBinary)
