"""HTTP errors answer people with the styled error page, and JSON only on request."""

import pytest
from bs4 import BeautifulSoup
from structlog.testing import capture_logs

import server.volunteers.controllers as registration_pages

JSON = {"Accept": "application/json"}
HTML = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}


def error_page(response) -> BeautifulSoup:
    assert response.headers["content-type"].startswith("text/html"), response.text
    html = BeautifulSoup(response.text, "html.parser")
    assert html.select_one("#error-message").get_text(strip=True)
    return html


@pytest.mark.parametrize("headers", [HTML, {}])
def test_an_unknown_address_gets_the_error_page(client, headers):
    response = client.get("/no-such-page", headers=headers)
    assert response.status_code == 404
    error_page(response)


def test_an_unknown_address_answers_json_when_json_is_asked_for(client):
    response = client.get("/no-such-page", headers=JSON)
    assert response.status_code == 404
    assert response.json()["status_code"] == 404


def test_a_wrong_method_gets_the_error_page_and_keeps_the_allow_header(client):
    response = client.delete("/register", headers=HTML)
    assert response.status_code == 405
    error_page(response)
    assert "GET" in response.headers.get("allow", "")


def test_an_htmx_request_gets_only_the_message(client):
    response = client.get("/no-such-page", headers={"HX-Request": "true"})
    assert response.status_code == 404
    assert "<html" not in response.text
    assert BeautifulSoup(response.text, "html.parser").select_one("#error-message")


def broken(*_args, **_kwargs):
    raise RuntimeError("a made-up bug")


def test_a_bug_gets_the_error_page_and_is_logged_without_the_query(client, monkeypatch):
    monkeypatch.setattr(registration_pages, "station_groups", broken)
    with capture_logs() as logs:
        response = client.get("/register?name=测试", headers=HTML)
    assert response.status_code == 500
    error_page(response)
    assert "made-up bug" not in response.text
    errors = [e for e in logs if e["event"] == "unhandled_error"]
    assert errors == [
        {
            "event": "unhandled_error",
            "path": "/register",
            "log_level": "error",
            "exc_info": True,
        }
    ]


def test_a_bug_answers_json_when_json_is_asked_for(client, monkeypatch):
    monkeypatch.setattr(registration_pages, "station_groups", broken)
    response = client.get("/register", headers=JSON)
    assert response.status_code == 500
    assert response.json()["error"] == "internal_error"
    assert "made-up bug" not in response.text
