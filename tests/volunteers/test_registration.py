"""The registration form, driven the way a person uses it: by ids, with no JS."""

from datetime import date
from io import BytesIO

import pytest
from bs4 import BeautifulSoup
from PIL import Image
from sqlmodel import select

from server.accounts.models import Role, User
from server.volunteers.controllers import REGISTER_BODY_LIMIT
from server.volunteers.models import RegistrationStatus, Volunteer, VolunteerPhoto
from tests.factories import make_station, make_volunteer
from tests.volunteers.forms import RESIDENT_ID, valid_form

FIELD_IDS = [
    "name",
    "sex",
    "birth_date",
    "id_type",
    "id_number",
    "mobile",
    "station_id",
    "employer",
    "skills",
    "intentions",
    "availability",
    "emergency_name",
    "emergency_mobile",
    "password",
    "password_confirm",
    "photo",
    "consent",
]


def page(response) -> BeautifulSoup:
    return BeautifulSoup(response.text, "html.parser")


def registered(db, id_number: str = RESIDENT_ID) -> Volunteer | None:
    return db.exec(select(Volunteer).where(Volunteer.id_number == id_number)).first()


def test_the_form_has_every_field_and_a_label_for_each(client, db):
    make_station(db)
    html = page(client.get("/register"))
    for field_id in FIELD_IDS:
        assert html.select_one(f"#{field_id}") is not None, field_id
    for control in html.select("form#register-form input, form#register-form select"):
        if control.get("type") == "hidden":
            continue
        assert html.select_one(f"label[for={control['id']}]"), control["id"]
    assert html.select_one("button#register-submit[type=submit]")
    assert html.select_one("input#intentions-companionship[type=checkbox]")


def test_the_station_list_works_without_javascript(client, db):
    station = make_station(db)
    html = page(client.get("/register"))
    option = html.select_one(f"#station_id option[value='{station.id}']")
    assert option is not None
    assert "思茅区" in option.parent["label"]
    assert "思茅街道" in option.parent["label"]


def test_a_good_registration_creates_a_pending_volunteer_and_a_login(client, db):
    station = make_station(db)
    response = client.submit("/register", valid_form(station))

    assert response.status_code == 200, response.text
    html = page(response)
    assert html.select_one("h1#registered")
    assert html.select_one("#username").text == "13900001234"

    volunteer = registered(db)
    assert volunteer.status == RegistrationStatus.pending
    assert volunteer.volunteer_no is None
    assert volunteer.station_id == station.id
    assert volunteer.birth_date == date(1990, 1, 1)
    assert volunteer.mobile == "13900001234"
    assert volunteer.intentions == "companionship,first_aid"
    assert volunteer.consented_at is not None
    user = db.exec(select(User).where(User.volunteer_id == volunteer.id)).one()
    assert (user.username, user.role) == ("13900001234", Role.volunteer)

    client.login("13900001234", "long-enough-pw")


def test_full_width_input_and_a_lowercase_x_are_normalised(client, db):
    station = make_station(db)
    form = valid_form(
        station,
        id_number="５３０８０２１９９００１０１１２３ｘ",
        mobile="+86 139-0000-4321",
        name=" 阿卜杜・热合曼 ",
    )
    response = client.submit("/register", form)
    assert response.status_code == 200, response.text
    volunteer = registered(db, "53080219900101123X")
    assert volunteer.name == "阿卜杜·热合曼"
    assert volunteer.mobile == "13900004321"


def test_errors_are_shown_next_to_their_fields_and_input_is_kept(client, db):
    station = make_station(db)
    form = valid_form(
        station,
        id_number="530802199001010019",  # wrong check character
        mobile="12345",
        password_confirm="something-else",
    )
    response = client.submit("/register", form)

    assert response.status_code == 400
    html = page(response)
    for field_id in ("id_number", "mobile", "password_confirm"):
        control = html.select_one(f"#{field_id}")
        assert control["aria-invalid"] == "true"
        assert f"{field_id}-error" in control["aria-describedby"]
        assert html.select_one(f"#{field_id}-error").text.strip()
    assert html.select_one("#name")["value"] == "测试·示例"
    assert html.select_one("#id_number")["value"] == "530802199001010019"
    assert html.select_one("#mobile")["value"] == "12345"
    assert html.select_one("#skills")["value"] == "急救"
    assert html.select_one("#sex option[selected]")["value"] == "male"
    assert html.select_one(f"#station_id option[value='{station.id}']").has_attr(
        "selected"
    )
    assert html.select_one("#intentions-first_aid").has_attr("checked")
    assert not html.select_one("#intentions-legal_aid").has_attr("checked")
    assert html.select_one("#consent").has_attr("checked")
    assert html.select_one("#password")["value"] == ""
    assert html.select_one("#password_confirm")["value"] == ""
    assert not html.select_one("#name").has_attr("aria-invalid")
    assert registered(db, "530802199001010019") is None


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"name": "  "}, "name"),
        ({"sex": "other"}, "sex"),
        ({"sex": "female"}, "sex"),  # the ID number's 17th digit is odd: a man
        ({"id_number": "530802199001010026"}, "sex"),  # even: a woman
        ({"birth_date": "1990-01-02"}, "birth_date"),  # not the ID's date
        ({"birth_date": "2001-02-29"}, "birth_date"),
        ({"id_type": "licence"}, "id_type"),
        ({"station_id": "999999"}, "station_id"),
        ({"station_id": ""}, "station_id"),
        ({"emergency_mobile": "13900001234"}, "emergency_mobile"),  # their own
        ({"password": "short", "password_confirm": "short"}, "password"),
        ({"consent": ""}, "consent"),
        ({"skills": "x" * 301}, "skills"),
    ],
)
def test_each_rule_points_at_its_field(client, db, changes, field):
    station = make_station(db)
    response = client.submit("/register", valid_form(station, **changes))
    assert response.status_code == 400
    html = page(response)
    assert html.select_one(f"#{field}-error"), response.text
    assert html.select_one(f"#form-errors a[href='#{field}']")
    assert registered(db) is None


def test_a_missing_emergency_contact_name_is_asked_for_in_its_own_words(client, db):
    station = make_station(db)
    no_contact = client.submit("/register", valid_form(station, emergency_name=" "))
    no_name = client.submit("/register", valid_form(station, name=" "))
    assert no_contact.status_code == no_name.status_code == 400
    contact_error = page(no_contact).select_one("#emergency_name-error").text.strip()
    name_error = page(no_name).select_one("#name-error").text.strip()
    assert contact_error and contact_error != name_error


def test_the_sex_in_an_old_fifteen_digit_id_is_checked_too(client, db):
    station = make_station(db)
    # The last digit of a 15-digit number is the 17th of its 18-digit form.
    woman = valid_form(station, id_number="530802900131122", birth_date="1990-01-31")
    response = client.submit("/register", woman)
    assert response.status_code == 400
    assert page(response).select_one("#sex-error")
    woman["sex"] = "female"
    assert client.submit("/register", woman).status_code == 200


def test_a_fifteen_digit_id_and_a_passport_are_accepted(client, db):
    station = make_station(db)
    old = valid_form(station, id_number="530802900101123", mobile="13900000001")
    assert client.submit("/register", old).status_code == 200
    passport = valid_form(
        station,
        id_type="other",
        id_number="E12345678",
        birth_date="1985-06-15",
        mobile="13900000002",
    )
    assert client.submit("/register", passport).status_code == 200
    assert registered(db, "53080219900101123X").birth_date == date(1990, 1, 1)
    assert registered(db, "E12345678").birth_date == date(1985, 6, 15)


def test_a_duplicate_id_is_refused_without_saying_whose_it_is(client, db):
    station = make_station(db)
    existing = make_volunteer(
        db, station, id_type="resident", id_number=RESIDENT_ID, name="测试先来者"
    )
    response = client.submit("/register", valid_form(station, id_number=RESIDENT_ID))
    assert response.status_code == 400
    html = page(response)
    assert html.select_one("#id_number-error")
    assert existing.name not in response.text
    assert existing.mobile not in response.text


def test_the_same_id_typed_differently_is_still_a_duplicate(client, db):
    station = make_station(db)
    first = valid_form(station, id_number="53080219900101123X", mobile="13900000011")
    assert client.submit("/register", first).status_code == 200
    again = valid_form(station, id_number="530802 19900101 123x", mobile="13900000012")
    response = client.submit("/register", again)
    assert response.status_code == 400
    assert page(response).select_one("#id_number-error")


@pytest.mark.parametrize(
    ("first_id", "second_id"),
    [
        ("530802900131122", "530802199001311224"),
        ("530802199001311224", "530802900131122"),
    ],
)
def test_an_old_fifteen_digit_id_and_its_eighteen_digit_form_are_one_person(
    client, db, first_id, second_id
):
    station = make_station(db)
    born = "1990-01-31"
    first = valid_form(
        station, id_number=first_id, birth_date=born, sex="female", mobile="13900000031"
    )
    assert client.submit("/register", first).status_code == 200
    again = valid_form(
        station,
        id_number=second_id,
        birth_date=born,
        sex="female",
        mobile="13900000032",
    )
    response = client.submit("/register", again)
    assert response.status_code == 400
    assert page(response).select_one("#id_number-error")
    assert registered(db, "530802199001311224") is not None


def test_a_mobile_number_that_already_logs_in_is_refused(client, db):
    station = make_station(db)
    first = valid_form(station, mobile="13900000021")
    assert client.submit("/register", first).status_code == 200
    other_person = valid_form(
        station,
        id_number="530802200002290029",
        birth_date="2000-02-29",
        sex="female",
        mobile="+86 139 0000 0021",
    )
    response = client.submit("/register", other_person)
    assert response.status_code == 400
    assert page(response).select_one("#mobile-error")


def jpeg_with_exif(size=(1200, 1600)) -> bytes:
    image = Image.new("RGB", size, "#3366aa")
    exif = Image.Exif()
    exif[0x010F] = "TestCameraMaker"  # Make
    exif[0x0110] = "TestPhone"  # Model
    out = BytesIO()
    image.save(out, format="JPEG", exif=exif.tobytes())
    return out.getvalue()


def submit_with_photo(
    client, form: dict, photo: bytes, name="me.jpg", kind="image/jpeg"
):
    data = {"_csrf_token": client.csrf(), **form}
    return client.post("/register", data=data, files={"photo": (name, photo, kind)})


def test_a_photo_is_shrunk_and_stripped_of_metadata(client, db):
    station = make_station(db)
    response = submit_with_photo(client, valid_form(station), jpeg_with_exif())
    assert response.status_code == 200, response.text

    stored = db.get(VolunteerPhoto, registered(db).id)
    assert stored.content_type == "image/jpeg"
    with Image.open(BytesIO(stored.data)) as image:
        assert image.format == "JPEG"
        assert max(image.size) == 480
        assert image.size == (360, 480)
        assert len(image.getexif()) == 0
    assert b"TestPhone" not in stored.data


def test_a_png_with_transparency_is_accepted(client, db):
    station = make_station(db)
    image = Image.new("RGBA", (200, 200), (255, 0, 0, 0))
    out = BytesIO()
    image.save(out, format="PNG")
    response = submit_with_photo(
        client, valid_form(station), out.getvalue(), "me.png", "image/png"
    )
    assert response.status_code == 200, response.text
    with Image.open(BytesIO(db.get(VolunteerPhoto, registered(db).id).data)) as p:
        assert p.getpixel((10, 10)) == (255, 255, 255)


@pytest.mark.parametrize("photo", [b"not a picture at all", b"GIF89a" + b"\x00" * 100])
def test_a_photo_that_is_not_a_jpeg_or_png_is_refused(client, db, photo):
    station = make_station(db)
    response = submit_with_photo(client, valid_form(station), photo)
    assert response.status_code == 400
    html = page(response)
    assert html.select_one("#photo-error")
    assert html.select_one("#name")["value"] == "测试·示例"


def test_a_12_mb_phone_photo_is_accepted_and_shrunk(client, db):
    station = make_station(db)
    # The bytes after the picture's end stand in for a big phone photo's detail.
    big = jpeg_with_exif() + b"\x00" * (12 * 1024 * 1024)
    response = submit_with_photo(client, valid_form(station), big)
    assert response.status_code == 200, response.text
    assert len(db.get(VolunteerPhoto, registered(db).id).data) < 1024 * 1024


def test_a_photo_over_15_mb_is_refused_and_the_form_is_kept(client, db):
    station = make_station(db)
    too_big = jpeg_with_exif((10, 10)) + b"\x00" * (15 * 1024 * 1024)
    response = submit_with_photo(client, valid_form(station), too_big)
    assert response.status_code == 400
    html = page(response)
    assert html.select_one("#photo-error")
    assert html.select_one("#name")["value"] == "测试·示例"


def test_a_body_far_over_the_limit_gets_the_error_page_not_json(client, db):
    station = make_station(db)
    huge = b"\x00" * (REGISTER_BODY_LIMIT + 1)
    response = submit_with_photo(client, valid_form(station), huge)
    assert response.status_code == 413
    assert response.headers["content-type"].startswith("text/html")
    assert page(response).select_one("#error-message")
    assert registered(db) is None


def test_htmx_narrows_the_stations_to_a_county_and_township(client, db):
    station = make_station(db)
    headers = {"HX-Request": "true", "HX-Target": "township"}
    response = client.get(
        "/register/stations", params={"county": "530802"}, headers=headers
    )
    html = page(response)
    assert html.select_one("select#township option[value='530802001']")
    assert html.select_one("select#station_id[hx-swap-oob]")
    assert html.select_one(f"#station_id option[value='{station.id}']")

    other_county = client.get(
        "/register/stations",
        params={"county": "530821", "township": ""},
        headers={"HX-Request": "true", "HX-Target": "station_id"},
    )
    assert not page(other_county).select_one(
        f"#station_id option[value='{station.id}']"
    )
