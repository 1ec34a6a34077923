"""Domain errors raised by services, with a message already in the user's language.

Services know nothing of HTTP; `server.error_handlers` is the one place that turns
these into a page, an HTMX fragment or JSON.
"""

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
