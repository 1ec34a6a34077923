"""A volunteer's standing: confirmed hours, star levels and the benefit card.

Only confirmed ledger entries count (an entry joined to a review whose decision is
`confirmed`); reversals are entries with negative minutes and count like any other.
Every aggregate is one SQL query over many volunteers at once, never a query per
volunteer. Years are the city's calendar years (`service_year`, attributed in the
city's zone when the entry was made).
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Select, Subquery, case, func, literal
from sqlmodel import Session, select

from server.cards.models import Certification
from server.ledger.models import LedgerEntry, LedgerReview, ReviewDecision
from server.settings import Settings

MINUTES_PER_HOUR = 60


def local_today(settings: Settings, now: datetime) -> date:
    """The city's calendar date at the aware moment `now`."""
    return now.astimezone(ZoneInfo(settings.timezone)).date()


def format_hours(minutes: int) -> str:
    """Whole minutes as hours with one decimal, rounded down so that 99h59m never
    reads as the 100 hours it has not reached.
    """
    tenths = abs(minutes) * 10 // MINUTES_PER_HOUR
    sign = "-" if minutes < 0 else ""
    return f"{sign}{tenths // 10}.{tenths % 10}"


def star_level(minutes: int, thresholds: Sequence[int]) -> int:
    """Stars reached with `minutes` confirmed: one for each threshold (in hours) met."""
    return sum(1 for hours in thresholds if minutes >= hours * MINUTES_PER_HOUR)


def star_level_sql(total: ColumnElement, thresholds: Sequence[int]) -> ColumnElement:
    """`star_level` as an SQL expression over a column of summed minutes."""
    if not thresholds:
        return literal(0)
    whens = [
        (total >= hours * MINUTES_PER_HOUR, level)
        for level, hours in reversed(list(enumerate(thresholds, start=1)))
    ]
    return case(*whens, else_=0)


def granting_years(year: int, benefit_years: int) -> range:
    """The service years whose hours could grant the benefit card in `year`."""
    return range(year - max(benefit_years, 1) + 1, year + 1)


def confirmed_entries(*columns: ColumnElement) -> Select:
    """`columns` of ledger entries with a confirmed review: the only ones that count."""
    return (
        select(*columns)
        .join(LedgerReview, LedgerReview.entry_id == LedgerEntry.id)
        .where(LedgerReview.decision == ReviewDecision.confirmed)
    )


def confirmed_totals(db: Session, volunteer_ids: Iterable[int]) -> dict[int, int]:
    """Confirmed minutes ever, by volunteer; volunteers with none are absent."""
    ids = sorted(set(volunteer_ids))
    if not ids:
        return {}
    total = func.sum(LedgerEntry.minutes)
    query = (
        confirmed_entries(LedgerEntry.volunteer_id, total)
        .where(LedgerEntry.volunteer_id.in_(ids))
        .group_by(LedgerEntry.volunteer_id)
    )
    return {volunteer_id: int(minutes) for volunteer_id, minutes in db.exec(query)}


def confirmed_by_year(
    db: Session, volunteer_ids: Iterable[int], years: Iterable[int]
) -> dict[tuple[int, int], int]:
    """Confirmed minutes by (volunteer, service year), for the years asked."""
    ids, wanted = sorted(set(volunteer_ids)), sorted(set(years))
    if not ids or not wanted:
        return {}
    total = func.sum(LedgerEntry.minutes)
    query = (
        confirmed_entries(LedgerEntry.volunteer_id, LedgerEntry.service_year, total)
        .where(LedgerEntry.volunteer_id.in_(ids))
        .where(LedgerEntry.service_year.in_(wanted))
        .group_by(LedgerEntry.volunteer_id, LedgerEntry.service_year)
    )
    return {(vid, year): int(minutes) for vid, year, minutes in db.exec(query)}


def latest_certification_query() -> Subquery:
    """(volunteer_id, level) of each volunteer's latest certification, as a subquery.

    The latest is the one certified last; the id breaks ties between rows written in
    the same instant.
    """
    rank = (
        func.row_number()
        .over(
            partition_by=Certification.volunteer_id,
            order_by=(Certification.certified_at.desc(), Certification.id.desc()),
        )
        .label("rank")
    )
    ranked = select(Certification.volunteer_id, Certification.level, rank).subquery()
    return (
        select(ranked.c.volunteer_id, ranked.c.level)
        .where(ranked.c.rank == 1)
        .subquery("latest_certification")
    )


def certified_levels(db: Session, volunteer_ids: Iterable[int]) -> dict[int, int]:
    """Each volunteer's certified star level (the latest certification), or absent."""
    ids = sorted(set(volunteer_ids))
    if not ids:
        return {}
    latest = latest_certification_query()
    query = select(latest.c.volunteer_id, latest.c.level).where(
        latest.c.volunteer_id.in_(ids)
    )
    return {volunteer_id: level for volunteer_id, level in db.exec(query)}


def benefit_holders(
    db: Session, settings: Settings, volunteer_ids: Iterable[int], on: date
) -> dict[int, int]:
    """Volunteers holding the benefit card on the city date `on`, each with the
    latest service year that grants it (the card lasts to the end of
    that year + `benefit_years` - 1).
    """
    years = granting_years(on.year, settings.benefit_years)
    needed = settings.benefit_min_hours * MINUTES_PER_HOUR
    holders: dict[int, int] = {}
    for (volunteer_id, year), minutes in confirmed_by_year(
        db, volunteer_ids, years
    ).items():
        if minutes >= needed and year > holders.get(volunteer_id, year - 1):
            holders[volunteer_id] = year
    return holders


@dataclass(frozen=True)
class Standing:
    """What the card and a partner's scan need to know about one volunteer."""

    volunteer_id: int
    total_minutes: int
    year_minutes: int
    reached_level: int
    certified_level: int
    benefit_year: int | None  # the service year that grants the card today
    benefit_until: int | None  # the last calendar year the card is valid

    @property
    def holds_benefit(self) -> bool:
        return self.benefit_year is not None

    @property
    def awaiting_certification(self) -> bool:
        return self.reached_level > self.certified_level


def standings(
    db: Session, settings: Settings, volunteer_ids: Iterable[int], on: date
) -> dict[int, Standing]:
    """The standing of each volunteer on the city date `on`, in four queries."""
    ids = sorted(set(volunteer_ids))
    totals = confirmed_totals(db, ids)
    this_year = confirmed_by_year(db, ids, [on.year])
    certified = certified_levels(db, ids)
    holders = benefit_holders(db, settings, ids, on)
    result = {}
    for volunteer_id in ids:
        total = totals.get(volunteer_id, 0)
        granted = holders.get(volunteer_id)
        result[volunteer_id] = Standing(
            volunteer_id=volunteer_id,
            total_minutes=total,
            year_minutes=this_year.get((volunteer_id, on.year), 0),
            reached_level=star_level(total, settings.star_thresholds),
            certified_level=certified.get(volunteer_id, 0),
            benefit_year=granted,
            benefit_until=(
                None if granted is None else granted + settings.benefit_years - 1
            ),
        )
    return result


def standing(db: Session, settings: Settings, volunteer_id: int, on: date) -> Standing:
    return standings(db, settings, [volunteer_id], on)[volunteer_id]
