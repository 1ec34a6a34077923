"""The volunteer's card pages: own card only, what it shows, and QR codes that read."""

from datetime import timedelta
from urllib.parse import parse_qs, urlparse

import pytest
from sqlmodel import select

from server.accounts.models import Role
from server.cards.certification import certify_level
from server.cards.models import PrintedCard
from server.cards.standing import local_today
from server.cards.tokens import PHONE, PRINTED, CardRevoked, card_keys, verify
from server.db import utcnow
from tests.cards.helpers import Page, credit, decode_qr
from tests.factories import make_partner, make_station, make_user, make_volunteer


@pytest.fixture
def this_year(settings) -> int:
    return local_today(settings, utcnow()).year


def qr_token(page: Page, element_id: str) -> str:
    src = page.id(element_id).get("src")
    return parse_qs(urlparse(src).query)["t"][0]


def test_card_shows_the_volunteers_card(client, db, settings, this_year):
    station = make_station(db, name="测试红旗社区志愿者服务站")
    volunteer = make_volunteer(db, station, with_login=True, name="测试李四")
    office = make_user(db, Role.office_admin)
    credit(db, volunteer, 320 * 60 + 7, year=this_year - 1)
    credit(db, volunteer, 30 * 60 + 5, year=this_year)
    certify_level(db, volunteer.id, 1, office)
    client.login(f"vol{volunteer.id}")

    response = client.get("/me/card")
    assert response.status_code == 200
    page = Page(response.text)
    assert page.id("card-name").text == "测试李四"
    assert page.id("card-volunteer-no").text == volunteer.volunteer_no
    assert page.id("card-station").text == "测试红旗社区志愿者服务站"
    assert page.id("card-stars").get("data-level") == "1"
    assert page.id("card-stars").text == "★"
    assert page.id("card-hours-year").text == "30.0"
    assert page.id("card-hours-total").text == "350.2"
    assert page.id("card-reached").get("data-level") == "2"
    assert page.id("card-benefit").get("data-holds") == "yes"
    assert page.id("card-photo").get("src") == f"/volunteers/{volunteer.id}/photo"
    assert page.id("card-pending") is None


def test_card_qr_decodes_to_a_valid_token_and_the_short_code_works(
    client, db, settings
):
    station = make_station(db)
    volunteer = make_volunteer(db, station, with_login=True)
    client.login(f"vol{volunteer.id}")
    page = Page(client.get("/me/card").text)

    token = qr_token(page, "card-qr")
    png = client.get(page.id("card-qr").get("src"))
    assert png.status_code == 200
    assert png.headers["content-type"] == "image/png"
    assert png.headers["cache-control"] == "no-store"
    assert decode_qr(png.content) == [token]

    now = utcnow()
    assert verify(db, settings, token, now).claims.kind == PHONE
    short = page.id("card-short-code").text
    assert short.startswith(f"{volunteer.volunteer_no}-")
    assert verify(db, settings, short, now).volunteer.id == volunteer.id


def test_card_code_fragment_refreshes_by_htmx(client, db, settings):
    station = make_station(db)
    volunteer = make_volunteer(db, station, with_login=True)
    client.login(f"vol{volunteer.id}")

    page = Page(client.get("/me/card").text)
    block = page.id("card-code")
    assert block.get("hx-get") == "/me/card/code"
    assert f"every {settings.card_code_seconds}s" in block.get("hx-trigger")

    fragment = client.get("/me/card/code", headers={"HX-Request": "true"})
    assert fragment.status_code == 200
    assert "<html" not in fragment.text
    part = Page(fragment.text)
    assert part.id("card-qr") is not None and part.id("card-short-code") is not None


def test_qr_png_serves_only_the_owners_current_code(client, db, settings):
    station = make_station(db)
    owner = make_volunteer(db, station, with_login=True)
    other = make_volunteer(db, station)
    keys = card_keys(settings)
    now = utcnow()
    client.login(f"vol{owner.id}")

    mine = keys.phone_token(settings, owner.volunteer_no, now)
    assert client.get("/me/card/qr.png", params={"t": mine}).status_code == 200
    theirs = keys.phone_token(settings, other.volunteer_no, now)
    assert client.get("/me/card/qr.png", params={"t": theirs}).status_code == 404
    stale = keys.phone_token(settings, owner.volunteer_no, now - timedelta(minutes=4))
    assert client.get("/me/card/qr.png", params={"t": stale}).status_code == 404
    assert client.get("/me/card/qr.png", params={"t": "garbage"}).status_code == 404


def test_pending_volunteer_sees_that_the_station_must_approve(client, db):
    station = make_station(db)
    volunteer = make_volunteer(db, station, approved=False, with_login=True)
    client.login(f"vol{volunteer.id}")

    response = client.get("/me/card")
    assert response.status_code == 200
    page = Page(response.text)
    assert page.id("card-pending") is not None
    assert page.id("card-qr") is None
    assert client.get("/me/card/code").status_code == 404
    assert client.get("/me/card/print").status_code == 404


@pytest.mark.parametrize("role", [Role.partner, Role.office_admin, Role.head])
def test_card_pages_are_for_volunteers_only(client, db, role):
    station = make_station(db)
    scope = {"station_id": station.id}
    if role == Role.partner:
        scope = {"partner_id": make_partner(db)[0].id}
    user = make_user(db, role, **scope)
    client.login(user.username)
    for url in ("/me/card", "/me/card/code", "/me/card/print"):
        assert client.get(url).status_code == 403


def test_card_pages_need_a_login(client):
    response = client.get("/me/card", follow_redirects=False)
    assert response.status_code in (302, 303)
    assert response.headers["location"].startswith("/login")


def test_print_card_issues_one_printed_card_and_its_qr_reads(client, db, settings):
    station = make_station(db)
    volunteer = make_volunteer(db, station, with_login=True)
    client.login(f"vol{volunteer.id}")

    page = Page(client.get("/me/card/print").text)
    serial = int(page.id("printed-card").get("data-serial"))
    token = qr_token(page, "printed-qr")
    png = client.get(page.id("printed-qr").get("src"))
    assert png.headers["cache-control"] == "no-store"
    assert decode_qr(png.content) == [token]
    claims = verify(db, settings, token, utcnow()).claims
    assert (claims.kind, claims.serial) == (PRINTED, serial)

    again = Page(client.get("/me/card/print").text)
    assert int(again.id("printed-card").get("data-serial")) == serial
    assert qr_token(again, "printed-qr") == token


def test_renewing_the_printed_card_revokes_the_old_one(client, db, settings):
    station = make_station(db)
    volunteer = make_volunteer(db, station, with_login=True)
    client.login(f"vol{volunteer.id}")
    old = Page(client.get("/me/card/print").text)
    old_token = qr_token(old, "printed-qr")

    response = client.submit("/me/card/print/renew")
    assert response.status_code == 200
    new = Page(response.text)
    assert new.id("printed-card").get("data-serial") != old.id("printed-card").get(
        "data-serial"
    )
    with pytest.raises(CardRevoked):
        verify(db, settings, old_token, utcnow())
    assert verify(db, settings, qr_token(new, "printed-qr"), utcnow())
    assert client.get("/me/card/qr.png", params={"t": old_token}).status_code == 404

    cards = db.exec(
        select(PrintedCard).where(PrintedCard.volunteer_id == volunteer.id)
    ).all()
    assert sum(card.revoked_at is None for card in cards) == 1


def test_public_card_key_is_published_as_json(client, settings):
    response = client.get("/api/card-key")
    assert response.status_code == 200
    body = response.json()
    assert body["algorithm"] == "Ed25519"
    assert body["public_key"] == card_keys(settings).public_key_b64
