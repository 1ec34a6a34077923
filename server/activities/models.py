from datetime import datetime
from enum import StrEnum

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from server.db import UTCDateTime, utcnow


class ProjectMode(StrEnum):
    one_to_one = "one_to_one"
    many_to_one = "many_to_one"
    themed = "themed"


class ServiceType(StrEnum):
    housekeeping = "housekeeping"
    legal_aid = "legal_aid"
    health_care = "health_care"
    companionship = "companionship"
    drug_aids_prevention = "drug_aids_prevention"
    first_aid = "first_aid"
    road_safety = "road_safety"
    environment = "environment"


class Project(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    station_id: int = Field(foreign_key="station.id", index=True)
    name: str = Field(max_length=100)
    mode: str = Field(max_length=12)
    service_type: str = Field(max_length=24)
    description: str = Field(default="", max_length=2000)


class Team(SQLModel, table=True):
    """The service team of one project, led by a captain."""

    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="project.id", unique=True)
    name: str = Field(max_length=100)
    captain_user_id: int | None = Field(
        default=None, foreign_key="account.id", index=True
    )


class Activity(SQLModel, table=True):
    """One dated occurrence of a project, with a place and a time window."""

    __table_args__ = (Index("ix_activity_station_starts", "station_id", "starts_at"),)

    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="project.id", index=True)
    station_id: int = Field(foreign_key="station.id")
    title: str = Field(max_length=100)
    place: str = Field(max_length=200)
    starts_at: datetime = Field(sa_type=UTCDateTime)
    # Indexed for closing forgotten check-outs of recently ended activities.
    ends_at: datetime = Field(sa_type=UTCDateTime, index=True)
    capacity: int = Field(default=20)


class CheckKind(StrEnum):
    check_in = "in"
    check_out = "out"


class CheckIn(SQLModel, table=True):
    """A check-in or check-out of a volunteer at an activity, as it was scanned."""

    __table_args__ = (
        Index("ix_checkin_volunteer_activity", "volunteer_id", "activity_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    activity_id: int = Field(foreign_key="activity.id", index=True)
    volunteer_id: int = Field(foreign_key="volunteer.id")
    kind: str = Field(max_length=3)
    at: datetime = Field(sa_type=UTCDateTime)
    source: str = Field(max_length=16)  # activity_qr, card_scan, auto_close
    recorded_by: int | None = Field(default=None, foreign_key="account.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
