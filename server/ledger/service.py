"""The ledger's rules: crediting service time, reviewing it, and adding it up.

Entries are append-only. A new entry is pending until a leader confirms or rejects
it; a correction is a new entry with negative minutes naming the one it reverses.
Only confirmed entries count for anything, and no minute of a volunteer's time is
ever credited twice, whichever activity or source it came from.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import and_, bindparam, exists, func, select
from sqlalchemy.orm import aliased
from sqlmodel import Session

from server.accounts.models import STATION_STAFF, User
from server.activities.models import Activity
from server.db import UTCDateTime
from server.errors import Conflict, DomainError, Forbidden, NotFound
from server.i18n import _
from server.ledger.counting import Interval, split_by_day, subtract, whole_minutes
from server.ledger.models import LedgerEntry, LedgerReview, ReviewDecision
from server.logs import get_logger
from server.pagination import PAGE_SIZE, Page
from server.settings import Settings
from server.volunteers.models import Volunteer

log = get_logger(__name__)


def record_service(
    db: Session,
    *,
    volunteer_id: int,
    station_id: int,
    interval: Interval,
    source: str,
    activity_id: int | None = None,
    content: str = "",
    recorded_by: int | None = None,
    needs_review: bool = False,
    note: str = "",
    tz: ZoneInfo | str | None = None,
    settings: Settings | None = None,
) -> list[LedgerEntry]:
    """Credit the minutes of `interval` not yet credited to the volunteer, pending.

    One entry per local day (per free stretch of it, if older entries leave gaps).
    The volunteer stays locked until the caller commits, so that two requests at
    once cannot both credit the same minutes. Returns the new entries (maybe none).
    """
    zone = _zone(tz, settings)
    wanted = whole_minutes(interval.start, interval.end)
    if wanted is None:
        return []

    lock_volunteer(db, volunteer_id)
    free = subtract(wanted, credited_intervals(db, volunteer_id, wanted))

    entries = []
    for free_part in free:
        for day, piece in split_by_day(free_part, zone):
            entry = LedgerEntry(
                volunteer_id=volunteer_id,
                station_id=station_id,
                activity_id=activity_id,
                source=source,
                service_date=day,
                service_year=day.year,
                minutes=piece.minutes,
                started_at=piece.start,
                ended_at=piece.end,
                content=content,
                needs_review=needs_review,
                note=note,
                recorded_by=recorded_by,
            )
            db.add(entry)
            entries.append(entry)
    db.flush()
    log.info(
        "service_recorded",
        volunteer_id=volunteer_id,
        source=source,
        activity_id=activity_id,
        entries=len(entries),
        minutes=sum(e.minutes for e in entries),
        asked_minutes=wanted.minutes,
        needs_review=needs_review,
    )
    return entries


def lock_volunteer(db: Session, volunteer_id: int) -> None:
    """Hold the volunteer's write lock until the transaction ends.

    PostgreSQL locks the row, once per transaction: a row lock is held until the
    transaction ends, so taking it again (sync settles one volunteer many times in a
    batch, and locks the batch's volunteers up front) only costs a round trip.
    SQLite transactions begin IMMEDIATE (`server.db`), holding the database's only
    write lock already; there the volunteer is only checked to exist.
    """
    if volunteer_id in locked_volunteers(db):
        return
    if db.get_bind().dialect.name == "postgresql":
        found = db.execute(
            _LOCK_VOLUNTEER, {"volunteer_id": volunteer_id}
        ).scalar_one_or_none()
    else:
        found = db.execute(
            _VOLUNTEER_EXISTS, {"volunteer_id": volunteer_id}
        ).scalar_one_or_none()
    if found is None:
        raise NotFound(_("No such volunteer."))
    mark_locked(db, [volunteer_id])


def locked_volunteers(db: Session) -> set[int]:
    """Volunteers whose lock the session's current transaction holds.

    Locks are noted per transaction object (a savepoint is one too). Those noted in
    the current transaction or in one enclosing it are held; those noted in a
    transaction since ended are not (a rolled-back savepoint releases PostgreSQL
    row locks taken in it), so a lock is never assumed that is not held.
    """
    noted = db.info.get(_LOCKED_KEY)
    held: set[int] = set()
    if not noted:
        return held
    transaction = db.get_nested_transaction() or db.get_transaction()
    while transaction is not None:
        held |= noted.get(transaction, set())
        transaction = transaction.parent
    return held


def mark_locked(db: Session, volunteer_ids: Iterable[int]) -> None:
    """Note volunteers whose lock the current transaction has just taken."""
    transaction = db.get_nested_transaction() or db.get_transaction()
    if transaction is None:
        return
    noted = db.info.setdefault(_LOCKED_KEY, {})
    for ended in [t for t in noted if not t.is_active]:
        del noted[ended]
    noted.setdefault(transaction, set()).update(volunteer_ids)


_LOCKED_KEY = "ledger_locked_volunteers"
# Statements built once with bound parameters: building them per call cost more
# than running them (offline sync credits hundreds of visits per request).
_LOCK_VOLUNTEER = (
    select(Volunteer.id)
    .where(Volunteer.id == bindparam("volunteer_id"))
    .with_for_update()
)
_VOLUNTEER_EXISTS = select(Volunteer.id).where(
    Volunteer.id == bindparam("volunteer_id")
)


def credited_intervals(
    db: Session, volunteer_id: int, within: Interval | None = None
) -> list[Interval]:
    """Stretches already credited to the volunteer: entries neither rejected nor
    reversed (pending ones included, so a minute waiting for review is taken).

    With `within`, only the entries overlapping it (ix_ledger_volunteer_end)."""
    if within is None:
        rows = db.execute(_CREDITED, {"volunteer_id": volunteer_id})
    else:
        rows = db.execute(
            _CREDITED_WITHIN,
            {"volunteer_id": volunteer_id, "start": within.start, "end": within.end},
        )
    return [Interval(start, end) for start, end in rows if start < end]


def _is_rejected():
    return exists().where(
        LedgerReview.entry_id == LedgerEntry.id,
        LedgerReview.decision == ReviewDecision.rejected,
    )


def _is_reversed():
    return exists().where(_REVERSAL.reverses_id == LedgerEntry.id)


# Built once: aliasing the table anew on every call cost more than the query itself
# (offline sync credits hundreds of visits per request through record_service).
_REVERSAL = aliased(LedgerEntry)
_CREDITED = select(LedgerEntry.started_at, LedgerEntry.ended_at).where(
    LedgerEntry.volunteer_id == bindparam("volunteer_id"),
    LedgerEntry.reverses_id.is_(None),
    LedgerEntry.minutes > 0,
    ~_is_rejected(),
    ~_is_reversed(),
)
_CREDITED_WITHIN = _CREDITED.where(
    LedgerEntry.started_at < bindparam("end", type_=UTCDateTime),
    LedgerEntry.ended_at > bindparam("start", type_=UTCDateTime),
)


def _zone(tz: ZoneInfo | str | None, settings: Settings | None) -> ZoneInfo:
    if isinstance(tz, ZoneInfo):
        return tz
    if tz:
        return ZoneInfo(tz)
    if settings is not None:
        return ZoneInfo(settings.timezone)
    # No silent default: a city configured elsewhere must not get Shanghai's days.
    raise TypeError("record_service needs the city's zone: pass tz or settings")


# Review ---------------------------------------------------------------------


def confirm(
    db: Session,
    entry_ids: Iterable[int],
    reviewer: User,
    *,
    confirm_flagged: bool = False,
) -> list[int]:
    """Confirm the pending entries among `entry_ids`; returns the ids confirmed.

    Entries flagged `needs_review` (a forgotten check-out, say) are skipped unless
    `confirm_flagged` is set, which is allowed for one entry at a time only: a leader
    confirms each of them on purpose, never in a batch.
    """
    ids = sorted(set(entry_ids))
    if confirm_flagged and len(ids) != 1:
        raise DomainError(_("Entries that need review are confirmed one at a time."))
    entries = _pending_entries(db, ids)
    for entry in entries:
        _check_reviewer(entry, reviewer)

    confirmed = []
    for entry in entries:
        if entry.needs_review and not confirm_flagged:
            continue
        db.add(
            LedgerReview(
                entry_id=entry.id,
                decision=ReviewDecision.confirmed,
                reviewed_by=reviewer.id,
            )
        )
        confirmed.append(entry.id)
    db.flush()
    log.info("entries_confirmed", reviewer_id=reviewer.id, count=len(confirmed))
    return confirmed


def reject(db: Session, entry_id: int, reviewer: User, reason: str) -> None:
    """Reject a pending entry: it counts for nothing and frees its minutes."""
    reason = reason.strip()
    if not reason:
        raise DomainError(_("Please say why the hours are rejected."), code="reason")
    entry = _entry(db, entry_id)
    _check_reviewer(entry, reviewer)
    if db.get(LedgerReview, entry_id) is not None:
        raise Conflict(_("These hours were already reviewed."), code="reviewed")
    db.add(
        LedgerReview(
            entry_id=entry_id,
            decision=ReviewDecision.rejected,
            reviewed_by=reviewer.id,
            reason=reason[:300],
        )
    )
    db.flush()
    log.info("entry_rejected", reviewer_id=reviewer.id, entry_id=entry_id)


def reverse(db: Session, entry_id: int, by: User, reason: str) -> LedgerEntry:
    """Cancel a confirmed entry with a new, confirmed entry of negative minutes."""
    reason = reason.strip()
    if not reason:
        raise DomainError(_("Please say why the hours are reversed."), code="reason")
    entry = _entry(db, entry_id)
    _check_reviewer(entry, by)
    review = db.get(LedgerReview, entry_id)
    if entry.reverses_id is not None or entry.minutes <= 0:
        raise Conflict(_("A correction cannot be reversed."), code="reversal")
    if review is None or review.decision != ReviewDecision.confirmed:
        raise Conflict(_("Only confirmed hours can be reversed."), code="unconfirmed")
    already = db.execute(
        select(LedgerEntry.id).where(LedgerEntry.reverses_id == entry_id)
    ).first()
    if already is not None:
        raise Conflict(_("These hours were already reversed."), code="reversed")

    reversal = LedgerEntry(
        volunteer_id=entry.volunteer_id,
        station_id=entry.station_id,
        activity_id=entry.activity_id,
        source=entry.source,
        service_date=entry.service_date,
        service_year=entry.service_year,
        minutes=-entry.minutes,
        started_at=entry.started_at,
        ended_at=entry.ended_at,
        content=entry.content,
        note=reason[:300],
        reverses_id=entry.id,
        recorded_by=by.id,
    )
    db.add(reversal)
    db.flush()
    # The person reversing is a leader; the correction counts at once, so that the
    # original's minutes stop counting the moment they are freed for re-crediting.
    db.add(
        LedgerReview(
            entry_id=reversal.id,
            decision=ReviewDecision.confirmed,
            reviewed_by=by.id,
            reason=reason[:300],
        )
    )
    db.flush()
    log.info("entry_reversed", by=by.id, entry_id=entry_id, reversal_id=reversal.id)
    return reversal


def _entry(db: Session, entry_id: int) -> LedgerEntry:
    entry = db.get(LedgerEntry, entry_id)
    if entry is None:
        raise NotFound(_("No such service record."))
    return entry


def _pending_entries(db: Session, ids: Sequence[int]) -> list[LedgerEntry]:
    if not ids:
        return []
    reviewed = exists().where(LedgerReview.entry_id == LedgerEntry.id)
    query = (
        select(LedgerEntry)
        .where(LedgerEntry.id.in_(ids), ~reviewed)
        .order_by(LedgerEntry.id)
    )
    return list(db.scalars(query))


def _check_reviewer(entry: LedgerEntry, reviewer: User) -> None:
    """Only the staff of the entry's own station review its hours."""
    if reviewer.role not in STATION_STAFF or reviewer.station_id != entry.station_id:
        raise Forbidden(_("Only this station's staff may review these hours."))


# The review queue -------------------------------------------------------------


@dataclass(frozen=True)
class PendingRow:
    """A pending entry with what a reviewer needs to recognise it."""

    entry: LedgerEntry
    volunteer_no: str | None
    volunteer_name: str
    activity_title: str | None


def pending_entries(db: Session, station_id: int | None, number: int = 1) -> Page:
    """The station's entries waiting for review, oldest day first, paginated."""
    reviewed = exists().where(LedgerReview.entry_id == LedgerEntry.id)
    where = (
        LedgerEntry.station_id == station_id,
        LedgerEntry.reverses_id.is_(None),
        ~reviewed,
    )
    total = db.scalar(select(func.count()).select_from(LedgerEntry).where(*where))
    query = (
        select(LedgerEntry, Volunteer.volunteer_no, Volunteer.name, Activity.title)
        .join(Volunteer, Volunteer.id == LedgerEntry.volunteer_id)
        .outerjoin(Activity, Activity.id == LedgerEntry.activity_id)
        .where(*where)
        .order_by(LedgerEntry.service_date, LedgerEntry.started_at, LedgerEntry.id)
        .offset((number - 1) * PAGE_SIZE)
        .limit(PAGE_SIZE)
    )
    rows = [PendingRow(*row) for row in db.execute(query)]
    return Page(rows, number, PAGE_SIZE, total or 0)


# Totals ---------------------------------------------------------------------


def _confirmed():
    return and_(
        LedgerReview.entry_id == LedgerEntry.id,
        LedgerReview.decision == ReviewDecision.confirmed,
    )


def confirmed_minutes(db: Session, volunteer_id: int, year: int | None = None) -> int:
    """A volunteer's confirmed minutes, in all years or in one local year."""
    return confirmed_minutes_by_volunteer(db, [volunteer_id], year).get(volunteer_id, 0)


def confirmed_minutes_by_volunteer(
    db: Session, volunteer_ids: Iterable[int], year: int | None = None
) -> dict[int, int]:
    """Confirmed minutes for many volunteers in one query; absent ones have 0."""
    ids = sorted(set(volunteer_ids))
    if not ids:
        return {}
    query = (
        select(LedgerEntry.volunteer_id, func.sum(LedgerEntry.minutes))
        .join(LedgerReview, _confirmed())
        .where(LedgerEntry.volunteer_id.in_(ids))
        .group_by(LedgerEntry.volunteer_id)
    )
    if year is not None:
        query = query.where(LedgerEntry.service_year == year)
    totals = {
        volunteer_id: int(total or 0) for volunteer_id, total in db.execute(query)
    }
    return {volunteer_id: totals.get(volunteer_id, 0) for volunteer_id in ids}


def as_hours(minutes: int) -> str:
    """Minutes shown as hours with one decimal (90 -> "1.5"), rounded half up."""
    tenths = (abs(minutes) * 10 + 30) // 60
    sign = "-" if minutes < 0 and tenths else ""
    return f"{sign}{tenths // 10}.{tenths % 10}"
