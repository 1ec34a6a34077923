"""Star certification by the office: who awaits it, in whose scope, in batches."""

import pytest
from sqlmodel import select

from server.accounts.models import Role
from server.cards.certification import awaiting_certification, certify, certify_level
from server.cards.models import Certification
from server.errors import DomainError
from tests.cards.helpers import Page, credit
from tests.factories import make_station, make_user, make_volunteer

OTHER_COUNTY = "530821"  # 宁洱县
OTHER_TOWNSHIP = "530821101"


def other_county_station(db):
    station = make_station(db)
    station.county_code, station.township_code = OTHER_COUNTY, OTHER_TOWNSHIP
    db.add(station)
    db.flush()
    return station


@pytest.fixture
def volunteers(db):
    """Reached 1 star, uncertified; reached 2, certified 1; reached 1, certified 1;
    and one in another county that reached 3 stars.
    """
    office = make_user(db, Role.federation_admin)
    here, there = make_station(db), other_county_station(db)
    fresh, behind, current = (make_volunteer(db, here) for _ in range(3))
    far = make_volunteer(db, there)
    credit(db, fresh, 100 * 60)
    credit(db, behind, 300 * 60)
    credit(db, current, 150 * 60)
    credit(db, far, 600 * 60)
    certify_level(db, behind.id, 1, office)
    certify_level(db, current.id, 1, office)
    pending = make_volunteer(db, here, approved=False)
    credit(db, pending, 200 * 60)
    return {"fresh": fresh, "behind": behind, "current": current, "far": far}


def awaiting_ids(db, settings, user, size=50) -> set[int]:
    page = awaiting_certification(db, settings, user, 1, size)
    return {row.volunteer_id for row in page.items}


def test_city_office_sees_everyone_awaiting(db, settings, volunteers):
    city = make_user(db, Role.office_admin, division_code=settings.city_code)
    federation = make_user(db, Role.federation_admin)
    expected = {volunteers[k].id for k in ("fresh", "behind", "far")}
    assert expected <= awaiting_ids(db, settings, city)
    assert awaiting_ids(db, settings, city) == awaiting_ids(db, settings, federation)
    assert volunteers["current"].id not in awaiting_ids(db, settings, city)


def test_county_office_sees_only_its_county(db, settings, volunteers):
    county = make_user(db, Role.office_admin, division_code=OTHER_COUNTY)
    assert awaiting_ids(db, settings, county) == {volunteers["far"].id}
    page = awaiting_certification(db, settings, county, 1, 50)
    row = page.items[0]
    assert (row.reached_level, row.certified_level) == (3, 0)
    assert row.total_minutes == 600 * 60


def test_awaiting_list_is_paginated(db, settings, volunteers):
    county_here = make_user(db, Role.office_admin, division_code="530802")
    first = awaiting_certification(db, settings, county_here, 1, 1)
    second = awaiting_certification(db, settings, county_here, 2, 1)
    assert first.total >= 2 and first.pages == first.total
    assert first.items[0].volunteer_id != second.items[0].volunteer_id


def test_certify_records_the_reached_level_with_the_certifier(db, settings, volunteers):
    federation = make_user(db, Role.federation_admin)
    chosen = [volunteers["fresh"].id, volunteers["behind"].id, volunteers["current"].id]
    made = certify(db, settings, federation, chosen)

    assert {(c.volunteer_id, c.level) for c in made} == {
        (volunteers["fresh"].id, 1),
        (volunteers["behind"].id, 2),
    }
    assert all(c.certified_by == federation.id for c in made)
    still = awaiting_ids(db, settings, federation)
    assert not {volunteers["fresh"].id, volunteers["behind"].id} & still


def test_a_county_office_cannot_certify_outside_its_county(db, settings, volunteers):
    county = make_user(db, Role.office_admin, division_code=OTHER_COUNTY)
    made = certify(db, settings, county, [volunteers["fresh"].id, volunteers["far"].id])
    assert [c.volunteer_id for c in made] == [volunteers["far"].id]


def test_certify_needs_a_choice(db, settings):
    office = make_user(db, Role.office_admin)
    with pytest.raises(DomainError):
        certify(db, settings, office, [])


def test_office_page_lists_and_certifies_in_a_batch(client, db, settings, volunteers):
    office = make_user(db, Role.office_admin, division_code="530802")
    client.login(office.username)
    page = Page(client.get("/office").text)
    fresh, behind = volunteers["fresh"], volunteers["behind"]
    assert page.id(f"awaiting-{fresh.id}").get("data-reached") == "1"
    assert page.id(f"awaiting-{behind.id}").get("data-certified") == "1"
    assert page.id(f"awaiting-{volunteers['far'].id}") is None
    assert page.id(f"certify-{fresh.id}").get("name") == "volunteer_id"

    response = client.submit(
        "/office/certify", {"volunteer_id": [str(fresh.id), str(behind.id)]}
    )
    assert response.status_code == 200
    after = Page(response.text)
    assert after.id("certified-count").get("data-count") == "2"
    assert after.id(f"awaiting-{fresh.id}") is None

    levels = db.exec(
        select(Certification.volunteer_id, Certification.level).where(
            Certification.certified_by == office.id
        )
    ).all()
    assert set(levels) == {(fresh.id, 1), (behind.id, 2)}


def test_certifying_nothing_says_so_next_to_the_list(client, db, volunteers):
    office = make_user(db, Role.office_admin)
    client.login(office.username)
    response = client.submit("/office/certify", {})
    assert response.status_code == 400
    assert Page(response.text).id("certify-error") is not None


def test_the_card_shows_the_new_certified_level(client, db, settings):
    station = make_station(db)
    volunteer = make_volunteer(db, station, with_login=True)
    credit(db, volunteer, 320 * 60)
    office = make_user(db, Role.office_admin)
    certify(db, settings, office, [volunteer.id])

    client.login(f"vol{volunteer.id}")
    page = Page(client.get("/me/card").text)
    assert page.id("card-stars").get("data-level") == "2"
    assert page.id("card-reached") is None


@pytest.mark.parametrize("role", [Role.volunteer, Role.head, Role.partner])
def test_office_pages_are_for_offices_only(client, db, role):
    user = make_user(db, role)
    client.login(user.username)
    assert client.get("/office").status_code == 403
    assert client.submit("/office/certify", {"volunteer_id": "1"}).status_code == 403
