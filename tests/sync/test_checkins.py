"""Check-ins and check-outs scanned offline: checked at scan time, paired by time."""

from datetime import timedelta

from sqlalchemy import select

from server.accounts.models import User
from server.activities.codes import make_code
from server.activities.models import CheckIn
from server.cards.tokens import card_keys
from server.settings import Settings
from sync.models import SyncRecord
from sync.review import gaps
from tests.sync.builders import NOW, T0, Phone, live_minutes, make_field, send

SETTINGS = Settings.from_env({}, environment="test")


def login_of(db, volunteer) -> User:
    return db.scalars(select(User).where(User.volunteer_id == volunteer.id)).one()


def code_scan(phone: Phone, op: str, activity, at):
    code = make_code(activity.id, SETTINGS, now=at)
    return phone.record("checkin", op, at, {"activity_code": code})


def card_scan(phone: Phone, op: str, activity, volunteer, at):
    token = card_keys(SETTINGS).phone_token(SETTINGS, volunteer.volunteer_no, at)
    payload = {"activity_id": activity.id, "card_token": token}
    return phone.record("checkin", op, at, payload)


def test_a_volunteer_checks_in_and_out_offline_by_the_activity_code(db):
    field = make_field(db)
    volunteer = field.volunteers[0]
    phone = Phone()
    scans = [
        code_scan(phone, "in", field.activity, T0 + timedelta(minutes=5)),
        code_scan(phone, "out", field.activity, T0 + timedelta(minutes=95)),
    ]

    # Arriving two days later: the codes are long expired by then, but they were
    # valid when scanned, which is what counts.
    answers = send(db, login_of(db, volunteer), phone, scans)

    assert {a["status"] for a in answers.values()} == {"accepted"}
    assert live_minutes(db, field) == {(volunteer.id, T0.date()): 90}
    checks = db.scalars(
        select(CheckIn).where(CheckIn.volunteer_id == volunteer.id).order_by(CheckIn.at)
    ).all()
    assert [(c.kind, c.source) for c in checks] == [
        ("in", "activity_qr"),
        ("out", "activity_qr"),
    ]


def test_a_code_scanned_after_it_expired_is_refused_with_its_reason(db):
    field = make_field(db)
    phone = Phone()
    shown = T0 + timedelta(minutes=5)
    record = code_scan(phone, "in", field.activity, shown)
    record["made_at"] = (shown + timedelta(minutes=30)).isoformat()

    answers = send(db, login_of(db, field.volunteers[0]), phone, [record])

    assert answers[record["id"]]["reason"] == "code_expired"
    assert answers[record["id"]]["message"]


def test_a_phone_clock_error_is_corrected_before_the_code_is_checked(db):
    field = make_field(db)
    phone = Phone(skew=timedelta(hours=2))
    at = T0 + timedelta(minutes=5)
    code = make_code(field.activity.id, SETTINGS, now=at)
    record = phone.record("checkin", "in", at, {"activity_code": code})

    answers = send(db, login_of(db, field.volunteers[0]), phone, [record])

    assert answers[record["id"]]["status"] == "accepted"
    check = db.scalars(
        select(CheckIn).where(CheckIn.volunteer_id == field.volunteers[0].id)
    ).one()
    assert check.at == at


def test_a_captain_scans_cards_and_check_outs_may_arrive_first(db):
    field = make_field(db)
    volunteer = field.volunteers[1]
    phone = Phone()
    check_in = card_scan(phone, "in", field.activity, volunteer, T0)
    check_out = card_scan(
        phone, "out", field.activity, volunteer, T0 + timedelta(minutes=60)
    )

    first = send(db, field.captain, phone, [check_out])
    assert first[check_out["id"]]["status"] == "accepted"
    assert live_minutes(db, field) == {}

    send(db, field.captain, phone, [check_in])
    assert live_minutes(db, field) == {(volunteer.id, T0.date()): 60}


def test_a_late_pair_inside_a_credited_stretch_splits_it(db):
    """in 0, out 60, in 120, out 180: if 0 and 180 come first, 0-180 is credited;
    when the middle two arrive, the hour between is withdrawn."""
    field = make_field(db)
    volunteer = field.volunteers[0]
    phone = Phone()
    at = [T0 + timedelta(minutes=m) for m in (0, 60, 120, 180)]
    scans = [
        card_scan(phone, op, field.activity, volunteer, moment)
        for op, moment in zip(["in", "out", "in", "out"], at, strict=True)
    ]

    send(db, field.captain, phone, [scans[0], scans[3]])
    assert live_minutes(db, field) == {(volunteer.id, T0.date()): 180}

    send(db, field.captain, phone, [scans[1], scans[2]])
    assert live_minutes(db, field) == {(volunteer.id, T0.date()): 120}


def test_a_captain_cannot_scan_at_someone_elses_activity(db):
    mine, theirs = make_field(db), make_field(db)
    phone = Phone()
    record = card_scan(phone, "in", theirs.activity, theirs.volunteers[0], T0)
    answers = send(db, mine.captain, phone, [record])
    assert answers[record["id"]]["reason"] == "not_allowed"


def test_a_forged_card_is_refused(db):
    field = make_field(db)
    phone = Phone()
    record = card_scan(phone, "in", field.activity, field.volunteers[0], T0)
    record["payload"]["card_token"] = record["payload"]["card_token"][:-4] + "AAAA"
    answers = send(db, field.captain, phone, [record])
    assert answers[record["id"]]["reason"] == "forged"


def test_a_check_in_long_before_the_activity_is_refused(db):
    field = make_field(db)
    phone = Phone()
    early = T0 - timedelta(hours=3)
    record = card_scan(phone, "in", field.activity, field.volunteers[0], early)
    answers = send(db, field.captain, phone, [record])
    assert answers[record["id"]]["reason"] == "not_started"


def test_a_check_in_and_a_visit_at_the_same_time_count_once(db):
    field = make_field(db)
    volunteer = field.volunteers[0]
    phone = Phone()
    records = [
        card_scan(phone, "in", field.activity, volunteer, T0),
        card_scan(phone, "out", field.activity, volunteer, T0 + timedelta(hours=1)),
        phone.visit("create", "8f7c6a36-1d1e-4c4e-9c1e-2f1b7f7a1111", field),
    ]
    send(db, field.captain, phone, records)
    assert live_minutes(db, field) == {(volunteer.id, T0.date()): 60}


def test_gaps_in_a_devices_sequence_are_listed_for_its_station(db):
    field = make_field(db)
    phone = Phone()
    records = [
        card_scan(phone, "in", field.activity, field.volunteers[0], T0)
        for _ in range(6)
    ]
    sent = [records[0], records[2], records[5]]  # 2, 4 and 5 never arrive

    send(db, field.captain, phone, sent)

    found, total = gaps(db, field.station.id, 1, 50)
    mine = [
        (g.first_missing, g.last_missing)
        for g in found
        if g.device_id == phone.device_id
    ]
    assert mine == [(2, 2), (4, 5)]
    assert total >= 2
    other_station = make_field(db).station
    assert gaps(db, other_station.id, 1, 50) == ([], 0)

    send(db, field.captain, phone, records)
    found, _ = gaps(db, field.station.id, 1, 50)
    assert not [g for g in found if g.device_id == phone.device_id]
    assert db.get(SyncRecord, records[1]["id"]).seq == 2


def test_held_answers_are_never_reported_as_synced(db):
    field = make_field(db)
    phone = Phone()
    visit_id = "8f7c6a36-1d1e-4c4e-9c1e-2f1b7f7a2222"
    create = phone.visit("create", visit_id, field)
    update = phone.visit("update", visit_id, field, minutes=20)
    answers = send(db, field.captain, phone, [update], now=NOW)
    assert answers[update["id"]]["status"] == "held"
    assert db.get(SyncRecord, update["id"]).status == "held"
    assert create["id"] == answers[update["id"]]["waits_for"]
