"""The volunteer's card pages, the public card key, and the office's certification."""

import anyio
from litestar import Request, Response, Router, get, post
from litestar.di import NamedDependency
from litestar.params import FromQuery
from litestar.response import Redirect, Template
from sqlmodel import Session

from server.accounts.auth import office_only, volunteer_only
from server.cards import certification, service
from server.cards.standing import format_hours, local_today
from server.cards.tokens import card_keys
from server.db import utcnow
from server.errors import DomainError, NotFound
from server.i18n import _
from server.qr import qr_png
from server.web import PAGE_SIZE, page_number, render, settings_of


def _code_context(request: Request, volunteer) -> dict:
    settings = settings_of(request)
    code = service.phone_code(settings, volunteer, utcnow())
    return {"code": code, "refresh_seconds": settings.card_code_seconds}


@get("/me/card", name="my_card", guards=[volunteer_only], sync_to_thread=True)
def my_card(request: Request, db: NamedDependency[Session]) -> Template:
    volunteer = service.own_volunteer(db, request.user)
    if not service.is_approved(volunteer):
        return render(request, "cards/pending.html", {"volunteer": volunteer})
    view = service.card_view(db, settings_of(request), volunteer, utcnow())
    context = {
        "view": view,
        "hours_total": format_hours(view.standing.total_minutes),
        "hours_year": format_hours(view.standing.year_minutes),
        "benefit_min_hours": settings_of(request).benefit_min_hours,
        **_code_context(request, volunteer),
    }
    return render(request, "cards/card.html", context)


@get("/me/card/code", name="my_card_code", guards=[volunteer_only], sync_to_thread=True)
def my_card_code(request: Request, db: NamedDependency[Session]) -> Template:
    """The QR and short code alone, for HTMX to swap in as the code changes."""
    volunteer = service.own_volunteer(db, request.user)
    if not service.is_approved(volunteer):
        raise NotFound(_("Only an approved volunteer has a card."))
    return render(request, "cards/_code.html", _code_context(request, volunteer))


@get(
    "/me/card/qr.png", name="card_qr_png", guards=[volunteer_only], sync_to_thread=True
)
def card_qr_png(
    request: Request, db: NamedDependency[Session], t: FromQuery[str] = ""
) -> Response:
    volunteer = service.own_volunteer(db, request.user)
    settings = settings_of(request)
    if not service.is_own_current_code(db, settings, volunteer, t, utcnow()):
        raise NotFound(_("This card code is not current; reload the card."))
    return Response(
        qr_png(t),
        media_type="image/png",
        headers={"Cache-Control": "no-store"},
    )


@get(
    "/me/card/print", name="my_card_print", guards=[volunteer_only], sync_to_thread=True
)
def my_card_print(request: Request, db: NamedDependency[Session]) -> Template:
    volunteer = service.own_volunteer(db, request.user)
    settings = settings_of(request)
    card = service.issue_printed_card(db, volunteer)
    db.commit()
    context = {
        "view": service.card_view(db, settings, volunteer, utcnow()),
        "printed": card,
        "token": service.printed_token(settings, volunteer, card),
        "issued_on": local_today(settings, card.issued_at),
    }
    return render(request, "cards/print.html", context)


@post(
    "/me/card/print/renew",
    name="renew_printed_card",
    guards=[volunteer_only],
    sync_to_thread=True,
)
def renew_printed_card(request: Request, db: NamedDependency[Session]) -> Redirect:
    volunteer = service.own_volunteer(db, request.user)
    service.renew_printed_card(db, volunteer)
    db.commit()
    return Redirect(request.app.route_reverse("my_card_print"))


@get("/api/card-key", name="card_public_key", sync_to_thread=False)
def card_public_key(request: Request) -> Response:
    """The city's card verification key, for phones that check codes offline."""
    keys = card_keys(settings_of(request))
    return Response(
        {
            "algorithm": "Ed25519",
            "public_key": keys.public_key_b64,
            "encoding": "base64url, raw 32 bytes, no padding",
            "token_version": 1,
        },
        headers={"Cache-Control": "public, max-age=3600"},
    )


def _office_page(request: Request, db: Session, number: int, **extra) -> dict:
    awaiting = certification.awaiting_certification(
        db, settings_of(request), request.user, number, PAGE_SIZE
    )
    return {"page": awaiting, "hours": format_hours, **extra}


@get("/office", name="office_home", guards=[office_only], sync_to_thread=True)
def office_home(
    request: Request, db: NamedDependency[Session], page: FromQuery[str] = "1"
) -> Template:
    certified = request.query_params.get("certified")
    context = _office_page(request, db, page_number(page), certified=certified)
    return render(request, "office/home.html", context)


@post("/office/certify", name="certify_stars", guards=[office_only])
async def certify_stars(
    request: Request, db: NamedDependency[Session]
) -> Template | Redirect:
    form = await request.form()
    ids = [int(raw) for raw in form.getall("volunteer_id", []) if raw.isdigit()]

    def work() -> int | str:
        try:
            made = certification.certify(db, settings_of(request), request.user, ids)
        except DomainError as error:
            return error.message
        db.commit()
        return len(made)

    outcome = await anyio.to_thread.run_sync(work)
    if isinstance(outcome, str):
        context = await anyio.to_thread.run_sync(
            lambda: _office_page(request, db, 1, error=outcome)
        )
        return render(request, "office/home.html", context, status_code=400)
    return Redirect(
        request.app.route_reverse("office_home"),
        query_params={"certified": str(outcome)},
    )


router = Router(
    path="/",
    route_handlers=[
        my_card,
        my_card_code,
        card_qr_png,
        my_card_print,
        renew_printed_card,
        card_public_key,
        office_home,
        certify_stars,
    ],
)
