"""The one place that turns errors into responses: JSON, an HTMX fragment or a page,
by what the request asked for.
"""

from urllib.parse import urlencode

from litestar import Request, Response
from litestar.exceptions import (
    HTTPException,
    NotAuthorizedException,
    PermissionDeniedException,
)
from litestar.exceptions.responses import create_exception_response
from litestar.response import Redirect, Template

from server.errors import DomainError
from server.i18n import _
from server.logs import get_logger


def wants_json(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept


def error_response(
    request: Request,
    message: str,
    status: int,
    code: str,
    headers: dict[str, str] | None = None,
) -> Response:
    if wants_json(request):
        return Response(
            {"error": code, "message": message}, status_code=status, headers=headers
        )
    # An unknown address or method fails before the middleware that loads the
    # user runs; the layout then shows the page as for someone not logged in.
    request.scope.setdefault("user", None)
    template = (
        "errors/_message.html"
        if request.headers.get("hx-request") == "true"
        else "errors/error.html"
    )
    return Template(
        template_name=template,
        context={"message": message, "status": status},
        status_code=status,
        headers={**(headers or {}), "Vary": "HX-Request"},
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


def http_message(status: int) -> str:
    """A plain message for an HTTP error, saying what the person can do next."""
    if status == 404:
        return _(
            "This page does not exist. Check the address, or go back to the home page."
        )
    if status == 405:
        return _("This page cannot be used like that. Go back and try again.")
    if status == 413:
        return _(
            "What you sent is too large. Go back, choose a smaller photo and "
            "send it again."
        )
    if status >= 500:
        return _("Something went wrong on our side. Please try again in a few minutes.")
    return _("Something went wrong with this page. Go back and try again.")


def log_unhandled(request: Request) -> None:
    """Log the exception being handled, with the path only: queries carry codes."""
    # A fresh logger each time: a module-level one caches the logging setup at its
    # first use, which outlives a later reconfiguration (tests capturing logs).
    get_logger(__name__).exception("unhandled_error", path=request.url.path)


def http_error_handler(request: Request, error: HTTPException) -> Response:
    """Litestar's own errors (404, 405, 413...): a page for people, JSON on request."""
    if error.status_code >= 500:
        log_unhandled(request)
    if wants_json(request):
        # Keep Litestar's JSON shape (status_code, detail, extra) for API callers.
        return create_exception_response(request, error)
    return error_response(
        request,
        http_message(error.status_code),
        error.status_code,
        "http_error",
        headers=error.headers,
    )


def unexpected_error_handler(request: Request, _error: Exception) -> Response:
    """A bug: logged with its traceback (path only, no query or personal data)."""
    log_unhandled(request)
    return error_response(request, http_message(500), 500, "internal_error")


exception_handlers = {
    DomainError: domain_error_handler,
    NotAuthorizedException: not_authorized_handler,
    PermissionDeniedException: permission_denied_handler,
    HTTPException: http_error_handler,
    Exception: unexpected_error_handler,
}
