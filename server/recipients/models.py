from datetime import date, datetime
from enum import StrEnum

from sqlmodel import Field, SQLModel

from server.db import UTCDateTime, utcnow


class RecipientGroup(StrEnum):
    empty_nest_elder = "empty_nest_elder"
    left_behind_child = "left_behind_child"
    migrant_worker = "migrant_worker"
    migrant_child = "migrant_child"
    disabled = "disabled"
    unemployed = "unemployed"
    other = "other"


class Recipient(SQLModel, table=True):
    """A resident a station serves, as little of them as home visits need.

    Deliberately minimal: only what offline home visits need (who, which group,
    whether consent is recorded, which team visits). Registration, needs, address,
    duplicate detection and merging belong to the recipients feature, which is not
    built yet; it will extend this table rather than replace it.
    """

    id: int | None = Field(default=None, primary_key=True)
    station_id: int = Field(foreign_key="station.id", index=True)
    display_name: str = Field(max_length=64)
    group: str = Field(max_length=20)
    consent_recorded: bool = Field(default=False)
    consent_date: date | None = Field(default=None)
    team_id: int | None = Field(default=None, foreign_key="team.id", index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
