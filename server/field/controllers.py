"""The phone's offline field pages, the service worker and the web app manifest.

The pages are shells: everything they show comes from the phone's IndexedDB,
filled by `/api/sync/pull` (docs/sync.md) and the card endpoint below, so that
after one visit with signal they work for days without one.
"""

import json
from typing import Any

from litestar import Request, Response, Router, get
from litestar.di import NamedDependency
from litestar.response import Template
from sqlmodel import Session

from server.accounts.auth import requires, volunteer_only
from server.accounts.models import Role
from server.cards import service as cards
from server.db import utcnow
from server.errors import NotFound
from server.field.assets import field_version, precached_static
from server.field.service import offline_card
from server.field.texts import script_texts
from server.i18n import _, get_locale
from server.volunteers.labels import service_type_labels
from server.web import render, settings_of

captain_only = requires(Role.captain)
PHOTO_MAX_SIDE = 1280
# Page routes the service worker keeps, and who may open each.
PAGES = (
    "field_home",
    "field_visit_new",
    "field_checkins",
    "field_scan",
    "field_outbox",
    "field_card",
)
VERSION_HEADER = "X-Field-Version"


def _asset(request: Request, version: str):
    def asset(path: str) -> str:
        url = request.app.route_reverse("static", file_path="/" + path)
        return f"{url}?v={version}"

    return asset


def _config(request: Request, version: str) -> dict[str, Any]:
    """What the page's scripts need, as JSON in the page (translated words too)."""
    user, reverse = request.user, request.app.route_reverse
    urls = {name: reverse(name) for name in PAGES}
    urls.update(
        push=reverse("sync_push"),
        pull=reverse("sync_pull"),
        card_data=reverse("field_card_data"),
        checkin=reverse("checkin"),
        service_worker=reverse("field_service_worker"),
    )
    return {
        "version": version,
        "user_id": user.id,
        "is_captain": user.role == Role.captain,
        "has_card": user.volunteer_id is not None,
        "lang": "zh-Hans" if get_locale() == "zh_Hans" else "en",
        "photo_max_bytes": settings_of(request).sync_photo_max_bytes,
        "photo_max_side": PHOTO_MAX_SIDE,
        "urls": urls,
        "texts": script_texts(),
        "service_types": service_type_labels(),
    }


def _page(request: Request, template: str, **extra: Any) -> Template:
    version = field_version()
    context = {
        "asset_version": version,
        "asset": _asset(request, version),
        "field_config": _config(request, version),
        "is_captain": request.user.role == Role.captain,
        **extra,
    }
    response = render(request, f"field/{template}", context)
    # The service worker keeps a page only when it is of its own version.
    response.headers[VERSION_HEADER] = version
    response.headers["Cache-Control"] = "private, no-cache"
    return response


@get("/field", name="field_home", guards=[volunteer_only], sync_to_thread=False)
def field_home(request: Request) -> Template:
    return _page(request, "home.html")


@get(
    "/field/visits/new",
    name="field_visit_new",
    guards=[captain_only],
    sync_to_thread=False,
)
def field_visit_new(request: Request) -> Template:
    return _page(request, "visit_new.html", service_types=service_type_labels())


@get(
    "/field/checkins",
    name="field_checkins",
    guards=[captain_only],
    sync_to_thread=False,
)
def field_checkins(request: Request) -> Template:
    return _page(request, "checkins.html")


@get("/field/scan", name="field_scan", guards=[volunteer_only], sync_to_thread=False)
def field_scan(request: Request) -> Template:
    return _page(request, "scan.html")


@get(
    "/field/outbox", name="field_outbox", guards=[volunteer_only], sync_to_thread=False
)
def field_outbox(request: Request) -> Template:
    return _page(request, "outbox.html")


@get("/field/card", name="field_card", guards=[volunteer_only], sync_to_thread=False)
def field_card(request: Request) -> Template:
    return _page(request, "card.html")


@get(
    "/api/field/card",
    name="field_card_data",
    guards=[volunteer_only],
    sync_to_thread=True,
)
def field_card_data(request: Request, db: NamedDependency[Session]) -> Response:
    """The card and its codes for the coming hours, for the phone to keep."""
    if request.headers.get("x-requested-with") != "sync":
        message = _("This request is not from the app.")
        return Response({"error": "sync_header", "message": message}, status_code=403)
    volunteer = cards.own_volunteer(db, request.user)
    if not cards.is_approved(volunteer):
        raise NotFound(_("Only an approved volunteer has a card."))
    card = offline_card(db, settings_of(request), volunteer, utcnow())
    return Response(card, headers={"Cache-Control": "no-store"})


@get("/sw.js", name="field_service_worker", sync_to_thread=False)
def service_worker(request: Request) -> Template:
    version = field_version()
    asset = _asset(request, version)
    reverse = request.app.route_reverse
    context = {
        "version_json": json.dumps(version),
        "assets_json": json.dumps(
            [asset(path) for path in precached_static()] + [reverse("field_manifest")]
        ),
        "pages_json": json.dumps([reverse(name) for name in PAGES]),
        "fallbacks_json": json.dumps({reverse("checkin"): reverse("field_scan")}),
    }
    return Template(
        "field/sw.js",
        context=context,
        media_type="text/javascript",
        headers={"Cache-Control": "no-cache", "Service-Worker-Allowed": "/"},
    )


@get("/manifest.webmanifest", name="field_manifest", sync_to_thread=False)
def manifest(request: Request) -> Response:
    settings = settings_of(request)
    version = field_version()
    asset = _asset(request, version)
    reverse = request.app.route_reverse
    body = {
        "name": f"{settings.city_name}社区志愿服务",
        "short_name": "志愿服务",
        "lang": "zh-Hans",
        "start_url": reverse("field_home"),
        "scope": "/",
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#c62828",
        "icons": [
            {
                "src": asset(f"icons/icon-{size}.png"),
                "sizes": f"{size}x{size}",
                "type": "image/png",
                "purpose": "any maskable",
            }
            for size in (192, 512)
        ],
    }
    return Response(
        json.dumps(body, ensure_ascii=False),
        media_type="application/manifest+json",
        headers={"Cache-Control": "no-cache"},
    )


router = Router(
    path="/",
    route_handlers=[
        field_home,
        field_visit_new,
        field_checkins,
        field_scan,
        field_outbox,
        field_card,
        field_card_data,
        service_worker,
        manifest,
    ],
)
