"""Applying a pushed batch: each record once, in its own savepoint, answered the same
way however often and however concurrently it is sent (docs/sync.md).

Records are committed in groups of `GROUP_SIZE`. Every group transaction starts by
writing the device's row, which on SQLite takes the write lock before anything is
read and on PostgreSQL queues pushes from the same device behind each other. A
record's id is its row's primary key: a copy racing in from another connection
fails to insert, and then reads the answer the first copy stored.
"""

import json
import random
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlmodel import Session

from server.accounts.models import User
from server.db import utcnow
from server.errors import DomainError
from server.i18n import _
from server.ledger.service import mark_locked
from server.logs import get_logger
from server.settings import Settings
from server.visits.models import Visit
from server.volunteers.models import Volunteer
from sync.checkins import apply_checkin
from sync.credit import Settling, write_links
from sync.flags import raise_flag
from sync.models import Device, FlagKind, RecordStatus, SyncRecord
from sync.protocol import (
    Batch,
    BatchError,
    Contested,
    Held,
    Incoming,
    Refusal,
    Transient,
    clock_offset,
    dumps,
    is_uuid,
    read_record,
    unknown_id_refusal,
)
from sync.scope import Scope, load_scope, volunteers_touched
from sync.visits import apply_visit

log = get_logger(__name__)
T = TypeVar("T")

GROUP_SIZE = 50
ATTEMPTS = 4
FINAL = (RecordStatus.accepted, RecordStatus.refused, RecordStatus.conflict)


@dataclass
class Answer:
    id: str | None
    status: str
    reason: str = ""
    message: str = ""
    waits_for: str | None = None
    first_status: str | None = None

    def as_dict(self) -> dict[str, Any]:
        answer: dict[str, Any] = {"id": self.id, "status": self.status}
        if self.first_status:
            answer["first_status"] = self.first_status
        if self.reason:
            answer["reason"] = self.reason
            answer["message"] = self.message
        if self.waits_for:
            answer["waits_for"] = self.waits_for
        return answer


@dataclass
class PushResult:
    device_id: str
    server_time: datetime
    clock_offset_seconds: int
    clock_flagged: bool
    answers: list[Answer]

    @property
    def counts(self) -> dict[str, int]:
        counts = Counter(answer.status for answer in self.answers)
        statuses = ("accepted", "duplicate", "refused", "held", "conflict")
        return {status: counts.get(status, 0) for status in statuses}

    def as_dict(self) -> dict[str, Any]:
        return {
            "device_id": self.device_id,
            "server_time": self.server_time.isoformat(),
            "clock_offset_seconds": self.clock_offset_seconds,
            "clock_flagged": self.clock_flagged,
            "results": [answer.as_dict() for answer in self.answers],
            "counts": self.counts,
        }


@dataclass
class Run:
    """One push being applied, and what it must come back to once committed."""

    db: Session
    settings: Settings
    user: User
    device_id: str
    now: datetime
    offset: int
    scopes: dict[int, Scope] = field(default_factory=dict)
    finished: list[str] = field(default_factory=list)
    known: set[str] = field(default_factory=set)
    decided: set[str] = field(default_factory=set)
    waiting: list[str] = field(default_factory=list)
    _done_in_group: list[str] = field(default_factory=list)
    _held_in_group: list[str] = field(default_factory=list)

    def scope_for(self, user_id: int) -> Scope:
        if user_id not in self.scopes:
            user = self.user if user_id == self.user.id else self.db.get(User, user_id)
            self.scopes[user_id] = load_scope(self.db, user)
        return self.scopes[user_id]


def push(
    db: Session,
    user: User,
    batch: Batch,
    settings: Settings,
    *,
    now: datetime | None = None,
) -> PushResult:
    """Apply a batch; raises BatchError (refused whole) or Transient (send again)."""
    started = time.perf_counter()
    now = now or utcnow()
    measured = round((now - batch.sent_at).total_seconds())
    flagged = abs(measured) > settings.sync_clock_flag_seconds
    run = Run(
        db, settings, user, batch.device_id, now, clock_offset(batch.sent_at, now)
    )
    _in_transaction(run, lambda: _claim_device(run, measured, flagged))

    answers: list[Answer | None] = []
    readable: list[tuple[int, Incoming]] = []
    for raw in batch.records:
        record = read_record(raw)
        if record is None:
            refusal = unknown_id_refusal()
            raw_id = raw.get("id") if isinstance(raw, dict) else None
            answer_id = raw_id if isinstance(raw_id, str) else None
            answers.append(
                Answer(answer_id, "refused", refusal.reason, refusal.message)
            )
            continue
        answers.append(None)
        readable.append((len(answers) - 1, record))

    for start in range(0, len(readable), GROUP_SIZE):
        group = readable[start : start + GROUP_SIZE]
        done = _in_groups(
            run,
            group,
            lambda item: (item[0], _receive(run, item[1])),
            lambda item: (item[1].kind, item[1].payload, item[1].made_at),
            lambda items: _known_ids(run, [record.id for _i, record in items]),
        )
        for index, answer in done:
            answers[index] = answer
        _release(run)

    result = PushResult(
        run.device_id, now, run.offset, flagged, _refresh_held(run, answers)
    )
    # Only reads since the last commit; end them so that no lock outlives the push.
    db.commit()
    log.info(
        "sync_batch",
        device_id=run.device_id,
        user_id=user.id,
        records=len(batch.records),
        clock_offset_seconds=run.offset,
        clock_flagged=flagged,
        ms=round((time.perf_counter() - started) * 1000),
        **result.counts,
    )
    return result


# Transactions ---------------------------------------------------------------


def _in_groups(
    run: Run,
    items: list[Any],
    apply: Callable[[Any], T],
    locks: Callable[[Any], tuple[str, dict, datetime | None]],
    before: Callable[[list[Any]], None] | None = None,
) -> list[T]:
    """Apply `items` in one transaction, their volunteers locked first in id order.

    If that keeps failing (PostgreSQL found a deadlock with another push whose
    guess of its volunteers fell short), apply them one transaction each: a single
    record claims its id before it locks anyone, so it cannot close a cycle.
    """

    def work(group: list[Any]) -> list[T]:
        _lock_volunteers(run, [locks(item) for item in group])
        if before is not None:
            before(group)
        return [apply(item) for item in group]

    if len(items) > 1:
        try:
            return _in_transaction(run, lambda: work(items), attempts=2)
        except Transient:
            log.warning("sync_group_split", records=len(items))
    done: list[T] = []
    for item in items:
        done += _in_transaction(run, lambda i=item: work([i]))
    return done


def _lock_volunteers(run: Run, records: list[tuple[str, dict, datetime | None]]):
    """Lock, in id order, every volunteer these records will credit (PostgreSQL;
    on SQLite the transaction already holds the only write lock)."""
    if run.db.get_bind().dialect.name != "postgresql":
        return
    ids = volunteers_touched(run.db, run.settings, run.user, records)
    if ids:
        run.db.execute(
            select(Volunteer.id)
            .where(Volunteer.id.in_(sorted(ids)))
            .order_by(Volunteer.id)
            .with_for_update()
        ).all()
        # record_service then skips locking them again, volunteer by volunteer.
        mark_locked(run.db, ids)


def _in_transaction(
    run: Run, work: Callable[[], T], *, touch: bool = True, attempts: int = 0
) -> T:
    """Run `work` in one transaction and commit; retry what the database calls
    transient (a lock timeout, a deadlock), then give up with Transient."""
    attempts = attempts or ATTEMPTS
    for attempt in range(attempts):
        run._done_in_group, run._held_in_group = [], []
        try:
            if touch:
                _touch_device(run)
            result = work()
            run.db.commit()
        except OperationalError as error:
            run.db.rollback()
            log.warning("sync_retry", attempt=attempt, error=type(error.orig).__name__)
            if attempt + 1 == attempts:
                raise Transient() from error
            time.sleep(0.05 * 2**attempt + random.random() * 0.05)
            continue
        except BaseException:
            run.db.rollback()
            raise
        run.finished.extend(run._done_in_group)
        run.decided.update(run._done_in_group)
        run.waiting.extend(run._held_in_group)
        return result
    raise AssertionError("unreachable")


def _touch_device(run: Run) -> None:
    # A write first: see the module's docstring.
    run.db.execute(
        update(Device)
        .where(Device.id == run.device_id)
        .values(last_seen_at=run.now)
        .execution_options(synchronize_session=False)
    )


def _claim_device(run: Run, measured: int, flagged: bool) -> None:
    db = run.db
    device = db.get(Device, run.device_id, with_for_update=True, populate_existing=True)
    if device is None:
        device = Device(
            id=run.device_id,
            user_id=run.user.id,
            station_id=run.user.station_id,
            first_seen_at=run.now,
        )
        try:
            with db.begin_nested():
                db.add(device)
                db.flush()
        except IntegrityError:
            device = db.get(Device, run.device_id, populate_existing=True)
    if device is None or device.user_id != run.user.id:
        raise BatchError(
            "device_taken",
            _("This device id belongs to another login. Make a new one."),
            409,
        )
    device.last_seen_at = run.now
    device.last_offset_seconds = measured
    if flagged:
        raise_flag(
            db,
            key=f"clock:{run.device_id}",
            kind=FlagKind.clock,
            station_id=device.station_id,
            device_id=run.device_id,
            reason="clock",
            offset_seconds=measured,
        )
    db.flush()


# One record -------------------------------------------------------------------


def _known_ids(run: Run, ids: list[str]) -> None:
    """Which of these records are stored already: one query for a whole group."""
    query = select(SyncRecord.id).where(SyncRecord.id.in_(ids))
    run.known = set(run.db.scalars(query))


def _locked_record(db: Session, record_id: str) -> SyncRecord | None:
    return db.get(SyncRecord, record_id, with_for_update=True, populate_existing=True)


def _receive(run: Run, record: Incoming) -> Answer:
    if record.id in run.known:
        row = _locked_record(run.db, record.id)
        if row is not None:
            return _known(run, row)
    row = _new_row(run, record)
    if record.problem is not None:
        return _store(run, row, RecordStatus.refused, record.problem, new=True)
    return _attempt(run, row, new=True, payload=record.payload)


def _new_row(run: Run, record: Incoming) -> SyncRecord:
    target = record.payload.get("visit_id") if record.kind == "visit" else ""
    return SyncRecord(
        id=record.id,
        device_id=run.device_id,
        user_id=run.user.id,
        seq=record.seq,
        kind=record.kind[:10],
        op=record.op[:10],
        made_at=record.made_at or run.now,
        clock_offset_seconds=run.offset,
        payload=dumps(record.payload),
        base_id=record.base_id,
        target=target.lower() if is_uuid(target) else "",
        status=RecordStatus.held,
        received_at=run.now,
    )


def _known(run: Run, row: SyncRecord) -> Answer:
    """A record the server has seen: the same answer, or another try if held."""
    if row.user_id != run.user.id:
        refusal = Refusal("id_taken", _("This record id was used by someone else."))
        return Answer(row.id, "refused", refusal.reason, refusal.message)
    if row.status == RecordStatus.held:
        return _attempt(run, row)
    return Answer(row.id, "duplicate", row.reason, row.message, first_status=row.status)


def _attempt(
    run: Run, row: SyncRecord, *, new: bool = False, payload: dict | None = None
) -> Answer:
    """Apply the record and store its answer, in one savepoint.

    A new record's row is written last: if a copy of it was committed meanwhile by
    another connection, that insert fails on the primary key, everything this copy
    did is rolled back with the savepoint, and the first copy's answer is read.
    """
    db = run.db
    scope = run.scope_for(row.user_id)
    how = Settling(
        run.settings,
        recorded_by=row.user_id,
        record_id=row.id,
        needs_review=abs(row.clock_offset_seconds)
        > run.settings.sync_clock_flag_seconds,
    )
    apply = apply_visit if row.kind == "visit" else apply_checkin
    try:
        with db.begin_nested():
            apply(db, row, payload or json.loads(row.payload), scope, how)
            write_links(db, how)
            _set_decision(run, row, RecordStatus.accepted)
            if new:
                db.add(row)
            db.flush()
    except Held as held:
        return _store(run, row, RecordStatus.held, new=new, waits_for=held.waits_for)
    except Contested as contested:
        return _store(run, row, RecordStatus.conflict, contested, new=new)
    except Refusal as refusal:
        return _store(run, row, RecordStatus.refused, refusal, new=new)
    except DomainError as error:
        # Refusals of other features: an expired code, a revoked card.
        why = Refusal(error.code, error.message)
        return _store(run, row, RecordStatus.refused, why, new=new)
    except IntegrityError:
        return _raced(run, row)
    run._done_in_group.append(row.id)
    return Answer(row.id, "accepted")


def _store(
    run: Run,
    row: SyncRecord,
    status: str,
    why: Refusal | Contested | None = None,
    *,
    new: bool,
    waits_for: str | None = None,
) -> Answer:
    """Store an answer other than `accepted` (nothing of the record was applied)."""
    db = run.db
    try:
        with db.begin_nested():
            if status == RecordStatus.held:
                row.status, row.waits_for = RecordStatus.held, waits_for
            else:
                _set_decision(run, row, status, why)
            if new:
                db.add(row)
            if status == RecordStatus.conflict:
                _flag_conflict(run, row, row.reason)
            db.flush()
    except IntegrityError:
        return _raced(run, row)
    if status == RecordStatus.held:
        run._held_in_group.append(row.id)
        message = _("Waiting for the earlier change this one follows.")
        return Answer(row.id, "held", "waiting_for_base", message, waits_for=waits_for)
    run._done_in_group.append(row.id)
    return Answer(row.id, RecordStatus(status).value, row.reason, row.message)


def _raced(run: Run, row: SyncRecord) -> Answer:
    """A unique key was taken by a connection that committed meanwhile."""
    existing = _locked_record(run.db, row.id)
    if existing is not None:
        return _known(run, existing)
    if row.kind == "visit" and row.op == "create":
        why = Refusal("visit_exists", _("A visit with this id already exists."))
        return _store(run, row, RecordStatus.refused, why, new=True)
    raise RuntimeError("a unique key was taken, but not by a copy of this record")


def _set_decision(
    run: Run, row: SyncRecord, status: str, why: Refusal | Contested | None = None
) -> None:
    row.status = status
    row.reason = why.reason[:40] if why else ""
    row.message = why.message[:300] if why else ""
    row.waits_for = None
    row.decided_at = run.now
    row.payload = _without_photo(row.payload)


def _flag_conflict(run: Run, row: SyncRecord, reason: str) -> None:
    station_id = None
    if row.kind == "visit" and row.target:
        station_id = run.db.scalar(
            select(Visit.station_id).where(Visit.id == row.target)
        )
    row.station_id = station_id or row.station_id or run.user.station_id
    raise_flag(
        run.db,
        key=f"conflict:{row.id}",
        kind=FlagKind.conflict,
        station_id=row.station_id,
        device_id=row.device_id,
        record_id=row.id,
        reason=reason[:40],
    )


def _without_photo(payload: str) -> str:
    """The stored payload keeps the photo's size, not its bytes, once applied."""
    if '"photo"' not in payload:
        return payload
    data = json.loads(payload)
    photo = data.get("photo")
    if isinstance(photo, dict) and isinstance(photo.get("data"), str):
        data["photo"] = {
            "content_type": photo.get("content_type"),
            "base64_chars": len(photo["data"]),
        }
        return dumps(data)
    return payload


# Held records -----------------------------------------------------------------


def _release(run: Run) -> None:
    """Apply held records whose base is now final, each in its own transaction
    group, until no more become ready."""
    for _round in range(1000):
        ready = _ready_followers(run)
        if not ready:
            return
        for start in range(0, len(ready), GROUP_SIZE):
            group = ready[start : start + GROUP_SIZE]
            rows = run.db.execute(
                select(SyncRecord.id, SyncRecord.kind, SyncRecord.payload).where(
                    SyncRecord.id.in_(group)
                )
            ).all()
            run.db.commit()  # only a read: end it, so no lock is held meanwhile
            payloads = {
                i: (kind, json.loads(payload), None) for i, kind, payload in rows
            }
            _in_groups(
                run,
                group,
                lambda i: _retry_held(run, i),
                lambda i, known=payloads: known.get(i, ("", {}, None)),
            )


def _ready_followers(run: Run) -> list[str]:
    finished, run.finished = run.finished, []
    waiting, run.waiting = run.waiting, []
    ready: list[str] = []
    for start in range(0, len(finished), 500):
        ids = finished[start : start + 500]
        ready += run.db.scalars(
            select(SyncRecord.id).where(
                SyncRecord.waits_for.in_(ids), SyncRecord.status == RecordStatus.held
            )
        )
    # A record held just as its base was committed by another connection: the other
    # connection's look for followers may have missed it, so look from this side.
    for start in range(0, len(waiting), 500):
        ids = waiting[start : start + 500]
        base = SyncRecord.__table__.alias("base")
        ready += run.db.scalars(
            select(SyncRecord.id)
            .join(base, base.c.id == SyncRecord.waits_for)
            .where(
                SyncRecord.id.in_(ids),
                SyncRecord.status == RecordStatus.held,
                base.c.status.in_(FINAL),
            )
        )
    return sorted(set(ready))


def _retry_held(run: Run, record_id: str) -> Answer | None:
    row = _locked_record(run.db, record_id)
    if row is None or row.status != RecordStatus.held:
        return None
    return _attempt(run, row)


def _refresh_held(run: Run, answers: list[Answer | None]) -> list[Answer]:
    """Records answered `held` that were decided later in the same push get the
    answer they ended with: theirs if this push decided, `duplicate` if another
    connection did meanwhile."""
    held = [a.id for a in answers if a is not None and a.status == "held"]
    rows = {}
    if held:
        query = select(SyncRecord).where(
            SyncRecord.id.in_(held), SyncRecord.status.in_(FINAL)
        )
        rows = {row.id: row for row in run.db.scalars(query)}
    final: list[Answer] = []
    for answer in answers:
        assert answer is not None
        row = rows.get(answer.id)
        if row is not None and row.id in run.decided:
            status = RecordStatus(row.status).value
            answer = Answer(row.id, status, row.reason, row.message)
        elif row is not None:
            answer = Answer(
                row.id,
                "duplicate",
                row.reason,
                row.message,
                first_status=RecordStatus(row.status).value,
            )
        final.append(answer)
    return final
