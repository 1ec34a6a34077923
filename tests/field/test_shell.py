"""The installable shell: the manifest, its icons, and the service worker with the
version of this deploy's offline pages and the list of what it precaches.
"""

import json
import re
from io import BytesIO

from PIL import Image

from server.field.assets import (
    digest,
    field_version,
    precached_static,
    versioned_files,
)
from server.field.controllers import PAGES
from server.settings import ROOT


def sw_constant(text: str, name: str):
    match = re.search(rf"^const {name} = (.*);$", text, re.MULTILINE)
    assert match, f"{name} is not in sw.js"
    return json.loads(match.group(1))


def test_the_manifest_installs_the_field_home_standalone_with_both_icons(client):
    response = client.get("/manifest.webmanifest")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/manifest+json")
    manifest = response.json()
    assert re.search(r"[\u4e00-\u9fff]", manifest["name"])  # Chinese
    assert manifest["start_url"] == "/field"
    assert manifest["scope"] == "/"
    assert manifest["display"] == "standalone"
    sizes = {icon["sizes"]: icon["src"] for icon in manifest["icons"]}
    assert set(sizes) == {"192x192", "512x512"}
    for size, src in sizes.items():
        assert src.endswith(f"?v={field_version()}")
        icon = client.get(src)
        assert icon.status_code == 200
        with Image.open(BytesIO(icon.content)) as image:
            assert image.format == "PNG"
            assert f"{image.width}x{image.height}" == size


def test_the_service_worker_is_never_cached_and_carries_the_version(client):
    response = client.get("/sw.js")

    assert response.status_code == 200
    assert "javascript" in response.headers["content-type"]
    assert response.headers["cache-control"] == "no-cache"
    assert sw_constant(response.text, "VERSION") == field_version()
    assert re.fullmatch(r"[0-9a-f]{12}", field_version())


def test_every_precached_asset_exists_and_carries_the_version(client):
    text = client.get("/sw.js").text
    assets = sw_constant(text, "ASSETS")

    version = field_version()
    statics = [url for url in assets if url.startswith("/static/")]
    assert len(statics) == len(precached_static())
    for url in statics:
        assert url.endswith(f"?v={version}")
        assert client.get(url).status_code == 200, url
    assert "/manifest.webmanifest" in assets
    assert not [url for url in assets if url.startswith("/api/")]


def test_the_service_worker_keeps_exactly_the_field_pages(client, app):
    text = client.get("/sw.js").text

    pages = sw_constant(text, "PAGES")
    assert pages == [app.route_reverse(name) for name in PAGES]
    assert pages[0] == "/field"  # the one every field user has; install needs it
    assert sw_constant(text, "FALLBACKS") == {"/checkin": "/field/scan"}
    # Fragments and the sync API never go through the caches.
    assert 'url.pathname.startsWith("/api/")' in text
    assert 'request.headers.has("HX-Request")' in text


def test_the_version_covers_the_pages_assets_layout_and_worker():
    files = {path.relative_to(ROOT).as_posix() for path in versioned_files()}

    assert "web/templates/base.html" in files
    assert "web/templates/field/sw.js" in files
    assert "web/templates/field/visit_new.html" in files
    for name in precached_static():
        assert f"web/static/{name}" in files
    field_version.cache_clear()  # computed once a process; files may have moved on
    assert digest(versioned_files()) == field_version()


def test_the_version_changes_with_any_byte_and_not_otherwise(tmp_path):
    one, two = tmp_path / "a.js", tmp_path / "b.css"
    one.write_text("let a = 1;")
    two.write_text("p { }")
    before = digest([one, two], tmp_path)

    assert digest([two, one], tmp_path) == before
    one.write_text("let a = 2;")
    assert digest([one, two], tmp_path) != before
