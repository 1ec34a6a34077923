from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from server.db import UTCDateTime, utcnow


class PartnerKind(StrEnum):
    hospital = "hospital"
    supermarket = "supermarket"
    law_firm = "law_firm"
    other = "other"


class Partner(SQLModel, table=True):
    """A partner (协议单位) under a signed agreement with a validity period."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100)
    kind: str = Field(max_length=12)
    agreement_starts: date
    agreement_ends: date


class Benefit(SQLModel, table=True):
    """What a partner offers card holders, on its own terms."""

    id: int | None = Field(default=None, primary_key=True)
    partner_id: int = Field(foreign_key="partner.id", index=True)
    title: str = Field(max_length=100)
    kind: str = Field(max_length=10)  # discount, priority, free
    terms: str = Field(max_length=500)
    per_day_limit: int = Field(default=1)


class BenefitUse(SQLModel, table=True):
    """One use of a benefit. The unique slot makes the daily limit hold even when
    two counters record a use at the same moment.
    """

    __table_args__ = (
        UniqueConstraint("benefit_id", "volunteer_id", "use_date", "slot"),
    )

    id: int | None = Field(default=None, primary_key=True)
    benefit_id: int = Field(foreign_key="benefit.id")
    volunteer_id: int = Field(foreign_key="volunteer.id", index=True)
    use_date: date
    slot: int
    recorded_by: int = Field(foreign_key="account.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Verification(SQLModel, table=True):
    """Each scan or typed code at a partner's counter, with its outcome."""

    id: int | None = Field(default=None, primary_key=True)
    partner_id: int = Field(foreign_key="partner.id", index=True)
    volunteer_id: int | None = Field(default=None, foreign_key="volunteer.id")
    outcome: str = Field(max_length=20)  # valid, expired, forged, revoked, ...
    checked_by: int = Field(foreign_key="account.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
