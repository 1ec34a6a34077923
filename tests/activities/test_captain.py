"""Captain pages: which activities a captain or staff member sees, and the QR code."""

from io import BytesIO
from urllib.parse import parse_qs, urlsplit

import PIL.Image
import zxingcpp

from server.accounts.models import Role
from server.activities.codes import make_code, token_from, verify_code
from server.activities.models import CheckIn
from tests.activities.conftest import local
from tests.activities.pages import page
from tests.factories import make_activity, make_station, make_user, make_volunteer


def decoded(png: bytes) -> str:
    (barcode,) = zxingcpp.read_barcodes(PIL.Image.open(BytesIO(png)))
    return barcode.text


def ids_listed(client, url="/captain") -> list[int]:
    shown = page(client.get(url).text)
    return [
        int(row.attrs["data-activity-id"])
        for row in shown.select("tr[data-activity-id]")
    ]


def test_captain_sees_only_the_activities_of_teams_they_captain(
    client, db, scene, clock
):
    other_captain = make_user(db, Role.captain, station_id=scene.station.id)
    theirs = make_activity(db, scene.station, captain=other_captain)
    client.login(scene.captain.username)

    assert ids_listed(client) == [scene.activity.id]
    assert client.get(f"/activities/{theirs.id}").status_code == 403
    assert client.get(f"/activities/{theirs.id}/code").status_code == 403
    assert client.get("/activities/999999").status_code == 404


def test_staff_see_their_stations_activities_only(client, db, scene, clock):
    elsewhere = make_activity(db, make_station(db))
    make_user(db, Role.organiser, username="organiser-a", station_id=scene.station.id)
    client.login("organiser-a")

    assert ids_listed(client) == [scene.activity.id]
    assert client.get(f"/activities/{scene.activity.id}").status_code == 200
    assert client.get(f"/activities/{elsewhere.id}").status_code == 403


def test_volunteers_cannot_open_captain_pages(client, scene):
    client.login(scene.username)
    assert client.get("/captain").status_code == 403
    assert client.get(f"/activities/{scene.activity.id}/code").status_code == 403


def test_todays_activities_come_first(client, db, scene, clock):
    station, captain = scene.station, scene.captain
    past = make_activity(db, station, starts_at=local(2026, 5, 20, 9), captain=captain)
    older = make_activity(db, station, starts_at=local(2026, 5, 1, 9), captain=captain)
    later = make_activity(db, station, starts_at=local(2026, 6, 9, 9), captain=captain)
    soon = make_activity(db, station, starts_at=local(2026, 6, 2, 9), captain=captain)
    tonight = make_activity(
        db, station, starts_at=local(2026, 6, 1, 20), captain=captain
    )
    clock.set(2026, 6, 1, 12, 0)
    client.login(captain.username)

    assert ids_listed(client) == [
        scene.activity.id,  # today, 09:00 (already over, still today's)
        tonight.id,
        soon.id,
        later.id,
        past.id,
        older.id,
    ]


def test_captain_list_is_paginated(client, db, scene, clock, monkeypatch):
    from server.activities import service

    monkeypatch.setattr(service, "PAGE_SIZE", 2)
    for day in (2, 3, 4):
        make_activity(
            db, scene.station, starts_at=local(2026, 6, day, 9), captain=scene.captain
        )
    client.login(scene.captain.username)

    first, second = (
        ids_listed(client, "/captain"),
        ids_listed(client, "/captain?page=2"),
    )
    assert len(first) == 2 and len(second) == 2
    assert not set(first) & set(second)
    assert page(client.get("/captain").text).select_one("#page-next")


def test_code_page_polls_and_its_png_decodes_to_the_link(
    client, scene, clock, settings
):
    client.login(scene.captain.username)
    response = client.get(f"/activities/{scene.activity.id}/code")
    shown = page(response.text)

    section = shown.select_one("#activity-code")
    assert section.attrs["hx-trigger"] == "every 10s"
    assert section.attrs["hx-get"] == f"/activities/{scene.activity.id}/code"
    link = shown.select_one("#activity-link").text
    assert urlsplit(link).path == "/checkin"
    token = parse_qs(urlsplit(link).query)["c"][0]
    assert verify_code(token, settings, clock.now).activity_id == scene.activity.id
    assert token == make_code(scene.activity.id, settings, clock.now)

    png = client.get(shown.select_one("#activity-qr").attrs["src"])
    assert png.headers["content-type"] == "image/png"
    assert "no-store" in png.headers["cache-control"]
    assert decoded(png.content) == link


def test_code_fragment_for_htmx_polling(client, scene, clock):
    client.login(scene.captain.username)
    url = f"/activities/{scene.activity.id}/code"
    first = page(client.get(url).text).select_one("#activity-link").text
    clock.advance(seconds=61)

    response = client.get(
        url, headers={"HX-Request": "true", "HX-Target": "activity-code"}
    )

    assert "<html" not in response.text
    assert response.headers["vary"] == "HX-Request"
    fragment = page(response.text)
    assert fragment.select_one("#activity-qr")
    assert fragment.select_one("#activity-link").text != first


def test_png_refuses_expired_and_other_activities_codes(
    client, db, scene, clock, settings
):
    mine_too = make_activity(db, scene.station, captain=scene.captain)
    client.login(scene.captain.username)
    url = f"/activities/{scene.activity.id}/code.png"

    other = make_code(mine_too.id, settings, clock.now)
    assert client.get(url, params={"t": other}).status_code == 400
    assert client.get(url, params={"t": "forged.1.x"}).status_code == 400
    old = make_code(scene.activity.id, settings, clock.now)
    clock.advance(minutes=30)
    assert client.get(url, params={"t": old}).status_code == 400


def test_every_png_decodes_to_exactly_the_url_meant(client, scene, clock, settings):
    client.login(scene.captain.username)
    for minute in range(0, 120, 17):
        clock.set(2026, 6, 1, 9 + minute // 60, minute % 60, 30)
        shown = page(client.get(f"/activities/{scene.activity.id}/code").text)
        link = shown.select_one("#activity-link").text
        png = client.get(shown.select_one("#activity-qr").attrs["src"]).content
        assert decoded(png) == link
        assert token_from(link) == make_code(scene.activity.id, settings, clock.now)


def test_detail_shows_who_is_in_and_who_left(client, db, scene, clock):
    gone = make_volunteer(db, scene.station)
    for volunteer, kinds in ((scene.volunteer, ["in"]), (gone, ["in", "out"])):
        for minutes, kind in enumerate(kinds):
            db.add(
                CheckIn(
                    activity_id=scene.activity.id,
                    volunteer_id=volunteer.id,
                    kind=kind,
                    at=local(2026, 6, 1, 9, minutes * 30),
                    source="activity_qr",
                )
            )
    db.flush()
    client.login(scene.captain.username)

    shown = page(client.get(f"/activities/{scene.activity.id}").text)

    rows = shown.select_one("#attendance").select("tr[data-volunteer-id]")
    states = {int(r.attrs["data-volunteer-id"]): r.attrs["data-state"] for r in rows}
    assert states == {scene.volunteer.id: "in", gone.id: "out"}
    assert (
        shown.select_one("#show-code").attrs["href"]
        == f"/activities/{scene.activity.id}/code"
    )
