"""Keeping the ledger in step with what synced records say, whatever order they
arrive in.

Each visit, and each volunteer's check-ins at one activity, is an *origin* that
wants some stretches of a volunteer's time credited. `settle` makes the ledger
agree: it credits what is wanted through `record_service` (which never credits a
minute twice), and withdraws what sync itself credited earlier that is no longer
wanted (a visit shortened or deleted, a pair of check-ins split by a late scan).
Minutes freed that way go to any other origin of the same volunteer that wanted
them. The credited minutes are then the union of what every live origin wants,
which does not depend on the order the records came in.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import and_, exists, select
from sqlalchemy.orm import aliased
from sqlmodel import Session

from server.activities.models import Activity, CheckIn, CheckKind
from server.i18n import _
from server.ledger.counting import Interval, clip, merge, whole_minutes
from server.ledger.models import HourSource, LedgerEntry, LedgerReview, ReviewDecision
from server.ledger.service import lock_volunteer, record_service
from server.settings import Settings
from server.visits.models import Visit, VisitVolunteer
from sync.flags import raise_flag
from sync.models import FlagKind, SyncCredit
from sync.protocol import Contested

WITHDRAWN = "Withdrawn by an offline change."
CLOCK_NOTE = "The phone's clock was wrong; times were corrected."


@dataclass(frozen=True)
class Origin:
    """Something that credits one volunteer's time: a visit or an activity."""

    key: str
    volunteer_id: int
    station_id: int
    source: str
    activity_id: int | None = None
    content: str = ""


@dataclass
class Settling:
    """Who is settling and why, carried through to the ledger and the flags."""

    settings: Settings
    recorded_by: int
    record_id: str | None = None
    needs_review: bool = False
    # Links of new ledger entries to their origins, written in one insert by
    # `write_links` rather than one ORM object each.
    links: list[dict] = field(default_factory=list)


def write_links(db: Session, how: Settling) -> None:
    if how.links:
        db.connection().execute(SyncCredit.__table__.insert(), how.links)
        how.links.clear()


def visit_origin(visit: Visit, volunteer_id: int) -> Origin:
    return Origin(
        f"visit:{visit.id}",
        volunteer_id,
        visit.station_id,
        HourSource.visit,
        content=visit.service_type,
    )


def activity_origin(activity: Activity, volunteer_id: int) -> Origin:
    return Origin(
        f"activity:{activity.id}",
        volunteer_id,
        activity.station_id,
        HourSource.scan,
        activity_id=activity.id,
        content=activity.title[:300],
    )


def visit_wants(visit: Visit, volunteer_id: int, present: Iterable[int]) -> list:
    if visit.deleted_at is not None or volunteer_id not in set(present):
        return []
    interval = whole_minutes(visit.started_at, visit.ended_at)
    return [interval] if interval else []


def checkin_pairs(
    db: Session, activity: Activity, volunteer_id: int, settings: Settings
) -> list[Interval]:
    """Each check-in with the next check-out, by scan time, clipped to the window.

    Every check-in at the activity counts, online or offline. Sorting by time, not
    by arrival, is what makes late records land where they belong.
    """
    rows = db.execute(
        select(CheckIn.kind, CheckIn.at)
        .where(CheckIn.activity_id == activity.id, CheckIn.volunteer_id == volunteer_id)
        .order_by(CheckIn.at, CheckIn.kind)
    )
    grace = timedelta(minutes=settings.checkin_grace_minutes)
    pairs, opened = [], None
    for kind, at in rows:
        if kind == CheckKind.check_in:
            opened = opened or at
        elif opened is not None:
            if at > opened:
                piece = clip(
                    Interval(opened, at), activity.starts_at, activity.ends_at, grace
                )
                if piece is not None:
                    pairs.append(piece)
            opened = None
    return merge(pairs)


def settle(
    db: Session,
    origin: Origin,
    wanted: list[Interval],
    how: Settling,
    *,
    fresh: bool = False,
) -> None:
    """Make the ledger credit exactly `wanted` for this origin (see module doc).

    `fresh` says the origin is new (a visit just created), so nothing was credited
    for it yet and there is nothing to look up or withdraw.
    """
    # record_service locks the volunteer too, but only after this reads.
    if not fresh:
        write_links(db, how)
        lock_volunteer(db, origin.volunteer_id)
    live = [] if fresh else _live_entries(db, origin)
    stale = [entry for entry in live if not _inside(entry, wanted)]
    if stale:
        _withdraw(db, stale, how)

    credited = [Interval(e.started_at, e.ended_at) for e in live if e not in stale]
    for interval in wanted:
        entries = record_service(
            db,
            volunteer_id=origin.volunteer_id,
            station_id=origin.station_id,
            interval=interval,
            source=origin.source,
            activity_id=origin.activity_id,
            content=origin.content,
            recorded_by=how.recorded_by,
            needs_review=how.needs_review,
            note=CLOCK_NOTE if how.needs_review else "",
            settings=how.settings,
        )
        for entry in entries:
            credited.append(Interval(entry.started_at, entry.ended_at))
            how.links.append(
                {
                    "entry_id": entry.id,
                    "origin": origin.key,
                    "volunteer_id": origin.volunteer_id,
                }
            )
    # Fully credited by this origin itself: nothing overlapped, no need to look.
    wanted_minutes = sum(w.minutes for w in merge(wanted))
    if _overlap_minutes(merge(wanted), merge(credited)) < wanted_minutes:
        write_links(db, how)
        _flag_shortfall(db, origin, wanted, how)

    if stale:
        write_links(db, how)  # the origins given minutes back must see them
        freed = Interval(
            min(e.started_at for e in stale), max(e.ended_at for e in stale)
        )
        _give_back(db, origin, freed, how)


def _inside(entry: LedgerEntry, wanted: list[Interval]) -> bool:
    return any(w.start <= entry.started_at and entry.ended_at <= w.end for w in wanted)


def live_entry():
    """Entries that still count: positive, neither rejected nor reversed."""
    return _LIVE


# Built once: an aliased table rebuilt per call costs more than the query it is in.
_REVERSAL = aliased(LedgerEntry)
_LIVE = and_(
    LedgerEntry.minutes > 0,
    LedgerEntry.reverses_id.is_(None),
    ~exists().where(
        LedgerReview.entry_id == LedgerEntry.id,
        LedgerReview.decision == ReviewDecision.rejected,
    ),
    ~exists().where(_REVERSAL.reverses_id == LedgerEntry.id),
)


def _live_entries(db: Session, origin: Origin) -> list[LedgerEntry]:
    """The live entries that crediting this origin owns.

    For an activity that is every scan entry of it for the volunteer, not only
    those sync wrote: an online check-out credits its own pair, and a late offline
    scan can split or end that pair. Left out, such an entry would stay credited
    for time never served while the re-paired time is credited beside it.
    """
    linked = select(SyncCredit.entry_id).where(
        SyncCredit.origin == origin.key,
        SyncCredit.volunteer_id == origin.volunteer_id,
    )
    owned = LedgerEntry.id.in_(linked)
    if origin.activity_id is not None:
        owned = owned | and_(
            LedgerEntry.activity_id == origin.activity_id,
            LedgerEntry.source == HourSource.scan,
        )
    query = select(LedgerEntry).where(
        LedgerEntry.volunteer_id == origin.volunteer_id, owned, live_entry()
    )
    return list(db.scalars(query))


def _withdraw(db: Session, stale: list[LedgerEntry], how: Settling) -> None:
    """Reject sync's own pending entries; a confirmed one sends the change to review.

    The ledger stays append-only: the entry remains, with a decision that it does
    not count, which also frees its minutes for crediting again.
    """
    reviewed = set(
        db.scalars(
            select(LedgerReview.entry_id).where(
                LedgerReview.entry_id.in_([e.id for e in stale])
            )
        )
    )
    if reviewed:
        raise Contested(
            "already_confirmed",
            _("A leader already confirmed these hours; the change goes to review."),
        )
    for entry in stale:
        db.add(
            LedgerReview(
                entry_id=entry.id,
                decision=ReviewDecision.rejected,
                reviewed_by=how.recorded_by,
                reason=WITHDRAWN,
            )
        )
    db.flush()


def _flag_shortfall(
    db: Session, origin: Origin, wanted: list[Interval], how: Settling
) -> None:
    """Flag an origin whose time was (partly) credited already by another record."""
    if not wanted:
        return
    span = Interval(min(w.start for w in wanted), max(w.end for w in wanted))
    covering = select(LedgerEntry.started_at, LedgerEntry.ended_at).where(
        LedgerEntry.volunteer_id == origin.volunteer_id,
        LedgerEntry.started_at < span.end,
        LedgerEntry.ended_at > span.start,
        live_entry(),
    )
    if origin.activity_id is not None:
        # Any scan entry of this activity covers it, online check-outs included.
        mine = and_(
            LedgerEntry.activity_id == origin.activity_id,
            LedgerEntry.source == HourSource.scan,
        )
        covering = covering.where(
            mine
            | LedgerEntry.id.in_(
                select(SyncCredit.entry_id).where(SyncCredit.origin == origin.key)
            )
        )
    else:
        covering = covering.join(
            SyncCredit, SyncCredit.entry_id == LedgerEntry.id
        ).where(SyncCredit.origin == origin.key)
    have = [Interval(s, e) for s, e in db.execute(covering) if s < e]
    wanted_minutes = sum(w.minutes for w in merge(wanted))
    covered = _overlap_minutes(merge(wanted), merge(have))
    if covered < wanted_minutes:
        raise_flag(
            db,
            key=f"overlap:{origin.key}:{origin.volunteer_id}",
            kind=FlagKind.overlap,
            station_id=origin.station_id,
            record_id=how.record_id,
            volunteer_id=origin.volunteer_id,
            reason="overlap",
        )


def _overlap_minutes(a: list[Interval], b: list[Interval]) -> int:
    total = 0
    for x in a:
        for y in b:
            start, end = max(x.start, y.start), min(x.end, y.end)
            if start < end:
                total += int((end - start) // timedelta(minutes=1))
    return total


def _give_back(db: Session, origin: Origin, freed: Interval, how: Settling) -> None:
    """Credit freed minutes to the volunteer's other visits and activities."""
    volunteer_id = origin.volunteer_id
    visits = db.scalars(
        select(Visit)
        .join(VisitVolunteer, VisitVolunteer.visit_id == Visit.id)
        .where(
            VisitVolunteer.volunteer_id == volunteer_id,
            Visit.deleted_at.is_(None),
            Visit.started_at < freed.end,
            Visit.ended_at > freed.start,
        )
        .order_by(Visit.started_at, Visit.id)
    )
    for visit in list(visits):
        other = visit_origin(visit, volunteer_id)
        if other.key != origin.key:
            settle(db, other, visit_wants(visit, volunteer_id, [volunteer_id]), how)

    grace = timedelta(minutes=how.settings.checkin_grace_minutes)
    activities = db.scalars(
        select(Activity)
        .where(
            Activity.id.in_(
                select(CheckIn.activity_id).where(CheckIn.volunteer_id == volunteer_id)
            ),
            Activity.starts_at < freed.end + grace,
            Activity.ends_at > freed.start - grace,
        )
        .order_by(Activity.starts_at, Activity.id)
    )
    for activity in list(activities):
        other = activity_origin(activity, volunteer_id)
        if other.key != origin.key:
            wants = checkin_pairs(db, activity, volunteer_id, how.settings)
            settle(db, other, wants, how)
