"""Requests are logged without their query strings, where codes travel."""

import structlog

from tests.factories import make_station


def test_the_request_log_leaves_out_the_query_string(client, db):
    make_station(db)
    with structlog.testing.capture_logs() as logs:
        client.get("/login?next=/checkin%3Fc%3Dsecret-code-text")

    requests = [entry for entry in logs if entry["event"] == "request"]
    assert requests and requests[0]["path"] == "/login"
    assert requests[0]["status"] == 200
    assert "secret-code-text" not in repr(logs)


def test_the_language_switch_on_a_posted_page_goes_to_a_page_that_can_be_fetched(
    client,
):
    response = client.post("/login", data={"_csrf_token": client.csrf()})

    assert 'id="lang-en" href="/?lang=en"' in response.text
