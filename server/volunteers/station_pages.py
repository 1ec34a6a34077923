"""Station staff review the registrations of their own station, and only those."""

from typing import Any

from litestar import Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, URLEncodedBody
from litestar.response import Redirect, Template
from sqlmodel import Session

from server.accounts.auth import station_staff
from server.accounts.models import User
from server.db import utcnow
from server.stations.models import Station
from server.volunteers.clock import city_today, city_zone
from server.volunteers.labels import all_labels
from server.volunteers.normalise import age_on
from server.volunteers.review import (
    ReasonInvalid,
    approve_registration,
    community_name,
    registration_at,
    registrations_page,
    reject_registration,
    staff_station_id,
    status_counts,
)
from server.volunteers.service import has_photo
from server.web import page_number, render

DETAIL = "/station/registrations/{volunteer_id:int}"


@get("/station", name="station_home", guards=[station_staff], sync_to_thread=True)
def station_home(request: Request, db: NamedDependency[Session]) -> Template:
    station_id = staff_station_id(request.user)
    context = {
        "station": db.get(Station, station_id),
        "counts": status_counts(db, station_id),
    }
    return render(request, "station/home.html", context)


@get(
    "/station/registrations",
    name="station_registrations",
    guards=[station_staff],
    sync_to_thread=True,
)
def station_registrations(
    request: Request, db: NamedDependency[Session], page: FromQuery[str | None] = None
) -> Template:
    station_id = staff_station_id(request.user)
    rows = registrations_page(
        db,
        station_id,
        page_number(page),
        today=city_today(request),
        zone=city_zone(request),
    )
    return render(
        request,
        "station/registrations.html",
        {"page": rows, "labels": all_labels()},
        fragment="station/_registrations.html",
        target="registrations",
    )


@get(DETAIL, name="station_registration", guards=[station_staff], sync_to_thread=True)
def station_registration(
    request: Request, db: NamedDependency[Session], volunteer_id: FromPath[int]
) -> Template:
    return _detail_page(request, db, volunteer_id)


@post(
    DETAIL + "/approve",
    name="approve_registration",
    guards=[station_staff],
    sync_to_thread=True,
)
def approve(
    request: Request, db: NamedDependency[Session], volunteer_id: FromPath[int]
) -> Redirect:
    approve_registration(
        db,
        staff_station_id(request.user),
        volunteer_id,
        decided_by=request.user.id,
        now=utcnow(),
    )
    return _back_to(request, volunteer_id)


@post(
    DETAIL + "/reject",
    name="reject_registration",
    guards=[station_staff],
    sync_to_thread=True,
)
def reject(
    request: Request,
    db: NamedDependency[Session],
    volunteer_id: FromPath[int],
    data: URLEncodedBody[dict[str, str]],
) -> Template | Redirect:
    reason = data.get("reason", "")
    try:
        reject_registration(
            db,
            staff_station_id(request.user),
            volunteer_id,
            reason=reason,
            decided_by=request.user.id,
            now=utcnow(),
        )
    except ReasonInvalid as invalid:
        errors = {"reason": invalid.message}
        return _detail_page(request, db, volunteer_id, errors=errors, reason=reason)
    return _back_to(request, volunteer_id)


def _back_to(request: Request, volunteer_id: int) -> Redirect:
    path = request.app.route_reverse("station_registration", volunteer_id=volunteer_id)
    return Redirect(path, status_code=303)


def _detail_page(
    request: Request,
    db: Session,
    volunteer_id: int,
    *,
    errors: dict[str, str] | None = None,
    reason: str = "",
) -> Template:
    volunteer = registration_at(db, staff_station_id(request.user), volunteer_id)
    decider = db.get(User, volunteer.decided_by) if volunteer.decided_by else None
    context: dict[str, Any] = {
        "volunteer": volunteer,
        "age": age_on(volunteer.birth_date, city_today(request)),
        "community": community_name(db, volunteer.station_id),
        "intentions": [i for i in volunteer.intentions.split(",") if i],
        "has_photo": has_photo(db, volunteer.id),
        "submitted_at": volunteer.created_at.astimezone(city_zone(request)),
        "decided_at": volunteer.decided_at
        and volunteer.decided_at.astimezone(city_zone(request)),
        "decider": decider.display_name if decider else "",
        "labels": all_labels(),
        "errors": errors or {},
        "reason": reason,
    }
    status = 400 if errors else 200
    return render(request, "station/registration.html", context, status_code=status)


station_handlers = [
    station_home,
    station_registrations,
    station_registration,
    approve,
    reject,
]
