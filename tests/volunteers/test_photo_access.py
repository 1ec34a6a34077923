"""Who may see a volunteer's photo: the volunteer, their station's staff, and a
partner whose counter just scanned them. Everyone else gets the same 404."""

from datetime import timedelta
from io import BytesIO

import pytest
from PIL import Image

from server.accounts.models import Role
from server.db import utcnow
from server.partners.models import Verification
from server.volunteers.models import VolunteerPhoto
from server.volunteers.photos import reencode_photo
from tests.factories import make_partner, make_station, make_user, make_volunteer


def photo_url(volunteer) -> str:
    return f"/volunteers/{volunteer.id}/photo"


def a_photo(colour: str = "#884422") -> bytes:
    out = BytesIO()
    Image.new("RGB", (600, 800), colour).save(out, format="JPEG")
    return reencode_photo(out.getvalue())


@pytest.fixture
def station(db):
    return make_station(db)


@pytest.fixture
def volunteer(db, station):
    volunteer = make_volunteer(db, station, with_login=True)
    db.add(
        VolunteerPhoto(
            volunteer_id=volunteer.id, content_type="image/jpeg", data=a_photo()
        )
    )
    db.flush()
    return volunteer


def test_the_volunteer_sees_their_own_photo_privately_cached(client, db, volunteer):
    client.login(f"vol{volunteer.id}")
    response = client.get(photo_url(volunteer))
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/jpeg"
    assert response.headers["cache-control"].startswith("private")
    assert response.content == db.get(VolunteerPhoto, volunteer.id).data


def test_without_an_upload_a_placeholder_silhouette_is_shown(client, db, station):
    volunteer = make_volunteer(db, station, with_login=True)
    client.login(f"vol{volunteer.id}")
    response = client.get(photo_url(volunteer))
    assert response.status_code == 200
    with Image.open(BytesIO(response.content)) as image:
        assert image.format == "JPEG"
        assert image.size == (384, 480)
        # A figure in the middle, darker than the background at the corner.
        assert sum(image.getpixel((192, 160))) < sum(image.getpixel((5, 5)))


@pytest.mark.parametrize(
    "role", [Role.head, Role.deputy, Role.organiser, Role.publicist]
)
def test_the_stations_staff_see_it(client, db, station, volunteer, role):
    staff = make_user(db, role, station_id=station.id)
    client.login(staff.username)
    assert client.get(photo_url(volunteer)).status_code == 200


def test_another_stations_head_does_not(client, db, volunteer):
    other_head = make_user(db, Role.head, station_id=make_station(db).id)
    client.login(other_head.username)
    assert client.get(photo_url(volunteer)).status_code == 404


def test_another_volunteer_and_a_captain_do_not(client, db, station, volunteer):
    other = make_volunteer(db, station, with_login=True)
    client.login(f"vol{other.id}")
    assert client.get(photo_url(volunteer)).status_code == 404
    captain = make_user(db, Role.captain, station_id=station.id)
    client.login(captain.username)
    assert client.get(photo_url(volunteer)).status_code == 404


def test_anonymous_visitors_and_unknown_ids_get_the_same_404(client, volunteer):
    assert client.get(photo_url(volunteer)).status_code == 404
    assert client.get("/volunteers/987654321/photo").status_code == 404


def verified(db, partner, counter, volunteer, ago: timedelta) -> None:
    db.add(
        Verification(
            partner_id=partner.id,
            volunteer_id=volunteer.id,
            outcome="valid",
            checked_by=counter.id,
            created_at=utcnow() - ago,
        )
    )
    db.flush()


def test_a_partner_sees_the_photo_of_someone_it_just_scanned(client, db, volunteer):
    partner, _benefit = make_partner(db)
    counter = make_user(db, Role.partner, partner_id=partner.id)
    client.login(counter.username)
    assert client.get(photo_url(volunteer)).status_code == 404

    verified(db, partner, counter, volunteer, ago=timedelta(minutes=2))
    assert client.get(photo_url(volunteer)).status_code == 200


def test_a_partner_cannot_walk_through_photos_or_use_an_old_scan(
    client, db, station, volunteer
):
    partner, _benefit = make_partner(db)
    counter = make_user(db, Role.partner, partner_id=partner.id)
    verified(db, partner, counter, volunteer, ago=timedelta(days=2))
    client.login(counter.username)
    assert client.get(photo_url(volunteer)).status_code == 404
    never_scanned = make_volunteer(db, station)
    assert client.get(photo_url(never_scanned)).status_code == 404


def test_another_partners_scan_does_not_count(client, db, volunteer):
    scanning, _ = make_partner(db)
    scanning_counter = make_user(db, Role.partner, partner_id=scanning.id)
    verified(db, scanning, scanning_counter, volunteer, ago=timedelta(minutes=1))
    other, _ = make_partner(db)
    other_counter = make_user(db, Role.partner, partner_id=other.id)
    client.login(other_counter.username)
    assert client.get(photo_url(volunteer)).status_code == 404
