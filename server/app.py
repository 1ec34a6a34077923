"""The app factory: settings in, a Litestar app out. Nothing runs at import time."""

import time
from collections.abc import Iterator
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from litestar import Litestar, Request, Response, get
from litestar.config.csrf import CSRFConfig
from litestar.datastructures import ResponseHeader, State
from litestar.di import Provide
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Template
from litestar.static_files import create_static_files_router
from litestar.stores.base import Store
from litestar.stores.memory import MemoryStore
from litestar.template.config import TemplateConfig
from sqlmodel import Session

from server import i18n
from server.accounts.auth import auth_middleware
from server.accounts.service import home_path_name
from server.accounts.sessions import LeanSessionConfig
from server.db import Database, make_engine
from server.error_handlers import exception_handlers
from server.logs import configure_logging, get_logger
from server.settings import Settings
from server.web import render

WEB = Path(__file__).resolve().parent.parent / "web"
# No page of ours is meant to be framed (a framed card or scan page invites
# clickjacking), sniffed as another type, or to leak its path to other sites.
SECURITY_HEADERS = [
    ResponseHeader(name="X-Frame-Options", value="DENY"),
    ResponseHeader(name="X-Content-Type-Options", value="nosniff"),
    ResponseHeader(name="Referrer-Policy", value="same-origin"),
]


def create_app(settings: Settings | None = None, database: Database | None = None):
    """Build the app. Tests pass their own settings and a database they control."""
    settings = settings or Settings.from_env()
    configure_logging(settings)
    i18n.load_catalogues()
    database = database or Database(make_engine(settings.database_url))
    stores = _stores(settings)

    return Litestar(
        route_handlers=[
            home,
            health,
            *_feature_routes(),
            create_static_files_router(
                path="/static", directories=[WEB / "static"], name="static"
            ),
        ],
        dependencies={"db": Provide(_db_session)},
        middleware=[
            LeanSessionConfig(
                store="sessions",
                exclude=["^/static/", "^/healthz"],
                max_age=14 * 24 * 3600,
                samesite="lax",
                secure=settings.is_production,
            ).middleware,
            _request_log_middleware,
            auth_middleware,
            _locale_middleware,
        ],
        csrf_config=CSRFConfig(
            secret=settings.secret_key,
            cookie_secure=settings.is_production,
            exclude=["/api/"],
        ),
        stores=stores,
        template_config=TemplateConfig(
            instance=JinjaTemplateEngine.from_environment(_jinja(settings))
        ),
        exception_handlers=exception_handlers,
        state=State({"settings": settings, "database": database}),
        # No public API schema page: it would load Redoc from a CDN, which a phone
        # on a weak signal, and the closed city network, cannot reach.
        openapi_config=None,
        response_headers=SECURITY_HEADERS,
        debug=False,
    )


def _db_session(state: State) -> Iterator[Session]:
    with state.database.session() as session:
        yield session


def _stores(settings: Settings) -> dict[str, Store]:
    names = ("sessions", "login_throttle")
    if not settings.redis_url:
        return {name: MemoryStore() for name in names}
    from litestar.stores.redis import RedisStore

    root = RedisStore.with_client(
        url=settings.redis_url, namespace=settings.redis_namespace
    )
    return {name: root.with_namespace(name) for name in names}


def _jinja(settings: Settings) -> Environment:
    env = Environment(
        loader=FileSystemLoader(WEB / "templates"),
        autoescape=select_autoescape(["html"]),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_callables(i18n.gettext_, i18n.ngettext_, newstyle=True)
    env.globals.update(
        city_name=settings.city_name,
        locale=i18n.get_locale,
        locales=i18n.LOCALE_NAMES,
    )
    return env


def _locale_middleware(app):
    """Pick the language per request; `?lang=` also remembers it in a cookie."""

    async def middleware(scope, receive, send):
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        request = Request(scope)
        asked = request.query_params.get("lang")
        i18n.set_locale(
            i18n.pick_locale(
                asked,
                request.cookies.get("lang"),
                request.headers.get("accept-language"),
            )
        )
        if asked not in i18n.LOCALES:
            await app(scope, receive, send)
            return

        async def send_with_cookie(message):
            if message["type"] == "http.response.start":
                cookie = f"lang={asked}; Path=/; Max-Age=31536000; SameSite=Lax"
                message["headers"] = [
                    *message.get("headers", []),
                    (b"set-cookie", cookie.encode()),
                ]
            await send(message)

        await app(scope, receive, send_with_cookie)

    return middleware


def _request_log_middleware(app):
    """One log line per request: method, path, status and time. Never the query
    string: check-in codes and card codes travel in it."""
    log = get_logger("server.requests")

    async def middleware(scope, receive, send):
        if scope["type"] != "http" or scope["path"].startswith("/static/"):
            await app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_and_note(message):
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await app(scope, receive, send_and_note)
        finally:
            log.info(
                "request",
                method=scope["method"],
                path=scope["path"],
                status=status,
                ms=round((time.perf_counter() - started) * 1000),
            )

    return middleware


def _feature_routes() -> list:
    """Each feature package exports `router`; they register here as they land."""
    from server.features import routers

    return routers()


@get("/", name="home", sync_to_thread=False)
def home(request: Request) -> Template:
    user = request.user
    my_home = request.app.route_reverse(home_path_name(user)) if user else None
    return render(request, "home.html", {"my_home": my_home})


@get("/healthz", name="health", sync_to_thread=False)
def health() -> Response:
    return Response({"status": "ok"})
