"""Star certification by the civilisation office and the federation, in batches.

A county office sees and certifies only its county's stations; a city office or the
federation (no division, or the city's own code) sees every station.
"""

from dataclasses import dataclass

from sqlalchemy import ColumnElement, Select, func, or_, true
from sqlmodel import Session, select

from server.accounts.models import Role, User
from server.cards.models import Certification
from server.cards.standing import (
    confirmed_entries,
    latest_certification_query,
    star_level_sql,
)
from server.errors import DomainError, Forbidden
from server.i18n import _
from server.ledger.models import LedgerEntry
from server.logs import get_logger
from server.pagination import Page
from server.settings import Settings
from server.stations.models import Station
from server.volunteers.models import RegistrationStatus, Volunteer

log = get_logger(__name__)
CERTIFIERS = frozenset({Role.office_admin, Role.federation_admin})


@dataclass(frozen=True)
class AwaitingRow:
    """A volunteer whose reached star level is above the certified one."""

    volunteer_id: int
    volunteer_no: str
    name: str
    station_name: str
    total_minutes: int
    reached_level: int
    certified_level: int


def office_scope(user: User, settings: Settings) -> str | None:
    """The division an office user may act in; None means the whole city."""
    if user.role not in CERTIFIERS:
        raise Forbidden()
    code = user.division_code
    if not code or code == settings.city_code:
        return None
    return code


def _in_scope(scope: str | None) -> ColumnElement[bool]:
    if scope is None:
        return true()
    return or_(Station.county_code == scope, Station.township_code == scope)


def _awaiting_query(settings: Settings, scope: str | None) -> Select:
    """Approved volunteers in scope whose reached level beats the certified one."""
    minutes = func.sum(LedgerEntry.minutes).label("minutes")
    totals = (
        confirmed_entries(LedgerEntry.volunteer_id, minutes)
        .group_by(LedgerEntry.volunteer_id)
        .subquery("totals")
    )
    latest = latest_certification_query()
    reached = star_level_sql(totals.c.minutes, settings.star_thresholds)
    certified = func.coalesce(latest.c.level, 0)
    return (
        select(
            Volunteer.id,
            Volunteer.volunteer_no,
            Volunteer.name,
            Station.name,
            totals.c.minutes,
            reached.label("reached"),
            certified.label("certified"),
        )
        .join(totals, totals.c.volunteer_id == Volunteer.id)
        .join(Station, Station.id == Volunteer.station_id)
        .outerjoin(latest, latest.c.volunteer_id == Volunteer.id)
        .where(Volunteer.status == RegistrationStatus.approved)
        .where(reached > certified)
        .where(_in_scope(scope))
    )


def awaiting_certification(
    db: Session, settings: Settings, user: User, number: int, size: int
) -> Page:
    """One page of the volunteers in the user's scope awaiting certification."""
    query = _awaiting_query(settings, office_scope(user, settings))
    total = db.exec(select(func.count()).select_from(query.subquery())).one()
    rows = db.exec(
        query.order_by(Volunteer.volunteer_no).offset((number - 1) * size).limit(size)
    ).all()
    items = [
        AwaitingRow(vid, no or "", name, station, int(mins), reached, certified)
        for vid, no, name, station, mins, reached, certified in rows
    ]
    return Page(items=items, number=number, size=size, total=total)


def certify(
    db: Session, settings: Settings, user: User, volunteer_ids: list[int]
) -> list[Certification]:
    """Certify each chosen volunteer at the level reached now; volunteers outside
    the user's scope, or with nothing new to certify, are left alone.
    """
    ids = sorted(set(volunteer_ids))
    if not ids:
        raise DomainError(_("Choose at least one volunteer to certify."))
    query = _awaiting_query(settings, office_scope(user, settings)).where(
        Volunteer.id.in_(ids)
    )
    made = []
    for volunteer_id, _no, _name, _station, _minutes, reached, _certified in db.exec(
        query
    ):
        made.append(certify_level(db, volunteer_id, reached, user))
    log.info("stars_certified", user_id=user.id, asked=len(ids), count=len(made))
    return made


def certify_level(
    db: Session, volunteer_id: int, level: int, certified_by: User
) -> Certification:
    """Record one certification as it is (for demo data and imports of old ones)."""
    certification = Certification(
        volunteer_id=volunteer_id, level=level, certified_by=certified_by.id
    )
    db.add(certification)
    db.flush()
    return certification
