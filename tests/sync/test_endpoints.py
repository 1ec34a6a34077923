"""The sync endpoints through HTTP: who may push and pull, the CSRF guard, the
answers' shape, the pull cursor, and the staff page."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from server.accounts.models import Role
from server.db import utcnow
from server.recipients.models import Recipient
from sync.models import SyncFlag
from tests.activities.pages import page
from tests.factories import make_user
from tests.sync.builders import Phone, make_field, new_id

HEADERS = {"X-Requested-With": "sync", "Accept": "application/json"}


def visit_now(phone: Phone, field, **kwargs) -> dict:
    """A visit that ended an hour ago, so that the real clock accepts it."""
    start = utcnow() - timedelta(hours=2)
    return phone.visit("create", new_id(), field, start=start, **kwargs)


def push(client, body, headers=HEADERS):
    return client.post("/api/sync/push", json=body, headers=headers)


def batch(phone: Phone, records) -> dict:
    return phone.batch(records, sent=utcnow())


def test_a_captain_pushes_a_batch_and_gets_one_answer_per_record(client, db):
    field = make_field(db)
    client.login(field.captain.username)
    phone = Phone()
    good = visit_now(phone, field)
    bad = visit_now(phone, field, service_type="karaoke")

    response = push(client, batch(phone, [good, bad]))

    assert response.status_code == 200, response.text
    body = response.json()
    assert [r["id"] for r in body["results"]] == [good["id"], bad["id"]]
    assert [r["status"] for r in body["results"]] == ["accepted", "refused"]
    assert body["results"][1]["reason"] == "bad_service_type"
    assert body["counts"]["accepted"] == 1
    assert body["clock_flagged"] is False
    assert body["device_id"] == phone.device_id

    again = push(client, batch(phone, [good])).json()
    assert again["results"][0]["status"] == "duplicate"


def test_refusal_messages_follow_the_users_language(client, db):
    field = make_field(db)
    client.login(field.captain.username)
    phone = Phone()
    bad = visit_now(phone, field, service_type="karaoke")
    english = client.post(
        "/api/sync/push?lang=en", json=batch(phone, [bad]), headers=HEADERS
    ).json()
    assert english["results"][0]["message"] == "Please choose a service type."


def test_push_needs_a_login(client):
    response = push(client, batch(Phone(), []))
    assert response.status_code == 401


@pytest.mark.parametrize(
    "headers",
    [
        {"Accept": "application/json"},
        {**HEADERS, "Origin": "https://evil.example"},
        {**HEADERS, "Sec-Fetch-Site": "cross-site"},
    ],
    ids=["no-header", "foreign-origin", "cross-site"],
)
def test_push_refuses_what_another_site_could_send(client, db, headers):
    field = make_field(db)
    client.login(field.captain.username)
    phone = Phone()
    response = push(client, batch(phone, [visit_now(phone, field)]), headers=headers)
    assert response.status_code == 403
    assert response.json()["error"] in ("sync_header", "bad_origin")


def test_same_origin_requests_pass(client, db):
    field = make_field(db)
    client.login(field.captain.username)
    phone = Phone()
    headers = {
        **HEADERS,
        "Origin": "http://testserver.local",
        "Sec-Fetch-Site": "same-origin",
    }
    response = push(client, batch(phone, [visit_now(phone, field)]), headers=headers)
    assert response.status_code == 200, response.text


def test_station_staff_do_not_push(client, db):
    field = make_field(db)
    make_user(db, Role.head, station_id=field.station.id, username="head-sync")
    client.login("head-sync")
    assert push(client, batch(Phone(), [])).status_code == 403


@pytest.mark.parametrize(
    "body",
    [
        "not json",
        {"device_id": "x", "sent_at": "2026-06-01T00:00:00+00:00", "records": []},
        {"device_id": new_id(), "sent_at": "2026-06-01T00:00:00", "records": []},
        {"device_id": new_id(), "sent_at": "2026-06-01T00:00:00+00:00"},
        {
            "device_id": new_id(),
            "sent_at": "2026-06-01T00:00:00+00:00",
            "records": [{}] * 501,
        },
    ],
    ids=["not-json", "bad-device", "naive-time", "no-records", "too-many"],
)
def test_a_malformed_batch_is_refused_whole(client, db, body):
    field = make_field(db)
    client.login(field.captain.username)
    if isinstance(body, str):
        response = client.post("/api/sync/push", content=body, headers=HEADERS)
    else:
        response = push(client, body)
    assert response.status_code == 400
    assert response.json()["error"] == "malformed_batch"


def test_a_device_id_belongs_to_its_first_user(client, db):
    one, other = make_field(db), make_field(db)
    phone = Phone()
    client.login(one.captain.username)
    assert push(client, batch(phone, [])).status_code == 200

    client.post("/logout", data={"_csrf_token": client.csrf()})
    client.login(other.captain.username)
    response = push(client, batch(phone, []))
    assert response.status_code == 409
    assert response.json()["error"] == "device_taken"


def test_a_transient_database_error_answers_503_and_nothing_is_lost(
    client, db, monkeypatch
):
    from sqlalchemy.exc import OperationalError

    import sync.reconcile

    field = make_field(db)
    client.login(field.captain.username)
    phone = Phone()
    record = visit_now(phone, field)
    monkeypatch.setattr(sync.reconcile, "ATTEMPTS", 1)
    real = sync.reconcile._attempt

    def locked(run, row, **_kwargs):
        raise OperationalError("INSERT", {}, Exception("database is locked"))

    monkeypatch.setattr(sync.reconcile, "_attempt", locked)
    response = push(client, batch(phone, [record]))
    assert response.status_code == 503
    assert response.headers["retry-after"]
    assert response.json()["error"] == "retry"

    monkeypatch.setattr(sync.reconcile, "_attempt", real)
    again = push(client, batch(phone, [record])).json()
    assert again["results"][0]["status"] == "accepted"


def test_pull_gives_a_captain_the_teams_data_and_a_cursor(client, db):
    field = make_field(db)
    hidden = Recipient(
        station_id=field.station.id,
        display_name="示例未同意者",
        group="other",
        consent_recorded=False,
        team_id=field.team.id,
    )
    db.add(hidden)
    db.flush()
    client.login(field.captain.username)

    first = client.get("/api/sync/pull", headers=HEADERS).json()

    assert first["full"] is True and first["reason"] == "no_cursor"
    assert [t["id"] for t in first["teams"]] == [field.team.id]
    assert {r["id"] for r in first["recipients"]} == {r.id for r in field.recipients}
    numbers = {v["volunteer_no"] for v in first["volunteers"]}
    assert numbers == {v.volunteer_no for v in field.volunteers}
    assert set(first["volunteers"][0]) == {"volunteer_no", "display_name"}
    assert set(first["recipients"][0]) == {"id", "display_name", "group", "team_id"}

    same = client.get(
        "/api/sync/pull", params={"cursor": first["cursor"]}, headers=HEADERS
    ).json()
    assert same == {"full": False, "changed": False, "cursor": same["cursor"]}

    field.recipients[0].display_name = "示例改名"
    db.flush()
    changed = client.get(
        "/api/sync/pull", params={"cursor": same["cursor"]}, headers=HEADERS
    ).json()
    assert changed["full"] is True and changed["reason"] == "changed"


def test_a_forged_or_foreign_cursor_forces_a_full_pull(client, db):
    one, other = make_field(db), make_field(db)
    client.login(one.captain.username)
    cursor = client.get("/api/sync/pull", headers=HEADERS).json()["cursor"]
    forged = cursor[:-3] + ("AAA" if not cursor.endswith("AAA") else "BBB")
    answer = client.get(
        "/api/sync/pull", params={"cursor": forged}, headers=HEADERS
    ).json()
    assert answer["reason"] == "invalid_cursor" and answer["full"] is True

    client.post("/logout", data={"_csrf_token": client.csrf()})
    client.login(other.captain.username)
    answer = client.get(
        "/api/sync/pull", params={"cursor": cursor}, headers=HEADERS
    ).json()
    assert answer["reason"] == "invalid_cursor"
    assert [t["id"] for t in answer["teams"]] == [other.team.id]


def test_an_old_cursor_is_stale(client, db, monkeypatch):
    field = make_field(db)
    client.login(field.captain.username)
    cursor = client.get("/api/sync/pull", headers=HEADERS).json()["cursor"]
    import server.sync_api.controllers as controllers

    later = utcnow() + timedelta(days=8)
    monkeypatch.setattr(controllers, "utcnow", lambda: later)
    answer = client.get(
        "/api/sync/pull", params={"cursor": cursor}, headers=HEADERS
    ).json()
    assert answer["reason"] == "stale_cursor"


def test_a_volunteer_pulls_only_themself_and_no_recipients(client, db):
    field = make_field(db)
    volunteer = field.volunteers[0]
    client.login(f"vol{volunteer.id}")
    answer = client.get("/api/sync/pull", headers=HEADERS).json()
    assert answer["teams"] == [] and answer["recipients"] == []
    assert answer["volunteers"] == [
        {"volunteer_no": volunteer.volunteer_no, "display_name": volunteer.name}
    ]


def test_pull_needs_the_sync_header(client, db):
    field = make_field(db)
    client.login(field.captain.username)
    response = client.get("/api/sync/pull", headers={"Accept": "application/json"})
    assert response.status_code == 403


def test_the_staff_page_lists_own_station_flags_only(client, db):
    field, other = make_field(db), make_field(db)
    head = make_user(db, Role.head, station_id=field.station.id)
    phone = Phone(skew=timedelta(minutes=-30))
    client.login(field.captain.username)
    push(client, batch(phone, [visit_now(phone, field)]))
    db.add(
        SyncFlag(key=f"test:{new_id()}", kind="overlap", station_id=other.station.id)
    )
    db.flush()
    client.post("/logout", data={"_csrf_token": client.csrf()})

    client.login(head.username)
    response = client.get("/station/sync")

    assert response.status_code == 200
    html = page(response.text)
    mine = select(SyncFlag.id).where(SyncFlag.station_id == field.station.id)
    flag_ids = {f"flag-{i}" for i in db.scalars(mine)}
    rows = {row["id"] for row in html.select("#sync-flags tr[id]")}
    assert rows == flag_ids and flag_ids
    assert html.select_one("#sync-flags tr.flag-clock") is not None
    assert html.select_one("#no-gaps") is not None


def test_the_staff_page_is_for_staff(client, db):
    field = make_field(db)
    client.login(field.captain.username)
    assert client.get("/station/sync").status_code == 403


def test_a_body_over_the_limit_is_refused_with_413(client, db):
    field = make_field(db)
    client.login(field.captain.username)
    phone = Phone()
    huge = visit_now(phone, field, notes="x" * (10 * 1024 * 1024))
    response = push(client, batch(phone, [huge]))
    assert response.status_code == 413
