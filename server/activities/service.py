"""Activities as captains and volunteers meet them: who may see which, check-in and
check-out, and closing the check-ins of volunteers who forgot to check out.

Check-ins are recorded as scanned; minutes reach the ledger only at check-out (or
when a forgotten check-out is closed), through `record_service`, as pending entries.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from sqlalchemy import case, func, literal, select
from sqlmodel import Session

from server.accounts.models import STATION_STAFF, Role, User
from server.activities.models import Activity, CheckIn, CheckKind, Project, Team
from server.db import utcnow
from server.errors import Conflict, DomainError, Forbidden, NotFound
from server.i18n import _
from server.ledger.counting import Interval, clip
from server.ledger.models import HourSource, LedgerEntry
from server.ledger.service import lock_volunteer, record_service
from server.logs import get_logger
from server.pagination import PAGE_SIZE, Page
from server.settings import Settings
from server.volunteers.models import RegistrationStatus, Volunteer

log = get_logger(__name__)

# Stored in the entry's note; the hours page shows it translated.
FORGOTTEN_CHECKOUT_NOTE = "No check-out: closed at the activity's scheduled end."
# The daily job and every visit to the hours page close forgotten check-outs, so
# looking further back than this only rereads history; `lookback=None` does it all.
FORGOTTEN_LOOKBACK = timedelta(days=30)


class CheckSource(StrEnum):
    """How a check-in or check-out reached us (CheckIn.source)."""

    activity_qr = "activity_qr"
    card_scan = "card_scan"
    auto_close = "auto_close"


# Who sees which activity ----------------------------------------------------


def _visible_to(user: User):
    """A filter on Activity: a captain's own teams, or a staff member's station."""
    if user.role == Role.captain:
        captained = (
            select(Project.id)
            .join(Team, Team.project_id == Project.id)
            .where(Team.captain_user_id == user.id)
        )
        return Activity.project_id.in_(captained)
    if user.role in STATION_STAFF and user.station_id is not None:
        return Activity.station_id == user.station_id
    return literal(False)


def captain_activities(
    db: Session,
    user: User,
    settings: Settings,
    number: int = 1,
    now: datetime | None = None,
) -> Page:
    """The activities `user` leads or runs: today's first, then upcoming, then past."""
    day_start, day_end = local_day_bounds(now or _now(), ZoneInfo(settings.timezone))
    when = case(
        (Activity.ends_at < day_start, 2),
        (Activity.starts_at >= day_end, 1),
        else_=0,
    )
    # Upcoming ones soonest first; past ones most recent first.
    past_starts = case((when == 2, Activity.starts_at), else_=None)
    visible = _visible_to(user)
    total = db.scalar(select(func.count()).select_from(Activity).where(visible))
    query = (
        select(Activity)
        .where(visible)
        .order_by(when, past_starts.desc(), Activity.starts_at, Activity.id)
        .offset((number - 1) * PAGE_SIZE)
        .limit(PAGE_SIZE)
    )
    return Page(list(db.scalars(query)), number, PAGE_SIZE, total or 0)


def visible_activity(db: Session, user: User, activity_id: int) -> Activity:
    activity = db.get(Activity, activity_id)
    if activity is None:
        raise NotFound(_("No such activity."))
    allowed = db.scalar(
        select(func.count())
        .select_from(Activity)
        .where(Activity.id == activity_id, _visible_to(user))
    )
    if not allowed:
        raise Forbidden(_("This activity is not one of yours."))
    return activity


def get_activity(db: Session, activity_id: int) -> Activity:
    activity = db.get(Activity, activity_id)
    if activity is None:
        raise NotFound(_("No such activity."))
    return activity


# Attendance -----------------------------------------------------------------


@dataclass(frozen=True)
class Attendance:
    """One volunteer at one activity: first check-in, last check-out, still in?"""

    volunteer_id: int
    volunteer_no: str | None
    name: str
    first_in: datetime | None
    last_out: datetime | None
    checked_in: bool


def _balance():
    """+1 per check-in, -1 per check-out: positive means checked in now."""
    return func.sum(case((CheckIn.kind == CheckKind.check_in, 1), else_=-1))


def attendance(db: Session, activity_id: int, number: int = 1) -> Page:
    """Who came to the activity, one row per volunteer, paginated."""
    first_in = func.min(
        case((CheckIn.kind == CheckKind.check_in, CheckIn.at), else_=None)
    )
    last_out = func.max(
        case((CheckIn.kind == CheckKind.check_out, CheckIn.at), else_=None)
    )
    grouped = (
        select(
            CheckIn.volunteer_id,
            first_in.label("first_in"),
            last_out.label("last_out"),
            _balance().label("balance"),
        )
        .where(CheckIn.activity_id == activity_id)
        .group_by(CheckIn.volunteer_id)
        .subquery()
    )
    total = db.scalar(select(func.count()).select_from(grouped))
    rows = db.execute(
        select(
            grouped,
            Volunteer.volunteer_no,
            Volunteer.name,
        )
        .join(Volunteer, Volunteer.id == grouped.c.volunteer_id)
        .order_by(grouped.c.first_in, grouped.c.volunteer_id)
        .offset((number - 1) * PAGE_SIZE)
        .limit(PAGE_SIZE)
    )
    items = [
        Attendance(
            volunteer_id=row.volunteer_id,
            volunteer_no=row.volunteer_no,
            name=row.name,
            first_in=_aware(row.first_in),
            last_out=_aware(row.last_out),
            checked_in=(row.balance or 0) > 0,
        )
        for row in rows
    ]
    return Page(items, number, PAGE_SIZE, total or 0)


def open_check_in(db: Session, activity_id: int, volunteer_id: int) -> CheckIn | None:
    """The volunteer's check-in at the activity if they have not checked out since."""
    last = db.scalars(
        select(CheckIn)
        .where(CheckIn.activity_id == activity_id, CheckIn.volunteer_id == volunteer_id)
        .order_by(CheckIn.at.desc(), CheckIn.id.desc())
        .limit(1)
    ).first()
    return last if last is not None and last.kind == CheckKind.check_in else None


# Check-in and check-out -------------------------------------------------------


def volunteer_of(db: Session, user: User) -> Volunteer:
    """The approved volunteer behind a login; only they may check in."""
    volunteer = db.get(Volunteer, user.volunteer_id) if user.volunteer_id else None
    if volunteer is None:
        raise Forbidden(_("This login is not linked to a volunteer."))
    if volunteer.status != RegistrationStatus.approved:
        raise Forbidden(
            _("Only approved volunteers can check in. Please ask your station.")
        )
    return volunteer


@dataclass(frozen=True)
class CheckResult:
    check: CheckIn
    entries: list[LedgerEntry]

    @property
    def minutes(self) -> int:
        return sum(entry.minutes for entry in self.entries)


def check_in_or_out(
    db: Session,
    activity: Activity,
    volunteer: Volunteer,
    settings: Settings,
    *,
    kind: str,
    now: datetime | None = None,
    source: str = CheckSource.activity_qr,
    recorded_by: int | None = None,
) -> CheckResult:
    """Check the volunteer in or out; the caller commits.

    `kind` is what the volunteer's button said: if their state changed meanwhile
    (a second tab, a double tap), the request is refused rather than flipped.
    """
    now = now or _now()
    lock_volunteer(db, volunteer.id)
    is_open = open_check_in(db, activity.id, volunteer.id)

    if kind == CheckKind.check_in:
        if is_open is not None:
            raise Conflict(_("You are already checked in."), code="already_in")
        _check_window(activity, settings, now)
        check = _add_check(db, activity, volunteer, kind, now, source, recorded_by)
        log.info("checked_in", activity_id=activity.id, volunteer_id=volunteer.id)
        return CheckResult(check, [])

    if kind != CheckKind.check_out:
        raise DomainError(_("Please choose check-in or check-out."))
    if is_open is None:
        raise Conflict(_("You have not checked in here yet."), code="not_in")
    check = _add_check(db, activity, volunteer, kind, now, source, recorded_by)
    entries = _credit(db, activity, volunteer, is_open.at, now, settings, recorded_by)
    log.info(
        "checked_out",
        activity_id=activity.id,
        volunteer_id=volunteer.id,
        minutes=sum(e.minutes for e in entries),
    )
    return CheckResult(check, entries)


def checkin_refusal(
    activity: Activity, settings: Settings, now: datetime
) -> str | None:
    """Why nobody can check in to `activity` at `now`, or None if they can."""
    grace = timedelta(minutes=settings.checkin_grace_minutes)
    if now < activity.starts_at - grace:
        return _(
            "This activity has not started yet. Check-in opens %(minutes)s minutes "
            "before it starts.",
            minutes=settings.checkin_grace_minutes,
        )
    if now > activity.ends_at + grace:
        return _("This activity has already ended.")
    return None


def _check_window(activity: Activity, settings: Settings, now: datetime) -> None:
    refusal = checkin_refusal(activity, settings, now)
    if refusal is not None:
        raise Conflict(refusal, code="outside_window")


def _add_check(db, activity, volunteer, kind, now, source, recorded_by) -> CheckIn:
    check = CheckIn(
        activity_id=activity.id,
        volunteer_id=volunteer.id,
        kind=kind,
        at=now,
        source=source,
        recorded_by=recorded_by,
    )
    db.add(check)
    db.flush()
    return check


def _credit(
    db: Session,
    activity: Activity,
    volunteer: Volunteer,
    start: datetime,
    end: datetime,
    settings: Settings,
    recorded_by: int | None,
    *,
    needs_review: bool = False,
    note: str = "",
) -> list[LedgerEntry]:
    """Pending entries for the time between check-in and check-out, clipped to the
    activity's window and its grace."""
    if end <= start:
        return []
    grace = timedelta(minutes=settings.checkin_grace_minutes)
    interval = clip(Interval(start, end), activity.starts_at, activity.ends_at, grace)
    if interval is None:
        return []
    return record_service(
        db,
        volunteer_id=volunteer.id,
        station_id=activity.station_id,
        interval=interval,
        source=HourSource.scan,
        activity_id=activity.id,
        content=activity.title[:300],
        recorded_by=recorded_by,
        needs_review=needs_review,
        note=note,
        settings=settings,
    )


# Forgotten check-outs ---------------------------------------------------------


def close_forgotten_checkouts(
    db: Session,
    now: datetime,
    settings: Settings,
    *,
    station_id: int | None = None,
    lookback: timedelta | None = FORGOTTEN_LOOKBACK,
) -> int:
    """Close every check-in left open at an activity that ended (plus grace) within
    `lookback`.

    Each is checked out at the activity's scheduled end; its minutes are written
    flagged `needs_review`, so they count for nothing until a leader confirms them
    one by one. Commits each volunteer's closing on its own (so a long run holds no
    lock for long) and returns how many were closed.
    """
    grace = timedelta(minutes=settings.checkin_grace_minutes)
    query = (
        select(CheckIn.activity_id, CheckIn.volunteer_id)
        .join(Activity, Activity.id == CheckIn.activity_id)
        .where(Activity.ends_at < now - grace)
        .group_by(CheckIn.activity_id, CheckIn.volunteer_id)
        .having(_balance() > 0)
        .order_by(CheckIn.activity_id, CheckIn.volunteer_id)
    )
    if station_id is not None:
        query = query.where(Activity.station_id == station_id)
    if lookback is not None:
        query = query.where(Activity.ends_at >= now - lookback)
    pairs = db.execute(query).all()

    closed = 0
    for activity_id, volunteer_id in pairs:
        activity = db.get(Activity, activity_id)
        volunteer = db.get(Volunteer, volunteer_id)
        lock_volunteer(db, volunteer_id)
        # Someone (another page view, the CLI) may have closed it meanwhile.
        still_open = open_check_in(db, activity_id, volunteer_id)
        if still_open is None:
            db.commit()
            continue
        end = max(activity.ends_at, still_open.at)
        _add_check(
            db,
            activity,
            volunteer,
            CheckKind.check_out,
            end,
            CheckSource.auto_close,
            None,
        )
        _credit(
            db,
            activity,
            volunteer,
            still_open.at,
            end,
            settings,
            None,
            needs_review=True,
            note=FORGOTTEN_CHECKOUT_NOTE,
        )
        db.commit()
        closed += 1
    if closed:
        log.info("forgotten_checkouts_closed", count=closed, station_id=station_id)
    return closed


# Time helpers -----------------------------------------------------------------


def local_day_bounds(now: datetime, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """The start and end of `now`'s local day in `tz`, as aware datetimes."""
    day = now.astimezone(tz).date()
    start = datetime.combine(day, time(0), tzinfo=tz)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz)
    return start, end


def _now() -> datetime:
    return utcnow()


def _aware(value):
    """Aggregates may bypass the column type; give their datetimes back UTC."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value
