from server.accounts.models import Role
from server.accounts.service import MAX_FAILURES
from tests.factories import TEST_PASSWORD, make_station, make_user


def test_anonymous_visits_store_no_session(client):
    response = client.get("/")

    assert response.status_code == 200
    assert "session" not in response.cookies


def test_login_lands_on_the_role_home_and_logout_forgets(client, db):
    station = make_station(db)
    make_user(db, Role.head, username="head-a", station_id=station.id)

    response = client.submit(
        "/login",
        {"username": "head-a", "password": TEST_PASSWORD},
        follow_redirects=False,
    )
    assert response.status_code in (302, 303)
    assert response.headers["location"] == client.app.route_reverse("station_home")

    client.submit("/logout", follow_redirects=False)
    after = client.get("/station", follow_redirects=False)
    assert after.status_code in (302, 303)
    assert after.headers["location"].startswith("/login")


def test_a_wrong_password_is_refused_and_keeps_the_username(client, db):
    make_user(db, Role.head, username="head-b")

    response = client.submit("/login", {"username": "head-b", "password": "nope"})

    assert response.status_code == 400
    assert 'id="login-error"' in response.text
    assert 'value="head-b"' in response.text


def test_repeated_failures_are_throttled_even_with_the_right_password(client, db):
    make_user(db, Role.head, username="head-c")
    for _ in range(MAX_FAILURES):
        client.submit("/login", {"username": "head-c", "password": "wrong"})

    response = client.submit(
        "/login", {"username": "head-c", "password": TEST_PASSWORD}
    )

    assert response.status_code == 429


def test_next_only_follows_paths_on_this_site(client, db):
    make_user(db, Role.head, username="head-d")

    response = client.submit(
        "/login",
        {"username": "head-d", "password": TEST_PASSWORD, "next": "//evil.example"},
        follow_redirects=False,
    )

    assert response.headers["location"] == client.app.route_reverse("station_home")


def test_a_form_without_the_csrf_token_is_refused(client, db):
    make_user(db, Role.head, username="head-e")

    response = client.post(
        "/login", data={"username": "head-e", "password": TEST_PASSWORD}
    )

    assert response.status_code == 403


def test_a_mobile_number_logs_in_however_it_is_typed(client, db):
    make_user(db, Role.volunteer, username="13988880001")

    for typed in (
        "139 8888 0001",
        "139-8888-0001",
        "+86 13988880001",
        "１３９８８８８０００１",
    ):
        response = client.submit(
            "/login",
            {"username": typed, "password": TEST_PASSWORD},
            follow_redirects=False,
        )
        assert response.status_code in (302, 303), typed
        client.submit("/logout")


def test_the_home_page_leads_a_logged_in_volunteer_to_their_page(client, db):
    make_user(db, Role.partner, username="counter-a")
    client.login("counter-a")

    response = client.get("/")

    assert 'id="my-home" href="/partner/scan"' in response.text
