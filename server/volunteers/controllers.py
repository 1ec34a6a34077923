"""Registration pages, the volunteer photo, and (in `station_pages`) station review."""

from functools import partial

import anyio
from litestar import Request, Response, Router, get, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.response import Template
from sqlmodel import Session

from server.accounts.auth import current_user
from server.activities.models import ServiceType
from server.db import utcnow
from server.volunteers.choices import (
    counties_with_stations,
    station_groups,
    townships_with_stations,
)
from server.volunteers.clock import city_today
from server.volunteers.labels import all_labels
from server.volunteers.models import IdType
from server.volunteers.photos import (
    MAX_UPLOAD_BYTES,
    MAX_UPLOAD_MEGABYTES,
    PHOTO_CONTENT_TYPE,
)
from server.volunteers.service import (
    SEXES,
    Registration,
    RegistrationInvalid,
    photo_for,
    register,
)
from server.volunteers.station_pages import station_handlers
from server.web import render

# Well above the largest photo we accept, so that a somewhat too large photo gets
# the form back with everything typed and a message by the photo field; only a
# far bigger body is refused (with the error page) before it is read into memory.
REGISTER_BODY_LIMIT = MAX_UPLOAD_BYTES + 10 * 1024 * 1024


@get("/register", name="register", sync_to_thread=True)
def register_page(request: Request, db: NamedDependency[Session]) -> Template:
    return _form_page(request, db, Registration(), {})


@post("/register", name="register_submit", request_max_body_size=REGISTER_BODY_LIMIT)
async def register_submit(request: Request, db: NamedDependency[Session]) -> Template:
    values = await request.form()
    photo = await _uploaded(values.get("photo"))
    form = Registration.from_form(values, values.getall("intentions", []), photo)
    try:
        user = await anyio.to_thread.run_sync(
            partial(register, db, form, today=city_today(request), now=utcnow())
        )
    except RegistrationInvalid as invalid:
        show_again = partial(
            _form_page, request, db, form.kept(), invalid.errors, photo=bool(photo)
        )
        return await anyio.to_thread.run_sync(show_again)
    return render(request, "volunteers/registered.html", {"username": user.username})


async def _uploaded(value: object) -> bytes | None:
    if not isinstance(value, UploadFile):
        return None
    data = await value.read(MAX_UPLOAD_BYTES + 1)
    return data or None


def _form_page(
    request: Request,
    db: Session,
    form: Registration,
    errors: dict[str, str],
    *,
    photo: bool = False,
) -> Template:
    context = {
        "form": form,
        "errors": errors,
        "photo_dropped": photo and bool(errors),
        "photo_megabytes": MAX_UPLOAD_MEGABYTES,
        "groups": station_groups(db),
        "counties": counties_with_stations(db),
        "sexes": SEXES,
        "id_types": list(IdType),
        "service_types": list(ServiceType),
        "labels": all_labels(),
    }
    status = 400 if errors else 200
    return render(request, "volunteers/register.html", context, status_code=status)


@get("/register/stations", name="register_stations", sync_to_thread=True)
def register_stations(
    request: Request,
    db: NamedDependency[Session],
    county: FromQuery[str] = "",
    township: FromQuery[str] = "",
    station_id: FromQuery[str] = "",
) -> Template:
    """HTMX narrows the station list: by county (and its townships), or township."""
    context = {"selected": station_id, "errors": {}, "county": county}
    if request.headers.get("hx-target") == "township":
        context["townships"] = townships_with_stations(db, county) if county else []
        context["groups"] = station_groups(db, county)
        return render(request, "volunteers/_townships.html", context)
    context["groups"] = station_groups(db, county, township)
    return render(request, "volunteers/_station_select.html", context)


@get(
    "/volunteers/{volunteer_id:int}/photo", name="volunteer_photo", sync_to_thread=True
)
def volunteer_photo(
    request: Request, db: NamedDependency[Session], volunteer_id: FromPath[int]
) -> Response:
    """The card photo for the volunteer, their station and a partner that scanned
    them; the same 404 for everyone else, so ids cannot be probed."""
    data = photo_for(db, current_user(request), volunteer_id, now=utcnow())
    return Response(
        data,
        media_type=PHOTO_CONTENT_TYPE,
        headers={"Cache-Control": "private, max-age=600"},
    )


router = Router(
    path="/",
    route_handlers=[
        register_page,
        register_submit,
        register_stations,
        volunteer_photo,
        *station_handlers,
    ],
)
