"""The partner's counter: scan a card, see the result, record a benefit's use."""

from litestar import Request, Router, get, post
from litestar.di import NamedDependency
from litestar.params import URLEncodedBody
from litestar.response import Template
from sqlmodel import Session

from server.accounts.auth import partner_only
from server.db import utcnow
from server.i18n import _
from server.partners import service
from server.web import is_fragment_request, render, settings_of

USE_TARGET = "use-outcome"


@get("/partner/scan", name="partner_scan", guards=[partner_only], sync_to_thread=True)
def partner_scan(request: Request, db: NamedDependency[Session]) -> Template:
    partner = service.partner_of(db, request.user)
    return render(request, "partners/scan.html", {"partner": partner, "code": ""})


@post(
    "/partner/verify", name="partner_verify", guards=[partner_only], sync_to_thread=True
)
def partner_verify(
    request: Request, db: NamedDependency[Session], data: URLEncodedBody[dict[str, str]]
) -> Template:
    partner = service.partner_of(db, request.user)
    code = data.get("code", "").strip()
    if not code:
        context = {
            "partner": partner,
            "code": code,
            "error": _("Scan the card, or type the short code under its QR."),
        }
        return render(request, "partners/scan.html", context, status_code=400)

    result = service.scan(db, settings_of(request), request.user, code, utcnow())
    db.commit()
    return render(
        request, "partners/verify.html", {"partner": partner, "result": result}
    )


@post(
    "/partner/uses",
    name="record_benefit_use",
    guards=[partner_only],
    sync_to_thread=True,
)
def record_benefit_use(
    request: Request, db: NamedDependency[Session], data: URLEncodedBody[dict[str, str]]
) -> Template:
    benefit_id = data.get("benefit_id", "")
    context: dict = {"use": None, "refused": None}
    try:
        context["use"] = service.record_use(
            db,
            settings_of(request),
            request.user,
            data.get("ref", ""),
            int(benefit_id) if benefit_id.isdigit() else 0,
            utcnow(),
        )
    except (service.UseRefused, service.ScanTooOld) as refused:
        context["refused"] = refused

    # HTMX swaps only successful responses, so its fragment says "refused" in a 200.
    fragment = is_fragment_request(request, USE_TARGET)
    status = 409 if context["refused"] and not fragment else 200
    return render(
        request,
        "partners/use.html",
        context,
        fragment="partners/_use.html",
        target=USE_TARGET,
        status_code=status,
    )


router = Router(
    path="/",
    route_handlers=[
        partner_scan,
        partner_verify,
        record_benefit_use,
    ],
)
