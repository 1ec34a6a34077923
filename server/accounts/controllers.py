import anyio
from litestar import Request, Router, get, post
from litestar.di import NamedDependency
from litestar.params import FromQuery, URLEncodedBody
from litestar.response import Redirect, Template
from litestar.stores.base import Store
from sqlmodel import Session

from server.accounts.auth import SESSION_USER_KEY, current_user
from server.accounts.service import (
    FAILURE_WINDOW_SECONDS,
    MAX_FAILURES,
    LoginFailed,
    authenticate,
    home_path_name,
    login_name,
)
from server.i18n import _
from server.logs import get_logger
from server.web import render

log = get_logger(__name__)


@get("/login", name="login", sync_to_thread=False)
def login_page(request: Request, next: FromQuery[str] = "") -> Template:
    return render(request, "accounts/login.html", {"next": _safe_next(next)})


@post("/login", name="login_submit")
async def login_submit(
    request: Request, db: NamedDependency[Session], data: URLEncodedBody[dict[str, str]]
) -> Template | Redirect:
    username = data.get("username", "").strip()
    next_path = _safe_next(data.get("next", ""))
    throttle: Store = request.app.stores.get("login_throttle")
    # Per name and address: a stranger elsewhere cannot lock a counter out.
    client = request.client.host if request.client else "-"
    key = f"fail:{login_name(username).lower()}:{client}"
    failures = int(await throttle.get(key) or 0)
    context = {"next": next_path, "username": username}

    if failures >= MAX_FAILURES:
        log.warning("login_throttled")
        message = _("Too many failed attempts. Please wait 15 minutes.")
        return render(
            request,
            "accounts/login.html",
            {**context, "error": message},
            status_code=429,
        )

    try:
        password = data.get("password", "")
        user = await anyio.to_thread.run_sync(authenticate, db, username, password)
    except LoginFailed as failure:
        await throttle.set(key, str(failures + 1), expires_in=FAILURE_WINDOW_SECONDS)
        log.info("login_failed")
        return render(
            request,
            "accounts/login.html",
            {**context, "error": failure.message},
            status_code=400,
        )

    await throttle.delete(key)
    request.clear_session()
    request.set_session({SESSION_USER_KEY: user.id})
    log.info("login", user_id=user.id, role=user.role)
    return Redirect(next_path or request.app.route_reverse(home_path_name(user)))


@post("/logout", name="logout", sync_to_thread=False)
def logout(request: Request) -> Redirect:
    user = current_user(request)
    if user:
        log.info("logout", user_id=user.id)
    request.clear_session()
    return Redirect(request.app.route_reverse("home"))


def _safe_next(raw: str) -> str:
    """Only paths on this site: never `//host` or a full URL."""
    if raw.startswith("/") and not raw.startswith("//") and "\\" not in raw:
        return raw
    return ""


router = Router(path="/", route_handlers=[login_page, login_submit, logout])
