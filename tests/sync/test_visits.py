"""Home visits through sync: create, update, delete; order, holds, conflicts, hours."""

import base64
from datetime import timedelta

from sqlalchemy import select

from server.accounts.models import Role
from server.ledger.service import confirm
from server.settings import Settings
from server.visits.models import Visit, VisitPhoto, VisitVolunteer
from sync.models import SyncFlag, SyncRecord
from sync.visits import delete_on_server
from tests.factories import make_user
from tests.sync.builders import (
    NOW,
    T0,
    Phone,
    entries,
    live_minutes,
    make_field,
    new_id,
    send,
)


def present(db, visit_id):
    rows = db.scalars(
        select(VisitVolunteer.volunteer_id).where(VisitVolunteer.visit_id == visit_id)
    )
    return set(rows)


def test_a_visit_credits_each_volunteer_present(db):
    field = make_field(db)
    phone, visit_id = Phone(), new_id()
    record = phone.visit("create", visit_id, field, volunteers=field.volunteers[:2])

    answers = send(db, field.captain, phone, [record])

    assert answers[record["id"]]["status"] == "accepted"
    visit = db.get(Visit, visit_id)
    assert visit.station_id == field.station.id
    assert visit.recorded_by == field.captain.id
    assert present(db, visit_id) == {v.id for v in field.volunteers[:2]}
    day = T0.date()
    assert live_minutes(db, field) == {
        (field.volunteers[0].id, day): 60,
        (field.volunteers[1].id, day): 60,
    }
    assert {e.source for e in entries(db, field)} == {"visit"}


def test_sending_again_answers_duplicate_and_changes_nothing(db):
    field = make_field(db)
    phone, visit_id = Phone(), new_id()
    record = phone.visit("create", visit_id, field)
    send(db, field.captain, phone, [record])

    again = send(db, field.captain, phone, [record, record])

    assert [a["status"] for a in again.values()] == ["duplicate"]
    assert again[record["id"]]["first_status"] == "accepted"
    assert len(entries(db, field)) == 1


def test_an_update_before_its_base_is_held_then_applied_when_the_base_arrives(db):
    field = make_field(db)
    phone, visit_id = Phone(), new_id()
    create = phone.visit("create", visit_id, field, minutes=60)
    update = phone.visit("update", visit_id, field, minutes=90, notes="改")

    first = send(db, field.captain, phone, [update])
    assert first[update["id"]]["status"] == "held"
    assert first[update["id"]]["waits_for"] == create["id"]
    assert db.get(Visit, visit_id) is None

    second = send(db, field.captain, phone, [create])
    assert second[create["id"]]["status"] == "accepted"
    visit = db.get(Visit, visit_id, populate_existing=True)
    assert visit.notes == "改"
    assert visit.version == 2
    assert db.get(SyncRecord, update["id"]).status == "accepted"
    assert sum(live_minutes(db, field).values()) == 90

    # The phone resends the held one: it was applied meanwhile, same answer.
    third = send(db, field.captain, phone, [update])
    assert third[update["id"]] == {
        "id": update["id"],
        "status": "duplicate",
        "first_status": "accepted",
    }


def test_updates_apply_in_the_phones_order_whatever_order_they_arrive_in(db):
    field = make_field(db)
    phone, visit_id = Phone(), new_id()
    records = [phone.visit("create", visit_id, field, minutes=30)]
    for minutes in (40, 50, 20):
        records.append(phone.visit("update", visit_id, field, minutes=minutes))

    answers = send(db, field.captain, phone, list(reversed(records)))

    assert {a["status"] for a in answers.values()} == {"accepted"}
    visit = db.get(Visit, visit_id)
    assert visit.ended_at - visit.started_at == timedelta(minutes=20)
    assert visit.last_record_id == records[-1]["id"]
    assert visit.version == 4
    assert sum(live_minutes(db, field).values()) == 20


def test_an_update_keeps_server_fields_and_changes_volunteers_by_difference(db):
    field = make_field(db)
    a, b, c = field.volunteers
    phone, visit_id = Phone(), new_id()
    photo = {
        "content_type": "image/jpeg",
        "data": base64.b64encode(b"\xff\xd8jpeg").decode(),
    }
    send(
        db,
        field.captain,
        phone,
        [phone.visit("create", visit_id, field, volunteers=[a, b], photo=photo)],
    )
    created_at = db.get(Visit, visit_id).created_at

    send(
        db,
        field.captain,
        phone,
        [phone.visit("update", visit_id, field, volunteers=[b, c], minutes=45)],
    )

    visit = db.get(Visit, visit_id, populate_existing=True)
    assert visit.created_at == created_at
    assert present(db, visit_id) == {b.id, c.id}
    assert db.get(VisitPhoto, visit_id).data == b"\xff\xd8jpeg"  # absent: kept
    day = T0.date()
    assert live_minutes(db, field) == {(b.id, day): 45, (c.id, day): 45}

    send(db, field.captain, phone, [phone.visit("update", visit_id, field, photo=None)])
    assert db.get(VisitPhoto, visit_id, populate_existing=True) is None


def test_a_phone_delete_withdraws_the_hours_but_keeps_the_ledger_rows(db):
    field = make_field(db)
    phone, visit_id = Phone(), new_id()
    send(db, field.captain, phone, [phone.visit("create", visit_id, field)])
    rows_before = len(entries(db, field))

    answers = send(db, field.captain, phone, [phone.visit("delete", visit_id, field)])

    assert next(iter(answers.values()))["status"] == "accepted"
    assert db.get(Visit, visit_id).deleted_at is not None
    assert live_minutes(db, field) == {}
    assert len(entries(db, field)) == rows_before


def test_a_late_edit_of_a_visit_deleted_on_the_server_goes_to_review(db):
    field = make_field(db)
    head = make_user(db, Role.head, station_id=field.station.id)
    phone, visit_id = Phone(), new_id()
    send(db, field.captain, phone, [phone.visit("create", visit_id, field)])
    delete_on_server(db, visit_id, head, Settings.from_env({}, environment="test"))
    db.commit()

    late = phone.visit("update", visit_id, field, minutes=120)
    answers = send(db, field.captain, phone, [late])

    assert answers[late["id"]]["status"] == "conflict"
    assert answers[late["id"]]["reason"] == "deleted_on_server"
    assert db.get(Visit, visit_id).deleted_at is not None
    assert live_minutes(db, field) == {}
    flag = db.scalars(select(SyncFlag).where(SyncFlag.record_id == late["id"])).one()
    assert (flag.kind, flag.station_id) == ("conflict", field.station.id)
    assert (
        send(db, field.captain, phone, [late])[late["id"]]["first_status"] == "conflict"
    )


def test_two_phones_editing_the_same_visit_send_the_second_to_review(db):
    field = make_field(db)
    one, visit_id = Phone(), new_id()
    create = one.visit("create", visit_id, field)
    send(db, field.captain, one, [create])
    other = Phone(heads={visit_id: create["id"]})

    first = one.visit("update", visit_id, field, minutes=30)
    second = other.visit("update", visit_id, field, minutes=90)
    send(db, field.captain, one, [first])
    answers = send(db, field.captain, other, [second])

    assert answers[second["id"]]["reason"] == "edited_elsewhere"
    assert sum(live_minutes(db, field).values()) == 30


def test_a_change_to_hours_already_confirmed_goes_to_review(db):
    field = make_field(db)
    head = make_user(db, Role.head, station_id=field.station.id)
    phone, visit_id = Phone(), new_id()
    send(db, field.captain, phone, [phone.visit("create", visit_id, field, minutes=60)])
    confirm(db, [e.id for e in entries(db, field)], head)
    db.commit()

    shorter = phone.visit("update", visit_id, field, minutes=30)
    answers = send(db, field.captain, phone, [shorter])

    assert answers[shorter["id"]]["reason"] == "already_confirmed"
    visit = db.get(Visit, visit_id, populate_existing=True)
    assert visit.ended_at - visit.started_at == timedelta(minutes=60)


def test_overlapping_visits_credit_the_time_once_and_raise_a_flag(db):
    field = make_field(db)
    volunteer = field.volunteers[0]
    one, two = Phone(), Phone()
    first = one.visit("create", new_id(), field, start=T0, minutes=60)
    second = two.visit(
        "create",
        new_id(),
        field,
        start=T0 + timedelta(minutes=30),
        minutes=60,
        recipient=field.recipients[1],
    )

    send(db, field.captain, one, [first])
    send(db, field.captain, two, [second])

    assert live_minutes(db, field) == {(volunteer.id, T0.date()): 90}
    flags = list(
        db.scalars(
            select(SyncFlag).where(
                SyncFlag.kind == "overlap", SyncFlag.station_id == field.station.id
            )
        )
    )
    assert [(f.record_id, f.volunteer_id) for f in flags] == [
        (second["id"], volunteer.id)
    ]


def test_deleting_one_of_two_overlapping_visits_gives_the_time_to_the_other(db):
    field = make_field(db)
    one, two = Phone(), Phone()
    first_id = new_id()
    first = one.visit("create", first_id, field, start=T0, minutes=60)
    second = two.visit(
        "create", new_id(), field, start=T0, minutes=60, recipient=field.recipients[1]
    )
    send(db, field.captain, one, [first])
    send(db, field.captain, two, [second])
    assert sum(live_minutes(db, field).values()) == 60

    send(db, field.captain, one, [one.visit("delete", first_id, field)])

    assert sum(live_minutes(db, field).values()) == 60
    # The withdrawn entry stays, and a new one credits the second visit.
    assert len(entries(db, field)) == 2


def test_a_bad_record_is_refused_alone_and_stays_refused(db):
    field = make_field(db)
    phone = Phone()
    good = phone.visit("create", new_id(), field)
    too_long = phone.visit("create", new_id(), field, minutes=13 * 60)
    stranger = phone.visit("create", new_id(), field, volunteers=[])
    stranger["payload"]["volunteers"] = ["NOT-A-NUMBER"]
    wrong_type = phone.visit("create", new_id(), field, service_type="karaoke")
    big = phone.visit(
        "create",
        new_id(),
        field,
        photo={
            "content_type": "image/jpeg",
            "data": base64.b64encode(b"x" * 600_000).decode(),
        },
    )
    broken = {"id": new_id(), "seq": 99, "kind": "visit", "op": "create"}
    no_id = {"id": "not-a-uuid", "seq": 100}

    records = [too_long, stranger, good, wrong_type, big, broken, no_id]
    answers = send(db, field.captain, phone, records)

    reasons = {k: (a["status"], a.get("reason")) for k, a in answers.items()}
    assert reasons == {
        too_long["id"]: ("refused", "bad_time"),
        stranger["id"]: ("refused", "unknown_volunteer"),
        good["id"]: ("accepted", None),
        wrong_type["id"]: ("refused", "bad_service_type"),
        big["id"]: ("refused", "photo_too_large"),
        broken["id"]: ("refused", "malformed"),
        "not-a-uuid": ("refused", "bad_id"),
    }
    assert all(a["message"] for a in answers.values() if a["status"] == "refused")
    again = send(db, field.captain, phone, [too_long])
    assert again[too_long["id"]]["first_status"] == "refused"
    assert again[too_long["id"]]["reason"] == "bad_time"


def test_a_captain_cannot_record_a_visit_for_another_team_or_station(db):
    mine, theirs = make_field(db), make_field(db)
    phone = Phone()
    other_team = phone.visit("create", new_id(), theirs)
    other_volunteer = phone.visit(
        "create", new_id(), mine, volunteers=theirs.volunteers[:1]
    )
    other_recipient = phone.visit(
        "create", new_id(), mine, recipient=theirs.recipients[0]
    )

    answers = send(
        db, mine.captain, phone, [other_team, other_volunteer, other_recipient]
    )

    assert [a["reason"] for a in answers.values()] == [
        "unknown_team",
        "unknown_volunteer",
        "unknown_recipient",
    ]
    assert (
        db.scalar(select(Visit.id).where(Visit.station_id == theirs.station.id)) is None
    )


def test_a_wrong_phone_clock_is_corrected_kept_and_flagged(db):
    field = make_field(db)
    phone, visit_id = Phone(skew=timedelta(minutes=-40)), new_id()
    record = phone.visit("create", visit_id, field, start=T0, minutes=60)

    send(db, field.captain, phone, [record])

    visit = db.get(Visit, visit_id)
    assert visit.started_at == T0  # corrected by the offset measured from sent_at
    assert visit.clock_offset_seconds == 40 * 60
    stored = db.get(SyncRecord, record["id"])
    assert stored.payload.count((T0 - timedelta(minutes=40)).isoformat()) == 1
    flag = db.scalars(select(SyncFlag).where(SyncFlag.device_id == phone.device_id))
    assert flag.one().kind == "clock"
    (entry,) = entries(db, field)
    assert entry.needs_review and entry.started_at == T0


def test_a_small_offset_is_network_delay_and_left_alone(db):
    field = make_field(db)
    phone, visit_id = Phone(skew=timedelta(seconds=-20)), new_id()
    send(db, field.captain, phone, [phone.visit("create", visit_id, field, start=T0)])
    assert db.get(Visit, visit_id).started_at == T0 - timedelta(seconds=20)
    flags = select(SyncFlag.id).where(SyncFlag.device_id == phone.device_id)
    assert db.scalar(flags) is None


def test_a_visit_in_the_future_is_refused(db):
    field = make_field(db)
    phone = Phone()
    record = phone.visit("create", new_id(), field, start=NOW + timedelta(hours=1))
    answers = send(db, field.captain, phone, [record])
    assert answers[record["id"]]["reason"] == "bad_time"


def test_a_volunteer_cannot_record_visits(db):
    field = make_field(db)
    volunteer_user = make_user(
        db, Role.volunteer, station_id=field.station.id, username="vol-x"
    )
    phone = Phone()
    record = phone.visit("create", new_id(), field)
    answers = send(db, volunteer_user, phone, [record])
    assert answers[record["id"]]["reason"] == "not_allowed"


def test_a_second_create_of_the_same_visit_is_refused(db):
    field = make_field(db)
    phone, visit_id = Phone(), new_id()
    first = phone.visit("create", visit_id, field, minutes=60)
    second = phone.visit("create", visit_id, field, minutes=30)

    answers = send(db, field.captain, phone, [first, second])

    assert answers[first["id"]]["status"] == "accepted"
    assert answers[second["id"]]["reason"] == "visit_exists"
    visit = db.get(Visit, visit_id)
    assert visit.ended_at - visit.started_at == timedelta(minutes=60)
    assert sum(live_minutes(db, field).values()) == 60
