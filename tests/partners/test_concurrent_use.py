"""Two counters recording the same benefit for the same volunteer at the same moment:
the per-day limit still holds, on SQLite and on PostgreSQL.

These tests need committed rows that separate connections can see, so they write
outside the rolled-back test transaction and delete what they made afterwards.
"""

import threading
from datetime import date

import pytest
from sqlalchemy import delete
from sqlmodel import Session, select

from server.accounts.models import Role, User
from server.db import utcnow
from server.partners import service
from server.partners.models import Benefit, BenefitUse
from server.stations.models import Community, Station
from server.volunteers.models import Volunteer
from tests.factories import make_partner, make_station, make_user, make_volunteer


@pytest.fixture
def shared(engine):
    """A partner with counters, and a volunteer, committed for every connection."""
    made: dict = {}
    with Session(engine, expire_on_commit=False) as db:
        partner, benefit = make_partner(db)
        partner.agreement_starts, partner.agreement_ends = (
            date(2000, 1, 1),
            date(2999, 12, 31),
        )
        station = make_station(db)
        volunteer = make_volunteer(db, station)
        counters = [
            make_user(db, Role.partner, partner_id=partner.id) for _ in range(3)
        ]
        db.commit()
        made.update(
            partner=partner,
            benefit=benefit,
            station=station,
            volunteer=volunteer,
            counters=counters,
        )
    yield made

    with Session(engine) as db:
        db.exec(delete(BenefitUse).where(BenefitUse.benefit_id == benefit.id))
        db.exec(delete(User).where(User.partner_id == partner.id))
        db.exec(delete(Benefit).where(Benefit.id == benefit.id))
        db.delete(db.get(type(partner), partner.id))
        db.exec(delete(Volunteer).where(Volunteer.id == volunteer.id))
        db.exec(delete(Station).where(Station.id == station.id))
        db.exec(delete(Community).where(Community.id == station.community_id))
        db.commit()


def race(engine, settings, shared, monkeypatch, counters: int) -> list:
    """Let `counters` threads count today's uses, wait until all have counted, then
    all insert at once; returns each thread's use or refusal.

    SQLite transactions take the write lock as they begin, so there the counters
    queue instead of racing, and no barrier is needed (it would deadlock).
    """
    serialised = engine.dialect.name == "sqlite"
    barrier = threading.Barrier(counters, timeout=20)
    first_count = threading.local()
    real_uses_on = service.uses_on

    def uses_on_then_wait(*args, **kwargs):
        counted = real_uses_on(*args, **kwargs)
        if not serialised and not getattr(first_count, "done", False):
            first_count.done = True
            barrier.wait()
        return counted

    monkeypatch.setattr(service, "uses_on", uses_on_then_wait)
    now = utcnow()
    partner, volunteer = shared["partner"], shared["volunteer"]
    reference = service.sign_reference(
        settings, service.USE, volunteer.id, partner.id, now
    )
    outcomes: list = [None] * counters

    def counter(index: int) -> None:
        with Session(engine, expire_on_commit=False) as db:
            user = db.get(User, shared["counters"][index].id)
            try:
                outcomes[index] = service.record_use(
                    db, settings, user, reference, shared["benefit"].id, now
                )
            except service.UseRefused as refused:
                outcomes[index] = refused
            except Exception as error:  # surfaced by the assertions below
                outcomes[index] = error

    threads = [threading.Thread(target=counter, args=(i,)) for i in range(counters)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


def stored_slots(engine, shared) -> list[int]:
    with Session(engine) as db:
        query = select(BenefitUse.slot).where(
            BenefitUse.benefit_id == shared["benefit"].id
        )
        return sorted(db.exec(query))


def test_two_counters_at_once_record_one_use(engine, settings, shared, monkeypatch):
    outcomes = race(engine, settings, shared, monkeypatch, counters=2)

    recorded = [o for o in outcomes if isinstance(o, BenefitUse)]
    refused = [o for o in outcomes if isinstance(o, service.UseRefused)]
    assert len(recorded) == 1 and len(refused) == 1, outcomes
    assert refused[0].code == "limit_reached"
    assert stored_slots(engine, shared) == [1]


def test_three_counters_at_once_under_a_limit_of_two(
    engine, settings, shared, monkeypatch
):
    with Session(engine) as db:
        benefit = db.get(Benefit, shared["benefit"].id)
        benefit.per_day_limit = 2
        db.add(benefit)
        db.commit()

    outcomes = race(engine, settings, shared, monkeypatch, counters=3)

    recorded = [o for o in outcomes if isinstance(o, BenefitUse)]
    refused = [o for o in outcomes if isinstance(o, service.UseRefused)]
    assert len(recorded) == 2 and len(refused) == 1, outcomes
    assert stored_slots(engine, shared) == [1, 2]
