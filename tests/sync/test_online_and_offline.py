"""Offline scans that arrive after the volunteer checked in and out online: the
ledger credits the union of the stays served, each minute once, in any order."""

from datetime import timedelta

from sqlalchemy import select

from server.accounts.models import User
from server.activities.codes import make_code
from server.activities.service import check_in_or_out
from server.ledger.counting import Interval, merge
from server.ledger.models import LedgerEntry
from server.settings import Settings
from sync.credit import live_entry
from tests.sync.builders import T0, Phone, make_field, send

SETTINGS = Settings.from_env({}, environment="test")


def at(minutes: int, seconds: float = 0):
    return T0 + timedelta(minutes=minutes, seconds=seconds)


def login_of(db, volunteer) -> User:
    return db.scalars(select(User).where(User.volunteer_id == volunteer.id)).one()


def code_scan(phone: Phone, op: str, activity, moment):
    code = make_code(activity.id, SETTINGS, now=moment)
    return phone.record("checkin", op, moment, {"activity_code": code})


def online(db, field, volunteer, kind: str, moment) -> None:
    check_in_or_out(db, field.activity, volunteer, SETTINGS, kind=kind, now=moment)
    db.flush()


def live(db, volunteer) -> list[Interval]:
    rows = db.execute(
        select(LedgerEntry.started_at, LedgerEntry.ended_at)
        .where(LedgerEntry.volunteer_id == volunteer.id, live_entry())
        .order_by(LedgerEntry.started_at)
    )
    return [Interval(start, end) for start, end in rows]


def assert_once(entries: list[Interval], expected: list[Interval]) -> None:
    """No minute credited twice, and the credited minutes are exactly `expected`."""
    total = sum(e.minutes for e in entries)
    assert total == sum(e.minutes for e in merge(entries)), entries
    assert merge(entries) == merge(expected), entries


def test_late_offline_scans_around_an_online_stay_credit_each_minute_once(db):
    """in 7:25 out 9:29 offline; online 9:29.5-10:34; then "in" and "out" pushed
    apart. Only 8-9 is a whole minute served (the online stay holds none)."""
    field = make_field(db)
    volunteer = field.volunteers[0]
    phone = Phone()
    scan_in = code_scan(phone, "in", field.activity, at(7, 26))
    scan_out = code_scan(phone, "out", field.activity, at(9, 29))
    online(db, field, volunteer, "in", at(9, 29.5))
    online(db, field, volunteer, "out", at(10, 34))

    user = login_of(db, volunteer)
    send(db, user, phone, [scan_in], sent=at(11), now=at(11))
    send(db, user, phone, [scan_out], sent=at(12), now=at(12))

    assert_once(live(db, volunteer), [Interval(at(8), at(9))])


def test_an_online_check_out_paired_with_a_late_offline_check_in_is_repaired(db):
    """Offline in 1:00 and out 7:10; the "in" arrives, so the online check-in at
    7:40 is refused (already in) and the online check-out at 9:00 pairs with the
    offline "in". When the offline "out" arrives, 7:10-9:00 was never served."""
    field = make_field(db)
    volunteer = field.volunteers[0]
    user = login_of(db, volunteer)
    phone = Phone()
    scan_in = code_scan(phone, "in", field.activity, at(1))
    scan_out = code_scan(phone, "out", field.activity, at(7, 10))
    send(db, user, phone, [scan_in], sent=at(2), now=at(2))
    online(db, field, volunteer, "out", at(9))
    assert_once(live(db, volunteer), [Interval(at(1), at(9))])

    send(db, user, phone, [scan_out], sent=at(10), now=at(10))

    assert_once(live(db, volunteer), [Interval(at(1), at(7))])


def test_an_online_stay_split_by_late_offline_scans_keeps_only_time_served(db):
    """Online 0-30; offline out 10 and in 20 arrive later: 10-20 is withdrawn,
    whichever feature credited it, and nothing is counted twice."""
    field = make_field(db)
    volunteer = field.volunteers[0]
    user = login_of(db, volunteer)
    phone = Phone()
    online(db, field, volunteer, "in", at(0))
    online(db, field, volunteer, "out", at(30))
    scan_out = code_scan(phone, "out", field.activity, at(10))
    scan_in = code_scan(phone, "in", field.activity, at(20))

    send(db, user, phone, [scan_in], sent=at(31), now=at(31))
    assert_once(live(db, volunteer), [Interval(at(0), at(30))])
    send(db, user, phone, [scan_out], sent=at(32), now=at(32))

    assert_once(
        live(db, volunteer), [Interval(at(0), at(10)), Interval(at(20), at(30))]
    )
