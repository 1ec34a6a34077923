"""Station staff review the hours volunteers recorded: confirm or reject them."""

from typing import Any

from litestar import Request, Router, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, URLEncodedBody
from litestar.response import Redirect, Template
from sqlmodel import Session

from server.accounts.auth import station_staff
from server.activities.service import (
    FORGOTTEN_CHECKOUT_NOTE,
    close_forgotten_checkouts,
)
from server.db import utcnow
from server.errors import DomainError
from server.i18n import _
from server.ledger.service import as_hours, confirm, pending_entries, reject
from server.web import page_number, render


def _ids(raw: Any) -> list[int]:
    """Ticked `entry_id` boxes: one value, several, or none."""
    values = raw if isinstance(raw, list) else [raw] if raw else []
    return [int(value) for value in values if str(value).isdigit()]


def _hours_page(
    request: Request, db: Session, number: int, **extra: Any
) -> dict[str, Any]:
    settings = request.app.state.settings
    # Staff opening the queue is the moment forgotten check-outs must show up in it.
    close_forgotten_checkouts(
        db, utcnow(), settings, station_id=request.user.station_id
    )
    return {
        "page": pending_entries(db, request.user.station_id, number),
        "hours": as_hours,
        "notes": {
            FORGOTTEN_CHECKOUT_NOTE: _(
                "Forgot to check out: counted up to the activity's scheduled end."
            )
        },
        "reject_errors": {},
        **extra,
    }


@get(
    "/station/hours", name="station_hours", guards=[station_staff], sync_to_thread=True
)
def station_hours(
    request: Request,
    db: NamedDependency[Session],
    page: FromQuery[str | None] = None,
    confirmed: FromQuery[int | None] = None,
    rejected: FromQuery[int | None] = None,
) -> Template:
    context = _hours_page(
        request, db, page_number(page), confirmed=confirmed, rejected=rejected
    )
    return render(request, "ledger/hours.html", context)


@post(
    "/station/hours/confirm",
    name="confirm_hours",
    guards=[station_staff],
    sync_to_thread=True,
)
def confirm_hours(
    request: Request, db: NamedDependency[Session], data: URLEncodedBody[dict[str, Any]]
) -> Redirect:
    flagged = data.get("flagged") == "1"
    done = confirm(
        db, _ids(data.get("entry_id")), request.user, confirm_flagged=flagged
    )
    db.commit()
    path = request.app.route_reverse("station_hours")
    return Redirect(path, query_params={"confirmed": str(len(done))})


@post(
    "/station/hours/{entry_id:int}/reject",
    name="reject_hours",
    guards=[station_staff],
    sync_to_thread=True,
)
def reject_hours(
    request: Request,
    db: NamedDependency[Session],
    entry_id: FromPath[int],
    data: URLEncodedBody[dict[str, Any]],
) -> Template | Redirect:
    reason = str(data.get("reason", ""))
    try:
        reject(db, entry_id, request.user, reason)
    except DomainError as error:
        if error.code != "reason":
            raise
        context = _hours_page(
            request,
            db,
            1,
            reject_errors={entry_id: error.message},
            reject_reasons={entry_id: reason},
        )
        return render(request, "ledger/hours.html", context, status_code=400)
    db.commit()
    path = request.app.route_reverse("station_hours")
    return Redirect(path, query_params={"rejected": "1"})


router = Router(path="/", route_handlers=[station_hours, confirm_hours, reject_hours])
