"""The one place that turns errors into responses: JSON, an HTMX fragment or a page,
by what the request asked for.
"""

from urllib.parse import urlencode

from litestar import Request, Response
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.response import Redirect, Template

from server.errors import DomainError
from server.i18n import _


def wants_json(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept


def error_response(request: Request, message: str, status: int, code: str) -> Response:
    if wants_json(request):
        return Response({"error": code, "message": message}, status_code=status)
    template = (
        "errors/_message.html"
        if request.headers.get("hx-request") == "true"
        else "errors/error.html"
    )
    return Template(
        template_name=template,
        context={"message": message, "status": status},
        status_code=status,
        headers={"Vary": "HX-Request"},
    )


def domain_error_handler(request: Request, error: DomainError) -> Response:
    return error_response(request, error.message, error.status_code, error.code)


def not_authorized_handler(request: Request, _error: Exception) -> Response:
    if wants_json(request):
        return Response(
            {"error": "login_required", "message": _("Please log in first.")},
            status_code=401,
        )
    target = request.url.path
    if request.url.query:
        target += "?" + request.url.query
    login = request.app.route_reverse("login")
    return Redirect(f"{login}?{urlencode({'next': target})}")


def permission_denied_handler(request: Request, _error: Exception) -> Response:
    return error_response(request, _("You may not see this."), 403, "forbidden")


exception_handlers = {
    DomainError: domain_error_handler,
    NotAuthorizedException: not_authorized_handler,
    PermissionDeniedException: permission_denied_handler,
}
