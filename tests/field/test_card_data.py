"""The card the phone keeps for showing offline: what it holds, and codes for the
coming hours that the partner's and captain's checks accept in their minute.
"""

from datetime import timedelta

import pytest

from server.accounts.models import Role
from server.cards.tokens import CardExpired, verify
from server.db import utcnow
from server.field.service import CODE_HOURS, coming_codes
from tests.factories import make_partner, make_station, make_user, make_volunteer

URL = "/api/field/card"
SYNC = {"X-Requested-With": "sync", "Accept": "application/json"}


def test_the_card_needs_the_apps_header(client, db):
    volunteer = make_volunteer(db, make_station(db), with_login=True)
    client.login(f"vol{volunteer.id}")

    assert client.get(URL, headers={"Accept": "application/json"}).status_code == 403


def test_the_card_is_only_for_its_logged_in_volunteer(client, db):
    assert client.get(URL, headers=SYNC).status_code == 401
    partner, _ = make_partner(db)
    client.login(make_user(db, Role.partner, partner_id=partner.id).username)
    assert client.get(URL, headers=SYNC).status_code == 403


def test_a_pending_volunteer_has_no_card(client, db):
    volunteer = make_volunteer(db, make_station(db), approved=False, with_login=True)
    client.login(f"vol{volunteer.id}")

    response = client.get(URL, headers=SYNC)
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"


def test_the_card_holds_what_the_card_shows_and_no_more(client, db, settings):
    volunteer = make_volunteer(db, make_station(db), with_login=True, name="测试王五")
    client.login(f"vol{volunteer.id}")

    response = client.get(URL, headers=SYNC)
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    card = response.json()
    assert card["name"] == "测试王五"
    assert card["volunteer_no"] == volunteer.volunteer_no
    assert card["star_level"] == 0
    assert card["hours_total"] == "0.0"
    text = response.text
    for private in (volunteer.id_number, volunteer.mobile, volunteer.emergency_mobile):
        assert private not in text
    assert len(card["codes"]) == CODE_HOURS * 3600 // settings.card_code_seconds + 1


def test_each_coming_code_is_accepted_in_its_own_minute(db, settings):
    volunteer = make_volunteer(db, make_station(db))
    now = utcnow()
    codes = coming_codes(settings, volunteer.volunteer_no, now)

    assert codes[0].shown_from <= now < codes[0].shown_until
    assert codes[-1].shown_from >= now + timedelta(hours=CODE_HOURS) - timedelta(
        seconds=settings.card_code_seconds
    )
    for code in (codes[0], codes[len(codes) // 2], codes[-1]):
        moment = code.shown_from + timedelta(seconds=1)
        by_token = verify(db, settings, code.token, moment)
        by_short_code = verify(db, settings, code.short_code, moment)
        assert by_token.volunteer.id == by_short_code.volunteer.id == volunteer.id


def test_a_kept_code_is_refused_once_expired(db, settings):
    volunteer = make_volunteer(db, make_station(db))
    code = coming_codes(settings, volunteer.volunteer_no, utcnow(), hours=1)[0]

    with pytest.raises(CardExpired):
        verify(db, settings, code.token, code.expires_at + timedelta(seconds=1))
    with pytest.raises(CardExpired):
        verify(db, settings, code.short_code, code.expires_at + timedelta(seconds=1))
