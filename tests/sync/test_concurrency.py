"""The same batch pushed at once over several connections: each record is applied
once, every other copy answers `duplicate`, and no minute is credited twice."""

import threading
from collections import Counter, defaultdict
from datetime import timedelta

from sqlalchemy import func, select
from sqlmodel import Session

from server.accounts.models import User
from server.cards.tokens import card_keys
from server.settings import Settings
from server.visits.models import Visit
from sync.models import SyncRecord
from sync.protocol import read_batch
from sync.reconcile import push
from tests.sync.builders import NOW, T0, Phone, live_minutes, make_field, new_id

SETTINGS = Settings.from_env({}, environment="test")
THREADS = 6


def field_work(engine, phone: Phone):
    """A committed field and 80 records: visits with updates, and card scans."""
    with Session(engine, expire_on_commit=False) as db:
        field = make_field(db, volunteers=4)
        db.commit()
    records = []
    for n in range(30):
        visit_id = new_id()
        start = T0 + timedelta(minutes=7 * n)
        volunteers = [field.volunteers[n % 4], field.volunteers[(n + 1) % 4]]
        records.append(
            phone.visit("create", visit_id, field, start=start, volunteers=volunteers)
        )
        if n % 3 == 0:
            records.append(
                phone.visit(
                    "update",
                    visit_id,
                    field,
                    start=start,
                    minutes=30,
                    volunteers=volunteers,
                )
            )
    keys = card_keys(SETTINGS)
    for n in range(40):
        volunteer = field.volunteers[n % 4]
        at = T0 + timedelta(minutes=3 * n)
        token = keys.phone_token(SETTINGS, volunteer.volunteer_no, at)
        payload = {"activity_id": field.activity.id, "card_token": token}
        records.append(phone.record("checkin", "in" if n % 2 else "out", at, payload))
    return field, records


def push_from_threads(engine, user_id: int, bodies: list[dict]) -> list[dict]:
    """Push each body from its own thread and connection, all starting together."""
    barrier = threading.Barrier(len(bodies))
    answers: list[dict] = [{} for _ in bodies]
    errors: list[BaseException] = []

    def worker(index: int) -> None:
        try:
            with Session(engine, expire_on_commit=False) as db:
                user = db.get(User, user_id)
                # End the read's transaction: on SQLite every transaction holds the
                # write lock, which would keep the other threads from the barrier.
                db.commit()
                batch = read_batch(bodies[index])
                barrier.wait()
                result = push(db, user, batch, SETTINGS, now=NOW)
                answers[index] = {a.id: a.as_dict() for a in result.answers}
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(len(bodies))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not errors, errors
    return answers


def check_applied_once(engine, field, records, answers) -> None:
    by_record = defaultdict(Counter)
    for thread_answers in answers:
        assert len(thread_answers) == len(records)
        for record_id, answer in thread_answers.items():
            by_record[record_id][answer["status"]] += 1
            if answer["status"] == "duplicate":
                assert answer["first_status"] == "accepted", answer

    for record in records:
        counts = by_record[record["id"]]
        assert counts["accepted"] == 1, (record["kind"], counts)
        assert counts["duplicate"] == len(answers) - 1, counts

    with Session(engine) as db:
        ids = [r["id"] for r in records]
        stored = db.scalar(
            select(func.count()).select_from(SyncRecord).where(SyncRecord.id.in_(ids))
        )
        assert stored == len(records)
        visits = db.scalar(
            select(func.count())
            .select_from(Visit)
            .where(Visit.station_id == field.station.id)
        )
        assert visits == 30
        minutes = live_minutes(db, field)
    return minutes


def expected_minutes(engine, records) -> dict:
    """The same records pushed once, cleanly, into a second field."""
    phone = Phone()
    field, clean = field_work(engine, phone)
    with Session(engine, expire_on_commit=False) as db:
        user = db.get(User, field.captain.id)
        push(db, user, read_batch(phone.batch(clean)), SETTINGS, now=NOW)
        by_index = {i: v for i, v in enumerate(field.volunteers)}
        return {
            (i, day): m
            for (vid, day), m in live_minutes(db, field).items()
            for i, v in by_index.items()
            if v.id == vid
        }


def as_indexed(field, minutes: dict) -> dict:
    index = {v.id: i for i, v in enumerate(field.volunteers)}
    return {(index[v], day): m for (v, day), m in minutes.items()}


def test_one_device_pushing_the_same_batch_from_many_threads(committed_engine):
    phone = Phone()
    field, records = field_work(committed_engine, phone)
    body = phone.batch(records)

    answers = push_from_threads(committed_engine, field.captain.id, [body] * THREADS)

    minutes = check_applied_once(committed_engine, field, records, answers)
    assert as_indexed(field, minutes) == expected_minutes(committed_engine, records)


def test_the_same_records_from_several_devices_at_once(committed_engine):
    """Different device ids are not queued behind one another, so the copies race
    on the record's primary key and on the volunteers' locks."""
    phone = Phone()
    field, records = field_work(committed_engine, phone)
    bodies = []
    for n in range(THREADS):
        body = phone.batch(records)
        body["device_id"] = new_id()
        # Each device sends them in another order, so that locks cross and
        # updates sometimes arrive before their visits.
        turn = n * len(records) // THREADS
        order = records[turn:] + records[:turn]
        body["records"] = order[::-1] if n % 2 else order
        bodies.append(body)

    answers = push_from_threads(committed_engine, field.captain.id, bodies)

    minutes = check_applied_once(committed_engine, field, records, answers)
    assert as_indexed(field, minutes) == expected_minutes(committed_engine, records)
