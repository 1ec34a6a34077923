"""Two check-outs of one volunteer at the same moment never credit a minute twice.

These tests commit for real from two threads, so each runs on its own fresh
database (the shared test database rolls every test back, and ledger rows cannot
be deleted afterwards).
"""

import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlmodel import Session

from server.ledger import service
from server.ledger.counting import Interval
from server.ledger.models import LedgerEntry
from tests.conftest import ENGINES
from tests.engines import fresh_database
from tests.factories import make_station, make_volunteer

START = datetime(2026, 6, 1, 1, 0, tzinfo=UTC)


@pytest.fixture(params=ENGINES)
def real_engine(request, tmp_path):
    with fresh_database(request.param, tmp_path) as engine:
        yield engine


@pytest.fixture
def volunteer_place(real_engine):
    with Session(real_engine) as db:
        station = make_station(db)
        volunteer = make_volunteer(db, station)
        db.commit()
        return station.id, volunteer.id


@pytest.fixture
def slow_reads(monkeypatch):
    """Widen the gap between reading what is credited and writing, as a slow
    server under load would, so that a missing lock shows every time."""
    read = service.credited_intervals

    def slow(*args, **kwargs):
        found = read(*args, **kwargs)
        time.sleep(0.4)
        return found

    monkeypatch.setattr(service, "credited_intervals", slow)


def race(engine, station_id: int, volunteer_id: int, intervals: list[Interval]):
    """Record each interval from its own thread and session, all at once."""
    barrier = threading.Barrier(len(intervals))
    errors: list[BaseException] = []

    def worker(interval: Interval) -> None:
        try:
            with Session(engine) as db:
                barrier.wait()
                service.record_service(
                    db,
                    volunteer_id=volunteer_id,
                    station_id=station_id,
                    interval=interval,
                    source="scan",
                    tz="Asia/Shanghai",
                )
                db.commit()
        except BaseException as error:  # re-raised in the test thread
            errors.append(error)

    threads = [threading.Thread(target=worker, args=(i,)) for i in intervals]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    if errors:
        raise errors[0]

    with Session(engine) as db:
        return db.execute(
            select(func.sum(LedgerEntry.minutes), func.count()).where(
                LedgerEntry.volunteer_id == volunteer_id
            )
        ).one()


def test_simultaneous_records_credit_each_minute_once(
    real_engine, volunteer_place, slow_reads
):
    station_id, volunteer_id = volunteer_place
    same = Interval(START, START + timedelta(hours=1))

    minutes, entries = race(real_engine, station_id, volunteer_id, [same, same])

    assert (minutes, entries) == (60, 1)


def test_simultaneous_overlapping_records_add_only_new_minutes(
    real_engine, volunteer_place, slow_reads
):
    station_id, volunteer_id = volunteer_place
    first = Interval(START, START + timedelta(hours=2))
    second = Interval(START + timedelta(hours=1), START + timedelta(hours=3))

    minutes, _ = race(real_engine, station_id, volunteer_id, [first, second])

    assert minutes == 180


def test_without_the_lock_the_race_double_counts(
    real_engine, volunteer_place, slow_reads, monkeypatch
):
    """The check above can fail: take the lock away and the same hour counts twice.

    On SQLite every transaction takes the database's write lock as it begins, so
    the row lock is not what serialises the two and the hour still counts once.
    """
    monkeypatch.setattr(service, "lock_volunteer", lambda db, volunteer_id: None)
    station_id, volunteer_id = volunteer_place
    same = Interval(START, START + timedelta(hours=1))

    minutes, _ = race(real_engine, station_id, volunteer_id, [same, same])

    assert minutes == (60 if real_engine.dialect.name == "sqlite" else 120)
