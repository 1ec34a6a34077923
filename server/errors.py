"""Domain errors raised by services, and the one place that turns them into responses.

Services know nothing of HTTP: they raise these with a message already in the user's
language. Handlers below answer with JSON, an HTMX fragment or a full page, by what
the request asked for.
"""

from urllib.parse import urlencode

from litestar import Request, Response
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.response import Redirect, Template

from server.i18n import _


class DomainError(Exception):
    """A rule was broken; `message` is shown to the user as it is."""

    status_code = 400

    def __init__(self, message: str, *, code: str = "invalid") -> None:
        super().__init__(message)
        self.message = message
        self.code = code


class NotFound(DomainError):
    status_code = 404

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or _("Not found."), code="not_found")


class Forbidden(DomainError):
    status_code = 403

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or _("You may not see this."), code="forbidden")


class Conflict(DomainError):
    status_code = 409


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
