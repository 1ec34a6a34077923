"""The offline pages: who may open them, and that each is a complete shell of this
version (its assets versioned, the waiting count, the scripts' config).
"""

import json

import pytest
from bs4 import BeautifulSoup

from server.accounts.models import Role
from server.field.assets import field_version
from tests.factories import make_partner, make_station, make_user, make_volunteer

EVERYONE = ["/field", "/field/scan", "/field/outbox", "/field/card"]
CAPTAINS = ["/field/visits/new", "/field/checkins"]


@pytest.fixture
def captain(db):
    station = make_station(db)
    volunteer = make_volunteer(db, station)
    return make_user(db, Role.captain, station_id=station.id, volunteer_id=volunteer.id)


@pytest.mark.parametrize("path", EVERYONE + CAPTAINS)
def test_anonymous_visitors_are_sent_to_log_in(client, path):
    response = client.get(path, follow_redirects=False)

    assert response.status_code in (302, 303)
    assert response.headers["location"].startswith("/login?next=")


def test_a_captain_opens_every_field_page(client, captain):
    client.login(captain.username)

    for path in EVERYONE + CAPTAINS:
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.headers["x-field-version"] == field_version()
        assert "HX-Request" in response.headers["vary"]


def test_a_volunteer_opens_their_pages_but_not_the_captains(client, db):
    volunteer = make_volunteer(db, make_station(db), with_login=True)
    client.login(f"vol{volunteer.id}")

    for path in EVERYONE:
        assert client.get(path).status_code == 200, path
    for path in CAPTAINS:
        assert client.get(path).status_code == 403, path


@pytest.mark.parametrize("role", [Role.head, Role.office_admin])
def test_staff_have_no_field_pages(client, db, role):
    station = make_station(db)
    user = make_user(db, role, station_id=station.id)
    client.login(user.username)

    for path in EVERYONE + CAPTAINS:
        assert client.get(path).status_code == 403, path


def test_a_partner_has_no_field_pages(client, db):
    partner, _benefit = make_partner(db)
    user = make_user(db, Role.partner, partner_id=partner.id)
    client.login(user.username)

    assert client.get("/field").status_code == 403


@pytest.mark.parametrize("path", EVERYONE + CAPTAINS)
def test_each_page_loads_only_assets_of_its_version(client, captain, path):
    client.login(captain.username)
    page = BeautifulSoup(client.get(path).text, "html.parser")
    precached = json_constant(client.get("/sw.js").text, "ASSETS")

    urls = [tag["href"] for tag in page.select("link[href^='/static/']")]
    urls += [tag["src"] for tag in page.select("script[src^='/static/']")]
    assert urls
    for url in urls:
        assert url.endswith(f"?v={field_version()}"), url
        assert url in precached, url


def json_constant(text: str, name: str):
    line = next(line for line in text.splitlines() if line.startswith(f"const {name} "))
    return json.loads(line.split(" = ", 1)[1].rstrip(";"))


@pytest.mark.parametrize("path", EVERYONE + CAPTAINS)
def test_each_page_shows_the_waiting_count_and_a_sync_button(client, captain, path):
    client.login(captain.username)
    page = BeautifulSoup(client.get(path).text, "html.parser")

    assert page.select_one("#field-waiting-count") is not None
    assert page.select_one("button#field-sync-button") is not None
    assert page.select_one("#field-last-sync") is not None
    config = json.loads(page.select_one("#field-config").string)
    assert config["user_id"] == captain.id
    assert config["is_captain"] is True
    assert config["urls"]["push"] == "/api/sync/push"
    assert config["urls"]["pull"] == "/api/sync/pull"
    assert config["version"] == field_version()
    assert all(isinstance(text, str) and text for text in config["texts"].values())


def test_the_visit_form_has_every_field_with_a_label(client, captain):
    client.login(captain.username)
    page = BeautifulSoup(client.get("/field/visits/new").text, "html.parser")

    for field in (
        "visit-team",
        "visit-recipient",
        "visit-started-at",
        "visit-ended-at",
        "visit-service-type",
        "visit-notes",
        "visit-photo",
    ):
        assert page.select_one(f"#{field}") is not None, field
        assert page.select_one(f"label[for={field}]") is not None, field
    types = [
        o["value"] for o in page.select("#visit-service-type option") if o["value"]
    ]
    assert "companionship" in types and len(types) == 8


def test_the_layout_wipes_the_phone_before_logging_out(client, captain):
    client.login(captain.username)

    for path in ("/field", "/captain"):
        page = BeautifulSoup(client.get(path).text, "html.parser")
        form = page.select_one("form[action='/logout']")
        assert form.has_attr("data-wipe-on-submit")
        script = page.select_one("script[src*='/static/field/wipe.js']")
        assert "{n}" in script["data-confirm"]


def test_public_pages_load_no_wipe_script(client):
    page = BeautifulSoup(client.get("/").text, "html.parser")

    assert page.select_one("script[src*='wipe.js']") is None
