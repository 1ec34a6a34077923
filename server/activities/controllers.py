"""Captain pages (activities, the rotating check-in QR) and volunteer check-in."""

from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from litestar import Request, Response, Router, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, URLEncodedBody
from litestar.response import Redirect, Template
from sqlmodel import Session

from server.accounts.auth import captain_or_staff, volunteer_only
from server.activities import codes
from server.activities.service import (
    attendance,
    captain_activities,
    check_in_or_out,
    checkin_refusal,
    get_activity,
    open_check_in,
    visible_activity,
    volunteer_of,
)
from server.db import utcnow
from server.errors import DomainError
from server.ledger.service import as_hours
from server.qr import qr_png
from server.web import page_number, render, settings_of


def _zone(request: Request) -> ZoneInfo:
    return ZoneInfo(settings_of(request).timezone)


def with_query(path: str, **params: Any) -> str:
    """`path` with an encoded query string."""
    return f"{path}?{urlencode(params)}"


def checkin_url(request: Request, token: str) -> str:
    """The absolute URL an activity's QR holds: the phone camera opens it."""
    return with_query(str(request.url_for("checkin")), c=token)


# Captain pages ----------------------------------------------------------------


@get("/captain", name="captain_home", guards=[captain_or_staff], sync_to_thread=True)
def captain_home(
    request: Request, db: NamedDependency[Session], page: FromQuery[str | None] = None
) -> Template:
    settings = settings_of(request)
    now = utcnow()
    number = page_number(page)
    activities = captain_activities(db, request.user, settings, number, now)
    context = {"page": activities, "tz": _zone(request), "now": now}
    return render(request, "activities/captain_home.html", context)


@get(
    "/activities/{activity_id:int}",
    name="activity_detail",
    guards=[captain_or_staff],
    sync_to_thread=True,
)
def activity_detail(
    request: Request,
    db: NamedDependency[Session],
    activity_id: FromPath[int],
    page: FromQuery[str | None] = None,
) -> Template:
    activity = visible_activity(db, request.user, activity_id)
    people = attendance(db, activity.id, page_number(page))
    context = {"activity": activity, "page": people, "tz": _zone(request)}
    return render(request, "activities/detail.html", context)


@get(
    "/activities/{activity_id:int}/code",
    name="activity_code",
    guards=[captain_or_staff],
    sync_to_thread=True,
)
def activity_code(
    request: Request, db: NamedDependency[Session], activity_id: FromPath[int]
) -> Template:
    settings = settings_of(request)
    activity = visible_activity(db, request.user, activity_id)
    now = utcnow()
    token = codes.make_code(activity.id, settings, now)
    png_path = request.app.route_reverse("activity_code_png", activity_id=activity.id)
    context = {
        "activity": activity,
        "link": checkin_url(request, token),
        "png_url": with_query(png_path, t=token),
        "tz": _zone(request),
        "refusal": checkin_refusal(activity, settings, now),
    }
    return render(
        request,
        "activities/code.html",
        context,
        fragment="activities/_code.html",
        target="activity-code",
    )


@get(
    "/activities/{activity_id:int}/code.png",
    name="activity_code_png",
    guards=[captain_or_staff],
    sync_to_thread=True,
)
def activity_code_png(
    request: Request,
    db: NamedDependency[Session],
    activity_id: FromPath[int],
    t: FromQuery[str] = "",
) -> Response:
    activity = visible_activity(db, request.user, activity_id)
    codes.verify_code(t, settings_of(request), utcnow(), activity_id=activity.id)
    return Response(
        qr_png(checkin_url(request, t)),
        media_type="image/png",
        headers={"Cache-Control": "no-store"},
    )


# Volunteer check-in -------------------------------------------------------------


@get("/scan", name="scan_checkin", guards=[volunteer_only], sync_to_thread=False)
def scan_checkin(request: Request) -> Template:
    return render(request, "activities/scan.html")


@get("/checkin", name="checkin", guards=[volunteer_only], sync_to_thread=True)
def checkin(
    request: Request, db: NamedDependency[Session], c: FromQuery[str] = ""
) -> Template | Redirect:
    if not c.strip():
        return Redirect(request.app.route_reverse("scan_checkin"))
    context = _checkin_context(request, db, c)
    status = 400 if context.get("error") else 200
    return render(request, "activities/checkin.html", context, status_code=status)


@post("/checkin", name="checkin_submit", guards=[volunteer_only], sync_to_thread=True)
def checkin_submit(
    request: Request, db: NamedDependency[Session], data: URLEncodedBody[dict[str, str]]
) -> Template:
    settings = settings_of(request)
    raw, kind = data.get("c", ""), data.get("kind", "")
    now = utcnow()
    try:
        code = codes.verify_code(raw, settings, now)
        activity = get_activity(db, code.activity_id)
        volunteer = volunteer_of(db, request.user)
        result = check_in_or_out(
            db,
            activity,
            volunteer,
            settings,
            kind=kind,
            now=now,
            recorded_by=request.user.id,
        )
        db.commit()
    except DomainError as error:
        db.rollback()
        context = _checkin_context(request, db, raw, error=error.message)
        return render(request, "activities/checkin.html", context, status_code=400)
    context = {
        "activity": activity,
        "result": result,
        "tz": _zone(request),
        "hours": as_hours,
    }
    return render(request, "activities/checkin_done.html", context)


def _checkin_context(
    request: Request, db: Session, raw: str, error: str | None = None
) -> dict[str, Any]:
    """What the check-in page shows: the activity and the one button that applies,
    or why there is no button."""
    settings = settings_of(request)
    context: dict[str, Any] = {"tz": _zone(request), "code": raw, "error": error}
    now = utcnow()
    try:
        code = codes.verify_code(raw, settings, now)
        activity = get_activity(db, code.activity_id)
        volunteer = volunteer_of(db, request.user)
    except DomainError as refused:
        return {**context, "error": error or refused.message, "refused": True}

    opened = open_check_in(db, activity.id, volunteer.id)
    context.update(
        activity=activity,
        code=codes.token_from(raw),
        kind="out" if opened else "in",
        checked_in_at=opened.at if opened else None,
    )
    if opened is None:
        context["blocked"] = checkin_refusal(activity, settings, now)
    return context


router = Router(
    path="/",
    route_handlers=[
        captain_home,
        activity_detail,
        activity_code,
        activity_code_png,
        scan_checkin,
        checkin,
        checkin_submit,
    ],
)
