"""A station reviews its registrations: lists, details, approval and rejection.

Approval gives the volunteer number, the county's six-digit code followed by a
six-digit sequence within the county (530802000017). The volunteer number, never
the ID number, identifies a volunteer outside the station.
"""

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import case, func, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from server.accounts.models import STATION_STAFF, User
from server.errors import Conflict, DomainError, Forbidden, NotFound
from server.i18n import _
from server.logs import get_logger
from server.pagination import PAGE_SIZE, Page
from server.stations.models import Community, Station
from server.volunteers.models import RegistrationStatus, Volunteer
from server.volunteers.normalise import age_on, mask_id_number

log = get_logger(__name__)

SEQUENCE_DIGITS = 6
# Each failed attempt means another approval in the same county took the number
# at the same moment; a few retries outlast any realistic burst.
NUMBER_ATTEMPTS = 8
REASON_MAX_LENGTH = 200


@dataclass(frozen=True)
class RegistrationRow:
    """One line of a station's list: never the full ID number."""

    id: int
    name: str
    sex: str
    age: int
    masked_id_number: str
    community: str
    submitted_at: datetime  # in the city's zone
    status: str
    volunteer_no: str | None


def staff_station_id(user: User) -> int:
    """The station a staff member may see; refuses anyone without one."""
    if user.role not in STATION_STAFF or user.station_id is None:
        raise Forbidden()
    return user.station_id


def status_counts(db: Session, station_id: int) -> dict[str, int]:
    """How many registrations of the station are pending, approved and rejected."""
    query = (
        select(Volunteer.status, func.count())
        .where(Volunteer.station_id == station_id)
        .group_by(Volunteer.status)
    )
    counts = dict.fromkeys(RegistrationStatus, 0)
    counts.update({status: n for status, n in db.exec(query)})
    return counts


def registrations_page(
    db: Session, station_id: int, number: int, *, today: date, zone: ZoneInfo
) -> Page:
    """A page of the station's registrations, pending first, newest first within."""
    total = db.exec(
        select(func.count()).where(Volunteer.station_id == station_id)
    ).one()
    pending_first = case((Volunteer.status == RegistrationStatus.pending, 0), else_=1)
    query = (
        select(Volunteer, Community.name)
        .join(Station, Station.id == Volunteer.station_id)
        .join(Community, Community.id == Station.community_id)
        .where(Volunteer.station_id == station_id)
        .order_by(pending_first, Volunteer.created_at.desc(), Volunteer.id.desc())
        .offset((number - 1) * PAGE_SIZE)
        .limit(PAGE_SIZE)
    )
    rows = [_row(v, community, today, zone) for v, community in db.exec(query)]
    return Page(items=rows, number=number, size=PAGE_SIZE, total=total)


def _row(v: Volunteer, community: str, today: date, zone: ZoneInfo) -> RegistrationRow:
    return RegistrationRow(
        id=v.id,
        name=v.name,
        sex=v.sex,
        age=age_on(v.birth_date, today),
        masked_id_number=mask_id_number(v.id_number),
        community=community,
        submitted_at=v.created_at.astimezone(zone),
        status=v.status,
        volunteer_no=v.volunteer_no,
    )


def registration_at(db: Session, station_id: int, volunteer_id: int) -> Volunteer:
    """A registration of this station; another station's is simply not found."""
    volunteer = db.get(Volunteer, volunteer_id)
    if volunteer is None or volunteer.station_id != station_id:
        raise NotFound()
    return volunteer


def approve_registration(
    db: Session, station_id: int, volunteer_id: int, *, decided_by: int, now: datetime
) -> Volunteer:
    """Approve a pending registration and give it the county's next number."""
    volunteer = registration_at(db, station_id, volunteer_id)
    _must_be_pending(volunteer)
    county = db.get(Station, station_id).county_code[:6]

    for _attempt in range(NUMBER_ATTEMPTS):
        number = next_volunteer_no(db, county)
        try:
            with db.begin_nested():
                _decide(
                    db,
                    volunteer_id,
                    status=RegistrationStatus.approved,
                    volunteer_no=number,
                    decided_at=now,
                    decided_by=decided_by,
                )
        except IntegrityError:
            # Another approval in this county committed the same number first.
            log.info("volunteer_no_taken", volunteer_id=volunteer_id, retry=True)
            continue
        db.commit()
        db.refresh(volunteer)
        log.info(
            "registration_approved",
            volunteer_id=volunteer_id,
            station_id=station_id,
            decided_by=decided_by,
        )
        return volunteer
    log.warning("volunteer_no_exhausted_retries", volunteer_id=volunteer_id)
    raise Conflict(_("Many approvals are happening at once. Please try again."))


def next_volunteer_no(db: Session, county_code: str) -> str:
    """The county's next free number; unique only once the approval commits."""
    low = county_code + "0" * SEQUENCE_DIGITS
    high = county_code + "9" * SEQUENCE_DIGITS
    # A range on the unique index rather than LIKE, which PostgreSQL cannot use
    # under a non-C collation.
    query = select(func.max(Volunteer.volunteer_no)).where(
        Volunteer.volunteer_no >= low,
        Volunteer.volunteer_no <= high,
        func.length(Volunteer.volunteer_no) == len(low),
    )
    highest = db.exec(query).one()
    sequence = int(highest[len(county_code) :]) + 1 if highest else 1
    if sequence >= 10**SEQUENCE_DIGITS:
        raise DomainError(
            _("This county has used all its volunteer numbers. Tell the city office.")
        )
    return f"{county_code}{sequence:0{SEQUENCE_DIGITS}d}"


def reject_registration(
    db: Session,
    station_id: int,
    volunteer_id: int,
    *,
    reason: str,
    decided_by: int,
    now: datetime,
) -> Volunteer:
    """Refuse a pending registration, saying why; the person sees the reason."""
    volunteer = registration_at(db, station_id, volunteer_id)
    _must_be_pending(volunteer)
    reason = " ".join(reason.split())
    if not reason:
        raise ReasonInvalid(_("Say why, so that the person knows what to do next."))
    if len(reason) > REASON_MAX_LENGTH:
        raise ReasonInvalid(
            _("Shorten the reason to at most %(n)s characters.", n=REASON_MAX_LENGTH)
        )
    _decide(
        db,
        volunteer_id,
        status=RegistrationStatus.rejected,
        rejection_reason=reason,
        decided_at=now,
        decided_by=decided_by,
    )
    db.commit()
    db.refresh(volunteer)
    log.info("registration_rejected", volunteer_id=volunteer_id, decided_by=decided_by)
    return volunteer


class ReasonInvalid(DomainError):
    """The rejection reason is missing or too long; shown next to its field."""


def _must_be_pending(volunteer: Volunteer) -> None:
    if volunteer.status != RegistrationStatus.pending:
        raise Conflict(_("This registration has already been decided."))


def _decide(db: Session, volunteer_id: int, **values: object) -> None:
    """Decide only if still pending, so that two staff cannot both decide it."""
    result = db.exec(
        update(Volunteer)
        .where(
            Volunteer.id == volunteer_id,
            Volunteer.status == RegistrationStatus.pending,
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise Conflict(_("This registration has already been decided."))


def community_name(db: Session, station_id: int) -> str:
    query = (
        select(Community.name)
        .join(Station, Station.community_id == Community.id)
        .where(Station.id == station_id)
    )
    return db.exec(query).one()
