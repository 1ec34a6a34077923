"""Station staff review their own station's registrations, and nobody else's."""

from datetime import UTC, date, datetime, timedelta

import pytest
from bs4 import BeautifulSoup

from server.accounts.models import Role
from server.errors import Conflict, NotFound
from server.volunteers.models import RegistrationStatus, Volunteer
from server.volunteers.review import (
    approve_registration,
    next_volunteer_no,
    registrations_page,
    reject_registration,
)
from server.web import PAGE_SIZE
from tests.factories import make_station, make_user, make_volunteer

NOW = datetime(2026, 12, 4, 8, 0, tzinfo=UTC)
ZONE_TODAY = date(2026, 12, 4)


def page(response) -> BeautifulSoup:
    return BeautifulSoup(response.text, "html.parser")


def pending(db, station, **fields) -> Volunteer:
    return make_volunteer(db, station, approved=False, **fields)


@pytest.fixture
def station_a(db):
    return make_station(db)


@pytest.fixture
def station_b(db):
    return make_station(db)


@pytest.fixture
def head_a(db, station_a):
    return make_user(db, Role.head, station_id=station_a.id)


# --- scoping -----------------------------------------------------------------


def test_a_head_sees_only_their_own_stations_registrations(
    client, db, station_a, station_b, head_a
):
    mine = pending(db, station_a, name="测试甲")
    theirs = pending(db, station_b, name="测试乙")
    client.login(head_a.username)

    listing = page(client.get("/station/registrations"))
    assert listing.select_one(f"#registration-{mine.id}")
    assert listing.select_one(f"#registration-{theirs.id}") is None
    assert "测试乙" not in listing.text

    assert client.get(f"/station/registrations/{mine.id}").status_code == 200
    other = f"/station/registrations/{theirs.id}"
    assert client.get(other).status_code == 404
    assert client.submit(other + "/approve").status_code == 404
    assert client.submit(other + "/reject", {"reason": "测试"}).status_code == 404
    db.refresh(theirs)
    assert theirs.status == RegistrationStatus.pending


@pytest.mark.parametrize("role", [Role.volunteer, Role.captain, Role.partner])
def test_people_who_are_not_station_staff_are_refused(client, db, station_a, role):
    volunteer = pending(db, station_a)
    user = make_user(db, role, station_id=station_a.id)
    client.login(user.username)
    for url in (
        "/station",
        "/station/registrations",
        f"/station/registrations/{volunteer.id}",
    ):
        assert client.get(url).status_code == 403, url
    url = f"/station/registrations/{volunteer.id}/approve"
    assert client.submit(url).status_code == 403


def test_anonymous_visitors_are_sent_to_log_in(client):
    response = client.get("/station/registrations", follow_redirects=False)
    assert response.status_code in (302, 303)
    assert response.headers["location"].startswith("/login")


def test_staff_without_a_station_are_refused(client, db, station_a):
    headless = make_user(db, Role.deputy)
    client.login(headless.username)
    assert client.get("/station/registrations").status_code == 403


# --- the dashboard and the list ----------------------------------------------


def test_the_dashboard_counts_pending_registrations(
    client, db, station_a, station_b, head_a
):
    pending(db, station_a)
    pending(db, station_a)
    make_volunteer(db, station_a)
    pending(db, station_b)
    client.login(head_a.username)
    html = page(client.get("/station"))
    assert html.select_one("#pending-count").text == "2"
    assert html.select_one("#review-registrations")["href"] == "/station/registrations"
    assert html.select_one("#station-hours")


def test_the_list_masks_id_numbers_and_shows_age_and_local_time(
    client, db, station_a, head_a
):
    volunteer = pending(
        db,
        station_a,
        id_type="resident",
        id_number="530802199001010018",
        birth_date=date(1990, 1, 1),
        # 23:30 UTC is 07:30 the next morning in Pu'er.
        created_at=datetime(2026, 3, 1, 23, 30, tzinfo=UTC),
    )
    client.login(head_a.username)
    response = client.get("/station/registrations")
    row = page(response).select_one(f"#registration-{volunteer.id}")

    assert row.select_one(".masked-id").text == "530***********0018"
    assert "530802199001010018" not in response.text
    assert row.select_one("time").text == "2026-03-02 07:30"


def test_pending_registrations_come_first(db, station_a):
    old_pending = pending(db, station_a, created_at=NOW - timedelta(days=9))
    decided = make_volunteer(db, station_a, created_at=NOW - timedelta(days=1))
    new_pending = pending(db, station_a, created_at=NOW - timedelta(days=2))
    rows = registrations_page(db, station_a.id, 1, today=ZONE_TODAY, zone=UTC).items
    assert [row.id for row in rows] == [new_pending.id, old_pending.id, decided.id]


def test_the_list_is_paginated(client, db, station_a, head_a):
    for _ in range(PAGE_SIZE + 3):
        pending(db, station_a)
    client.login(head_a.username)
    first = page(client.get("/station/registrations"))
    assert len(first.select("tbody tr")) == PAGE_SIZE
    assert first.select_one("#next-page")["href"].endswith("?page=2")
    second = page(client.get("/station/registrations?page=2"))
    assert len(second.select("tbody tr")) == 3
    assert second.select_one("#previous-page")


def test_htmx_paging_swaps_only_the_list(client, db, station_a, head_a):
    pending(db, station_a)
    client.login(head_a.username)
    headers = {"HX-Request": "true", "HX-Target": "registrations"}
    response = client.get("/station/registrations", headers=headers)
    assert response.text.lstrip().startswith('<div id="registrations">')
    assert response.headers["vary"] == "HX-Request"


def test_the_detail_page_shows_everything_and_the_decision_buttons(
    client, db, station_a, head_a
):
    volunteer = pending(db, station_a, id_number="E12345678", intentions="first_aid")
    client.login(head_a.username)
    html = page(client.get(f"/station/registrations/{volunteer.id}"))
    assert html.select_one("#id-number").text == "E12345678"
    assert html.select_one("button#approve")
    assert html.select_one("textarea#reason")
    assert html.select_one("button#reject")


# --- approving and rejecting -------------------------------------------------


def test_approval_gives_the_countys_next_number(client, db, station_a, head_a):
    volunteer = pending(db, station_a)
    client.login(head_a.username)
    url = f"/station/registrations/{volunteer.id}"
    response = client.submit(url + "/approve", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == url

    db.refresh(volunteer)
    assert volunteer.status == RegistrationStatus.approved
    assert volunteer.volunteer_no == "530802000001"
    assert volunteer.decided_by == head_a.id
    assert volunteer.decided_at is not None
    html = page(client.get(url))
    assert html.select_one("#volunteer-no").text == "530802000001"
    assert html.select_one("button#approve") is None


def test_numbers_follow_on_within_a_county_across_its_stations(
    db, station_a, station_b
):
    make_volunteer(db, station_a, volunteer_no="530802000016")
    make_volunteer(db, station_a, volunteer_no="530821000099")  # another county
    first, second = pending(db, station_a), pending(db, station_b)
    a = approve_registration(db, station_a.id, first.id, decided_by=1, now=NOW)
    b = approve_registration(db, station_b.id, second.id, decided_by=1, now=NOW)
    assert (a.volunteer_no, b.volunteer_no) == ("530802000017", "530802000018")


def test_other_numbers_do_not_confuse_the_sequence(db):
    assert next_volunteer_no(db, "530802") == "530802000001"
    station = make_station(db)
    make_volunteer(db, station, volunteer_no="T00000001")
    make_volunteer(db, station, volunteer_no="5308029")
    assert next_volunteer_no(db, "530802") == "530802000001"


def test_a_registration_is_decided_only_once(db, station_a):
    volunteer = pending(db, station_a)
    approve_registration(db, station_a.id, volunteer.id, decided_by=1, now=NOW)
    with pytest.raises(Conflict):
        approve_registration(db, station_a.id, volunteer.id, decided_by=1, now=NOW)
    with pytest.raises(Conflict):
        reject_registration(
            db, station_a.id, volunteer.id, reason="测试", decided_by=1, now=NOW
        )


def test_another_stations_registration_cannot_be_approved_by_service(
    db, station_a, station_b
):
    volunteer = pending(db, station_b)
    with pytest.raises(NotFound):
        approve_registration(db, station_a.id, volunteer.id, decided_by=1, now=NOW)


def test_rejection_records_the_reason(client, db, station_a, head_a):
    volunteer = pending(db, station_a)
    client.login(head_a.username)
    url = f"/station/registrations/{volunteer.id}/reject"
    response = client.submit(url, {"reason": "  测试：身份证照片不清楚  "})
    assert response.status_code == 200
    db.refresh(volunteer)
    assert volunteer.status == RegistrationStatus.rejected
    assert volunteer.rejection_reason == "测试：身份证照片不清楚"
    assert volunteer.volunteer_no is None
    assert volunteer.decided_by == head_a.id


def test_rejection_without_a_reason_says_so_beside_the_field(
    client, db, station_a, head_a
):
    volunteer = pending(db, station_a)
    client.login(head_a.username)
    url = f"/station/registrations/{volunteer.id}/reject"
    response = client.submit(url, {"reason": "   "})
    assert response.status_code == 400
    html = page(response)
    assert html.select_one("#reason")["aria-invalid"] == "true"
    assert html.select_one("#reason-error")
    db.refresh(volunteer)
    assert volunteer.status == RegistrationStatus.pending


def test_approval_is_logged_without_personal_data(db, station_a, capsys):
    volunteer = pending(db, station_a, name="测试日志人")
    approve_registration(db, station_a.id, volunteer.id, decided_by=7, now=NOW)
    out = capsys.readouterr().out
    assert "registration_approved" in out
    assert f"volunteer_id={volunteer.id}" in out
    assert "测试日志人" not in out
    assert volunteer.id_number not in out
    assert volunteer.mobile not in out
