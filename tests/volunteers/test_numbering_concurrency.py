"""Two staff approve at the same moment, each in their own session and thread, on
the real engines. The rows are committed for real, so the test removes them.

On PostgreSQL a barrier makes both approvals read the county's highest number
before either writes, so the race happens every run instead of by luck. SQLite
transactions take the write lock when they begin (BEGIN IMMEDIATE), so there the
second approval waits for the first and the race cannot happen: the test checks
that the queueing gives the same result.
"""

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime

from sqlalchemy import delete
from sqlalchemy.engine import Engine
from sqlmodel import Session

import server.volunteers.review as review
from server.errors import Conflict
from server.stations.models import Community, Station
from server.volunteers.models import RegistrationStatus, Volunteer

# 西盟佤族自治县 and its 岳宋乡: a county no other test numbers volunteers in.
COUNTY, TOWNSHIP = "530829", "530829203"
NOW = datetime(2026, 12, 4, 8, 0, tzinfo=UTC)


@contextmanager
def committed_registrations(engine: Engine, count: int) -> Iterator[tuple[int, list]]:
    with Session(engine) as db:
        community = Community(name="测试并发社区", township_code=TOWNSHIP)
        db.add(community)
        db.flush()
        station = Station(
            name="测试并发服务站",
            community_id=community.id,
            county_code=COUNTY,
            township_code=TOWNSHIP,
        )
        db.add(station)
        db.flush()
        volunteers = [
            Volunteer(
                station_id=station.id,
                name=f"测试并发{n}",
                sex="male",
                birth_date=date(1990, 1, 1),
                id_type="other",
                id_number=f"TESTRACE{n:06d}",
                mobile=f"1390009{n:04d}",
                emergency_name="测试联系人",
                emergency_mobile="13900009999",
            )
            for n in range(count)
        ]
        db.add_all(volunteers)
        db.commit()
        ids = (station.id, community.id, [v.id for v in volunteers])
    try:
        yield ids[0], ids[2]
    finally:
        with Session(engine) as db:
            db.exec(delete(Volunteer).where(Volunteer.id.in_(ids[2])))
            db.exec(delete(Station).where(Station.id == ids[0]))
            db.exec(delete(Community).where(Community.id == ids[1]))
            db.commit()


def race(engine: Engine, monkeypatch, station_id: int, volunteer_ids: list[int]):
    """Approve each id in its own thread and session; each thread's first reading
    of the next number waits until every thread has read one."""
    serialised = engine.dialect.name == "sqlite"
    barrier = threading.Barrier(len(volunteer_ids), timeout=20)
    real = review.next_volunteer_no
    local = threading.local()
    calls: list[str] = []
    outcomes: list[object] = []

    def next_volunteer_no(db, county):
        number = real(db, county)
        calls.append(number)
        if not serialised and not getattr(local, "waited", False):
            local.waited = True
            barrier.wait()
        return number

    def approve(volunteer_id: int) -> None:
        with Session(engine, expire_on_commit=False) as db:
            try:
                volunteer = review.approve_registration(
                    db, station_id, volunteer_id, decided_by=1, now=NOW
                )
                outcomes.append(volunteer.volunteer_no)
            except Exception as error:  # each thread's outcome is checked below
                outcomes.append(error)

    monkeypatch.setattr(review, "next_volunteer_no", next_volunteer_no)
    threads = [threading.Thread(target=approve, args=(v,)) for v in volunteer_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    return outcomes, calls


def test_simultaneous_approvals_in_one_county_get_different_numbers(
    engine, monkeypatch
):
    with committed_registrations(engine, 2) as (station_id, ids):
        with Session(engine) as db:
            first = review.next_volunteer_no(db, COUNTY)
        outcomes, calls = race(engine, monkeypatch, station_id, ids)

        following = f"{COUNTY}{int(first[6:]) + 1:06d}"
        assert sorted(map(str, outcomes)) == [first, following], outcomes
        if engine.dialect.name == "sqlite":
            assert calls == [first, following]
        else:
            # Both read the same number; one of them had to try again.
            assert calls == [first, first, following]
        with Session(engine) as db:
            for volunteer_id in ids:
                volunteer = db.get(Volunteer, volunteer_id)
                assert volunteer.status == RegistrationStatus.approved
                assert volunteer.decided_at is not None


def test_two_staff_approving_one_registration_at_once_approve_it_once(
    engine, monkeypatch
):
    with committed_registrations(engine, 1) as (station_id, [volunteer_id]):
        outcomes, _calls = race(
            engine, monkeypatch, station_id, [volunteer_id, volunteer_id]
        )

        approved = [o for o in outcomes if isinstance(o, str)]
        refused = [o for o in outcomes if isinstance(o, Conflict)]
        assert len(approved) == 1 and len(refused) == 1, outcomes
        with Session(engine) as db:
            assert db.get(Volunteer, volunteer_id).volunteer_no == approved[0]
