"""Thin handlers over `sync/`: JSON for phones, one page for station staff."""

import json
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import anyio
from litestar import Request, Response, Router, get, post
from litestar.di import NamedDependency
from litestar.params import FromQuery
from litestar.response import Template
from sqlmodel import Session

from server.accounts.auth import requires, station_staff
from server.accounts.models import Role
from server.db import utcnow
from server.i18n import _
from server.logs import get_logger
from server.web import PAGE_SIZE, Page, page_number, render
from sync import review
from sync.labels import flag_kind_labels, reason_labels
from sync.protocol import BatchError, Transient, read_batch
from sync.pull import pull
from sync.reconcile import push

log = get_logger(__name__)
phone_user = requires(Role.captain, Role.volunteer)
# Up to 500 records with photos of at most 512 KiB, base64: docs/sync.md says 8 MB.
MAX_BODY = 9 * 1024 * 1024
RETRY_AFTER_SECONDS = 5


@post(
    "/api/sync/push",
    name="sync_push",
    guards=[phone_user],
    request_max_body_size=MAX_BODY,
    status_code=200,
)
async def sync_push(request: Request, db: NamedDependency[Session]) -> Response:
    refused = _refuse_foreign(request)
    if refused is not None:
        return refused
    try:
        batch = read_batch(_json(await request.body()))
        settings = request.app.state.settings
        result = await anyio.to_thread.run_sync(
            lambda: push(db, request.user, batch, settings)
        )
    except BatchError as error:
        log.info("sync_batch_refused", user_id=request.user.id, error=error.code)
        return _error(error.code, error.message, error.status)
    except Transient:
        log.warning("sync_batch_retry", user_id=request.user.id)
        message = _("The server is busy. Nothing was lost; please send again.")
        return _error("retry", message, 503, {"Retry-After": str(RETRY_AFTER_SECONDS)})
    return Response(result.as_dict())


@get("/api/sync/pull", name="sync_pull", guards=[phone_user], sync_to_thread=True)
def sync_pull(
    request: Request, db: NamedDependency[Session], cursor: FromQuery[str | None] = None
) -> Response:
    refused = _refuse_foreign(request)
    if refused is not None:
        return refused
    settings = request.app.state.settings
    return Response(pull(db, request.user, settings, cursor, utcnow()))


@get("/station/sync", name="station_sync", guards=[station_staff], sync_to_thread=True)
def station_sync(
    request: Request,
    db: NamedDependency[Session],
    flags_page: FromQuery[str | None] = None,
    gaps_page: FromQuery[str | None] = None,
) -> Template:
    station_id = request.user.station_id
    flags_number, gaps_number = page_number(flags_page), page_number(gaps_page)
    flags, flags_total = review.open_flags(db, station_id, flags_number, PAGE_SIZE)
    gaps, gaps_total = review.gaps(db, station_id, gaps_number, PAGE_SIZE)
    context = {
        "flags": Page(flags, flags_number, PAGE_SIZE, flags_total),
        "gaps": Page(gaps, gaps_number, PAGE_SIZE, gaps_total),
        "zone": ZoneInfo(request.app.state.settings.timezone),
        "kind_labels": flag_kind_labels(),
        "reason_labels": reason_labels(),
    }
    return render(request, "sync/station.html", context)


def _refuse_foreign(request: Request) -> Response | None:
    """Keep other sites out of `/api/`, which the CSRF-token check exempts: a
    custom header needs a CORS preflight that is never granted (docs/sync.md)."""
    if request.headers.get("x-requested-with") != "sync":
        return _error("sync_header", _("This request is not from the app."), 403)
    origin = request.headers.get("origin")
    if origin and urlsplit(origin).netloc != request.headers.get("host", ""):
        return _error("bad_origin", _("This request is not from the app."), 403)
    fetch_site = request.headers.get("sec-fetch-site")
    if fetch_site and fetch_site not in ("same-origin", "none"):
        return _error("bad_origin", _("This request is not from the app."), 403)
    return None


def _json(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return None


def _error(
    code: str, message: str, status: int, headers: dict[str, str] | None = None
) -> Response:
    return Response(
        {"error": code, "message": message}, status_code=status, headers=headers
    )


router = Router(path="/", route_handlers=[sync_push, sync_pull, station_sync])
