"""Crediting, reviewing and adding up service time, on both engines."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from server.accounts.models import Role
from server.errors import Conflict, DomainError, Forbidden, NotFound
from server.ledger.counting import Interval
from server.ledger.models import LedgerEntry, LedgerReview
from server.ledger.service import (
    confirm,
    confirmed_minutes,
    confirmed_minutes_by_volunteer,
    credited_intervals,
    lock_volunteer,
    locked_volunteers,
    record_service,
    reject,
    reverse,
)
from tests.factories import make_activity, make_station, make_user, make_volunteer

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(*args: int) -> datetime:
    """A moment in Pu'er's local time, as an aware datetime."""
    return datetime(*args, tzinfo=SHANGHAI)


@pytest.fixture
def place(db):
    station = make_station(db)
    volunteer = make_volunteer(db, station)
    head = make_user(db, Role.head, station_id=station.id)
    return station, volunteer, head


def credit(db, station, volunteer, start, end, **kwargs):
    kwargs.setdefault("source", "scan")
    kwargs.setdefault("tz", SHANGHAI)
    return record_service(
        db,
        volunteer_id=volunteer.id,
        station_id=station.id,
        interval=Interval(start, end),
        **kwargs,
    )


def test_one_entry_per_local_day_across_new_year(db, place):
    station, volunteer, _ = place
    entries = credit(
        db, station, volunteer, at(2026, 12, 31, 22, 0), at(2027, 1, 1, 1, 30)
    )

    assert [(e.service_date, e.service_year, e.minutes) for e in entries] == [
        (date(2026, 12, 31), 2026, 120),
        (date(2027, 1, 1), 2027, 90),
    ]
    assert entries[0].ended_at == entries[1].started_at == at(2027, 1, 1, 0, 0)
    assert all(e.id is not None and not e.needs_review for e in entries)


def test_same_minutes_are_never_credited_twice(db, place):
    station, volunteer, _ = place
    other = make_activity(db, station)
    credit(db, station, volunteer, at(2026, 6, 1, 9, 0), at(2026, 6, 1, 11, 0))

    again = credit(
        db,
        station,
        volunteer,
        at(2026, 6, 1, 10, 0),
        at(2026, 6, 1, 12, 0),
        activity_id=other.id,
        source="visit",
    )

    assert [(e.started_at, e.minutes) for e in again] == [(at(2026, 6, 1, 11, 0), 60)]
    assert (
        credit(db, station, volunteer, at(2026, 6, 1, 9, 30), at(2026, 6, 1, 10)) == []
    )


def test_gap_between_credited_stretches_is_filled_with_truthful_entries(db, place):
    station, volunteer, _ = place
    credit(db, station, volunteer, at(2026, 6, 1, 9, 0), at(2026, 6, 1, 10, 0))
    credit(db, station, volunteer, at(2026, 6, 1, 11, 0), at(2026, 6, 1, 12, 0))

    entries = credit(db, station, volunteer, at(2026, 6, 1, 8, 0), at(2026, 6, 1, 13))

    assert [(e.started_at, e.ended_at, e.minutes) for e in entries] == [
        (at(2026, 6, 1, 8, 0), at(2026, 6, 1, 9, 0), 60),
        (at(2026, 6, 1, 10, 0), at(2026, 6, 1, 11, 0), 60),
        (at(2026, 6, 1, 12, 0), at(2026, 6, 1, 13, 0), 60),
    ]


def test_seconds_are_dropped_to_whole_minutes(db, place):
    station, volunteer, _ = place
    start = at(2026, 6, 1, 9, 0) + timedelta(seconds=1)
    end = at(2026, 6, 1, 9, 45) + timedelta(seconds=59)

    (entry,) = credit(db, station, volunteer, start, end)

    assert (entry.started_at, entry.ended_at, entry.minutes) == (
        at(2026, 6, 1, 9, 1),
        at(2026, 6, 1, 9, 45),
        44,
    )
    assert credit(db, station, volunteer, end, end + timedelta(seconds=30)) == []


def test_other_volunteers_minutes_do_not_block(db, place):
    station, volunteer, _ = place
    neighbour = make_volunteer(db, station)
    credit(db, station, volunteer, at(2026, 6, 1, 9), at(2026, 6, 1, 10))

    assert (
        len(credit(db, station, neighbour, at(2026, 6, 1, 9), at(2026, 6, 1, 10))) == 1
    )


def test_zone_is_required(db, place):
    station, volunteer, _ = place
    with pytest.raises(TypeError):
        credit(db, station, volunteer, at(2026, 6, 1, 9), at(2026, 6, 1, 10), tz=None)


def test_settings_give_the_zone(db, place, settings):
    station, volunteer, _ = place
    start = datetime(2026, 6, 1, 23, 0, tzinfo=UTC)  # 07:00 on June 2nd in Pu'er

    (entry,) = credit(
        db,
        station,
        volunteer,
        start,
        start + timedelta(hours=1),
        tz=None,
        settings=settings,
    )

    assert entry.service_date == date(2026, 6, 2)


def test_only_confirmed_entries_count(db, place):
    station, volunteer, head = place
    first, second = credit(
        db, station, volunteer, at(2026, 12, 31, 23, 0), at(2027, 1, 1, 1, 0)
    )
    assert confirmed_minutes(db, volunteer.id) == 0

    assert confirm(db, [first.id, second.id], head) == [first.id, second.id]

    assert confirmed_minutes(db, volunteer.id) == 120
    assert confirmed_minutes(db, volunteer.id, year=2026) == 60
    assert confirmed_minutes(db, volunteer.id, year=2027) == 60
    assert confirm(db, [first.id], head) == []  # already confirmed: nothing to do


def test_batch_totals_in_one_query(db, place):
    station, volunteer, head = place
    neighbour = make_volunteer(db, station)
    idle = make_volunteer(db, station)
    entries = credit(db, station, volunteer, at(2026, 6, 1, 9), at(2026, 6, 1, 10))
    entries += credit(db, station, neighbour, at(2026, 6, 1, 9), at(2026, 6, 1, 9, 30))
    confirm(db, [e.id for e in entries], head)

    assert confirmed_minutes_by_volunteer(
        db, [volunteer.id, neighbour.id, idle.id], year=2026
    ) == {volunteer.id: 60, neighbour.id: 30, idle.id: 0}
    assert confirmed_minutes_by_volunteer(db, []) == {}


def test_rejected_minutes_count_for_nothing_and_are_freed(db, place):
    station, volunteer, head = place
    (entry,) = credit(db, station, volunteer, at(2026, 6, 1, 9), at(2026, 6, 1, 10))

    reject(db, entry.id, head, "没有参加活动（测试）")

    assert confirm(db, [entry.id], head) == []
    assert confirmed_minutes(db, volunteer.id) == 0
    assert credited_intervals(db, volunteer.id) == []
    assert (
        len(credit(db, station, volunteer, at(2026, 6, 1, 9), at(2026, 6, 1, 10))) == 1
    )
    with pytest.raises(Conflict):
        reject(db, entry.id, head, "again")


def test_reject_needs_a_reason(db, place):
    station, volunteer, head = place
    (entry,) = credit(db, station, volunteer, at(2026, 6, 1, 9), at(2026, 6, 1, 10))
    with pytest.raises(DomainError):
        reject(db, entry.id, head, "  ")


def test_reversal_cancels_a_confirmed_entry_and_frees_its_minutes(db, place):
    station, volunteer, head = place
    (entry,) = credit(db, station, volunteer, at(2026, 6, 1, 9), at(2026, 6, 1, 10))
    with pytest.raises(Conflict):
        reverse(db, entry.id, head, "录错了")  # pending: reject it instead
    confirm(db, [entry.id], head)

    reversal = reverse(db, entry.id, head, "录错了")

    assert (reversal.minutes, reversal.reverses_id) == (-60, entry.id)
    assert confirmed_minutes(db, volunteer.id, year=2026) == 0
    assert credited_intervals(db, volunteer.id) == []
    with pytest.raises(Conflict):
        reverse(db, entry.id, head, "again")
    with pytest.raises(Conflict):
        reverse(db, reversal.id, head, "reverse the reversal")


def test_flagged_entries_are_confirmed_one_at_a_time(db, place):
    station, volunteer, head = place
    (plain,) = credit(db, station, volunteer, at(2026, 6, 1, 9), at(2026, 6, 1, 10))
    (flagged,) = credit(
        db,
        station,
        volunteer,
        at(2026, 6, 2, 9),
        at(2026, 6, 2, 10),
        needs_review=True,
        note="forgot to check out",
    )

    assert confirm(db, [plain.id, flagged.id], head) == [plain.id]
    with pytest.raises(DomainError):
        confirm(db, [plain.id, flagged.id], head, confirm_flagged=True)
    assert confirm(db, [flagged.id], head, confirm_flagged=True) == [flagged.id]
    assert confirmed_minutes(db, volunteer.id) == 120


def test_only_own_station_staff_review(db, place):
    station, volunteer, _ = place
    (entry,) = credit(db, station, volunteer, at(2026, 6, 1, 9), at(2026, 6, 1, 10))
    elsewhere = make_user(db, Role.head, station_id=make_station(db).id)
    captain = make_user(db, Role.captain, station_id=station.id)

    for outsider in (elsewhere, captain):
        with pytest.raises(Forbidden):
            confirm(db, [entry.id], outsider)
        with pytest.raises(Forbidden):
            reject(db, entry.id, outsider, "no")
    assert db.get(LedgerReview, entry.id) is None


def test_entries_stay_in_the_table(db, place):
    station, volunteer, head = place
    (entry,) = credit(db, station, volunteer, at(2026, 6, 1, 9), at(2026, 6, 1, 10))
    confirm(db, [entry.id], head)
    reverse(db, entry.id, head, "录错了")

    rows = db.scalars(
        select(LedgerEntry).where(LedgerEntry.volunteer_id == volunteer.id)
    ).all()
    assert sorted(r.minutes for r in rows) == [-60, 60]


def test_a_volunteer_is_locked_once_per_transaction(db, place):
    """A lock taken in the transaction, or one enclosing it, is held; one taken in a
    savepoint that was rolled back is not (PostgreSQL releases it)."""
    _, volunteer, _ = place
    lock_volunteer(db, volunteer.id)
    assert volunteer.id in locked_volunteers(db)
    with db.begin_nested():
        assert volunteer.id in locked_volunteers(db)

    other = make_volunteer(db, make_station(db))
    savepoint = db.begin_nested()
    lock_volunteer(db, other.id)
    assert other.id in locked_volunteers(db)
    savepoint.rollback()
    assert other.id not in locked_volunteers(db)
    assert volunteer.id in locked_volunteers(db)

    db.commit()
    assert locked_volunteers(db) == set()


def test_locking_a_missing_volunteer_is_refused(db, place):
    with pytest.raises(NotFound):
        lock_volunteer(db, 987654)
