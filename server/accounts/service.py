"""Logging in, with a throttle on failed attempts shared by every app process."""

from sqlmodel import Session, select

from server.accounts.models import Role, User
from server.accounts.passwords import hash_password, verify_password
from server.errors import DomainError
from server.i18n import _
from server.volunteers.normalise import is_mobile, normalise_mobile

MAX_FAILURES = 10
FAILURE_WINDOW_SECONDS = 15 * 60


class LoginFailed(DomainError):
    status_code = 400


def login_name(raw: str) -> str:
    """The username as stored: a mobile number typed any way (spaces, dashes,
    full-width digits, +86) becomes the digits registration stored it as."""
    mobile = normalise_mobile(raw)
    return mobile if is_mobile(mobile) else raw.strip()


def authenticate(db: Session, username: str, password: str) -> User:
    query = select(User).where(User.username == login_name(username))
    user = db.exec(query).first()
    if user is None or not user.is_active:
        raise LoginFailed(_("Wrong username or password."), code="bad_login")
    if not verify_password(password, user.password_hash):
        raise LoginFailed(_("Wrong username or password."), code="bad_login")
    return user


def create_user(
    db: Session,
    *,
    username: str,
    password: str,
    display_name: str,
    role: Role,
    **scope: int | str | None,
) -> User:
    user = User(
        username=username,
        password_hash=hash_password(password),
        display_name=display_name,
        role=role,
        **scope,
    )
    db.add(user)
    db.flush()
    return user


def home_path_name(user: User) -> str:
    """The route a user lands on after logging in."""
    return {
        Role.volunteer: "my_card",
        Role.captain: "captain_home",
        Role.partner: "partner_scan",
        Role.office_admin: "office_home",
        Role.federation_admin: "office_home",
    }.get(Role(user.role), "station_home")
