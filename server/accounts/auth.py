"""Who is asking: the session names a user id; this loads the user once per request.

Guards then say which roles may use a route. A station's staff see their station,
a partner sees only scan results, a volunteer sees their own record.
"""

from collections.abc import Callable

import anyio
from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler
from litestar.types import ASGIApp, Receive, Scope, Send

from server.accounts.models import STATION_STAFF, Role, User

SESSION_USER_KEY = "uid"


def auth_middleware(app: ASGIApp) -> ASGIApp:
    """Put the logged-in `User` (or None) on `request.user`."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not scope["path"].startswith("/static/"):
            scope["user"] = await anyio.to_thread.run_sync(_load_user, scope)
        await app(scope, receive, send)

    return middleware


def _load_user(scope: Scope) -> User | None:
    session = scope.get("session")
    if not isinstance(session, dict):
        return None
    user_id = session.get(SESSION_USER_KEY)
    if not isinstance(user_id, int):
        return None
    database = scope["litestar_app"].state.database
    with database.session() as db:
        user = db.get(User, user_id)
    return user if user and user.is_active else None


def current_user(connection: ASGIConnection) -> User | None:
    return connection.scope.get("user")


def requires(*roles: str) -> Callable[[ASGIConnection, BaseRouteHandler], None]:
    """A guard letting in only logged-in users with one of `roles`."""
    allowed = frozenset(roles)

    def guard(connection: ASGIConnection, _handler: BaseRouteHandler) -> None:
        user = current_user(connection)
        if user is None:
            raise NotAuthorizedException()
        if allowed and user.role not in allowed:
            raise PermissionDeniedException()

    return guard


logged_in = requires()
station_staff = requires(*STATION_STAFF)
captain_or_staff = requires(Role.captain, *STATION_STAFF)
volunteer_only = requires(Role.volunteer, Role.captain)
partner_only = requires(Role.partner)
office_only = requires(Role.office_admin, Role.federation_admin)
