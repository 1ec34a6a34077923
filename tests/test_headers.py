"""Headers every page carries, and pages that must not exist."""


def test_pages_refuse_framing_and_type_sniffing(client):
    response = client.get("/login")

    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "same-origin"


def test_there_is_no_public_api_schema_page(client):
    assert client.get("/schema").status_code == 404
    assert client.get("/schema/openapi.json").status_code == 404
