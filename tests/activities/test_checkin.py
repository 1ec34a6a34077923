"""Volunteers check in and out through the pages; check-out writes pending hours."""

from urllib.parse import parse_qs, urlsplit

from sqlalchemy import select

from server.accounts.models import Role
from server.activities.codes import make_code
from server.activities.models import CheckIn
from server.ledger.models import LedgerEntry, LedgerReview
from tests.activities.conftest import local
from tests.activities.pages import page
from tests.factories import make_activity, make_station, make_user, make_volunteer


def entries_of(db, volunteer):
    query = (
        select(LedgerEntry)
        .where(LedgerEntry.volunteer_id == volunteer.id)
        .order_by(LedgerEntry.started_at)
    )
    return db.scalars(query).all()


def check(client, clock, settings, activity, kind):
    """Open the code's URL as the phone camera would, then press the button."""
    token = make_code(activity.id, settings, clock.now)
    shown = page(client.get("/checkin", params={"c": token}).text)
    assert shown.select_one("#checkin-submit").attrs["data-kind"] == kind
    return client.submit("/checkin", {"c": token, "kind": kind})


def test_logged_out_volunteer_logs_in_and_comes_back_to_the_code(
    client, scene, clock, settings
):
    url = f"/checkin?c={make_code(scene.activity.id, settings, clock.now)}"

    response = client.get(url, follow_redirects=False)
    assert response.status_code in (302, 303)
    login = urlsplit(response.headers["location"])
    assert login.path == client.app.route_reverse("login")
    next_url = parse_qs(login.query)["next"][0]
    assert next_url == url

    response = client.submit(
        "/login",
        {"username": scene.username, "password": "test-password", "next": next_url},
        follow_redirects=False,
    )
    assert response.headers["location"] == url

    shown = page(client.get(url).text)
    assert shown.select_one("#checkin-submit").attrs["data-kind"] == "in"


def test_check_in_then_out_writes_pending_hours(client, db, scene, clock, settings):
    client.login(scene.username)
    clock.set(2026, 6, 1, 9, 2, 30)

    done = page(check(client, clock, settings, scene.activity, "in").text)
    assert done.select_one("#checkin-done").attrs["data-kind"] == "in"
    assert entries_of(db, scene.volunteer) == []

    clock.set(2026, 6, 1, 10, 35, 10)
    done = page(check(client, clock, settings, scene.activity, "out").text)

    assert done.select_one("#checkin-done").attrs["data-kind"] == "out"
    (entry,) = entries_of(db, scene.volunteer)
    assert (entry.minutes, entry.source, entry.activity_id) == (
        92,
        "scan",
        scene.activity.id,
    )
    assert entry.started_at == local(2026, 6, 1, 9, 3)
    assert entry.ended_at == local(2026, 6, 1, 10, 35)
    assert (entry.station_id, entry.needs_review) == (scene.station.id, False)
    assert db.get(LedgerReview, entry.id) is None  # pending
    assert done.select_one("#checkin-done").attrs["data-minutes"] == "92"
    kinds = db.scalars(
        select(CheckIn.kind).where(CheckIn.volunteer_id == scene.volunteer.id)
    ).all()
    assert sorted(kinds) == ["in", "out"]


def test_time_outside_the_window_and_grace_is_clipped(
    client, db, scene, clock, settings
):
    client.login(scene.username)
    clock.set(2026, 6, 1, 8, 45)
    response = client.get(
        f"/checkin?c={make_code(scene.activity.id, settings, clock.now)}"
    )
    assert page(response.text).select_one("#checkin-blocked")  # too early, before grace

    clock.set(2026, 6, 1, 8, 52)
    check(client, clock, settings, scene.activity, "in")
    clock.set(2026, 6, 1, 13, 0)
    check(client, clock, settings, scene.activity, "out")

    (entry,) = entries_of(db, scene.volunteer)
    assert entry.started_at == local(2026, 6, 1, 8, 52)
    assert entry.ended_at == local(2026, 6, 1, 11, 10)  # end + 10 minutes grace
    assert entry.minutes == 138


def test_night_shift_is_split_at_local_midnight_and_new_year(
    client, db, scene, clock, settings
):
    night = make_activity(
        db, scene.station, starts_at=local(2026, 12, 31, 22, 0), hours=4
    )
    client.login(scene.username)
    clock.set(2026, 12, 31, 22, 0)
    check(client, clock, settings, night, "in")
    clock.set(2027, 1, 1, 1, 30)
    check(client, clock, settings, night, "out")

    entries = entries_of(db, scene.volunteer)
    assert [
        (e.service_date.isoformat(), e.service_year, e.minutes) for e in entries
    ] == [
        ("2026-12-31", 2026, 120),
        ("2027-01-01", 2027, 90),
    ]


def test_overlapping_activities_never_double_count(client, db, scene, clock, settings):
    other = make_activity(db, scene.station, starts_at=local(2026, 6, 1, 10), hours=2)
    client.login(scene.username)
    check(client, clock, settings, scene.activity, "in")  # 09:00
    clock.set(2026, 6, 1, 10, 0)
    check(client, clock, settings, other, "in")
    clock.set(2026, 6, 1, 11, 0)
    check(client, clock, settings, scene.activity, "out")
    clock.set(2026, 6, 1, 12, 0)
    check(client, clock, settings, other, "out")

    entries = entries_of(db, scene.volunteer)
    assert sum(e.minutes for e in entries) == 180  # 09:00-12:00, once
    assert [(e.activity_id, e.minutes) for e in entries] == [
        (scene.activity.id, 120),
        (other.id, 60),
    ]


def test_second_check_in_and_lone_check_out_are_refused(
    client, db, scene, clock, settings
):
    client.login(scene.username)
    token = make_code(scene.activity.id, settings, clock.now)

    response = client.submit("/checkin", {"c": token, "kind": "out"})
    assert response.status_code == 400
    refused = page(response.text)
    assert refused.select_one("#checkin-error")
    assert refused.select_one("#checkin-submit").attrs["data-kind"] == "in"

    client.submit("/checkin", {"c": token, "kind": "in"})
    response = client.submit("/checkin", {"c": token, "kind": "in"})
    assert response.status_code == 400
    refused = page(response.text)
    assert refused.select_one("#checkin-error")
    assert refused.select_one("#checkin-submit").attrs["data-kind"] == "out"
    count = db.scalars(
        select(CheckIn).where(CheckIn.volunteer_id == scene.volunteer.id)
    ).all()
    assert len(count) == 1


def test_expired_forged_and_missing_codes(client, scene, clock, settings):
    client.login(scene.username)
    old = make_code(scene.activity.id, settings, clock.now)
    clock.advance(minutes=10)

    for raw in (old, old[:-2] + "xx", "hello"):
        response = client.get("/checkin", params={"c": raw})
        assert response.status_code == 400
        shown = page(response.text)
        assert shown.select_one("#checkin-error").text
        assert shown.select_one("#scan-again")
        assert shown.find(id="checkin-submit") is None

    response = client.submit("/checkin", {"c": old, "kind": "in"})
    assert response.status_code == 400
    assert page(response.text).find(id="checkin-submit") is None

    response = client.get("/checkin", follow_redirects=False)
    assert response.headers["location"] == client.app.route_reverse("scan_checkin")


def test_the_scanned_url_is_accepted_as_the_code(client, scene, clock, settings):
    client.login(scene.username)
    token = make_code(scene.activity.id, settings, clock.now)
    url = f"http://127.0.0.1:8000/checkin?c={token}"

    shown = page(client.get("/checkin", params={"c": url}).text)
    assert shown.select_one("#checkin-submit").attrs["data-kind"] == "in"
    response = client.submit("/checkin", {"c": url, "kind": "in"})
    assert page(response.text).select_one("#checkin-done").attrs["data-kind"] == "in"


def test_only_approved_volunteers_check_in(client, db, scene, clock, settings):
    pending = make_volunteer(db, scene.station, approved=False, with_login=True)
    client.login(f"vol{pending.id}")
    token = make_code(scene.activity.id, settings, clock.now)

    response = client.submit("/checkin", {"c": token, "kind": "in"})

    assert response.status_code == 400
    assert page(response.text).find(id="checkin-submit") is None
    assert (
        db.scalars(select(CheckIn).where(CheckIn.volunteer_id == pending.id)).all()
        == []
    )


def test_staff_cannot_use_the_volunteer_check_in(client, db, scene, clock, settings):
    make_user(db, Role.head, username="head-checkin", station_id=scene.station.id)
    client.login("head-checkin")
    url = f"/checkin?c={make_code(scene.activity.id, settings, clock.now)}"
    assert client.get(url).status_code == 403


def test_scan_page_has_the_scanner_and_a_typed_fallback(client, scene):
    client.login(scene.username)
    shown = page(client.get("/scan").text)

    scanner = shown.select_one("[data-scanner]")
    assert scanner.attrs["data-target-input"] == "#code"
    assert "data-autosubmit" in scanner.attrs
    form = shown.select_one("#scan-form")
    assert (form.attrs["method"], form.attrs["action"]) == ("get", "/checkin")
    assert form.select_one('input#code[name="c"]')
    scripts = [s.attrs.get("src", "") for s in shown.find_all("script")]
    assert "/static/vendor/jsqr-1.4.0/jsQR.js" in scripts
    assert "/static/scanner.js" in scripts


def test_volunteer_of_another_station_may_check_in(client, db, scene, clock, settings):
    # Volunteers help wherever they are needed; the hours go to the activity's station.
    visitor = make_volunteer(db, make_station(db), with_login=True)
    client.login(f"vol{visitor.id}")
    check(client, clock, settings, scene.activity, "in")
    clock.advance(hours=1)
    check(client, clock, settings, scene.activity, "out")

    (entry,) = entries_of(db, visitor)
    assert (entry.station_id, entry.minutes) == (scene.station.id, 60)
