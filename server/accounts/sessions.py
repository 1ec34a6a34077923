"""Server-side sessions that store nothing for anonymous visitors.

Litestar's stock backend saves an empty session, and sets a cookie, for every visitor
and every request. For a city's public pages (and crawlers) that fills Redis with
empty entries, so an empty session with no cookie is simply not stored.
"""

from typing import Any

from litestar.connection import ASGIConnection
from litestar.middleware.session.server_side import (
    ServerSideSessionBackend,
    ServerSideSessionConfig,
)
from litestar.types import Message


class LeanSessionBackend(ServerSideSessionBackend):
    async def store_in_message(
        self, scope_session: Any, message: Message, connection: ASGIConnection
    ) -> None:
        if not scope_session and self.config.key not in connection.cookies:
            return
        await super().store_in_message(scope_session, message, connection)


class LeanSessionConfig(ServerSideSessionConfig):
    _backend_class = LeanSessionBackend
