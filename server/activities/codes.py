"""Activity check-in codes: short-lived signed tokens shown as a QR on the captain's
screen, so that only someone standing at the activity can check in.

A token names the activity and a time step and is signed with HMAC-SHA256 under
the app's secret, behind a prefix of its own so that no other signed value of the
app can pass for one. The step advances every `activity_code_seconds`; a token is
accepted until `activity_code_valid_seconds` after its step stopped being shown, so
a photo sent home stops working within minutes.
"""

import base64
import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import parse_qs, urlsplit

from server.db import utcnow
from server.errors import DomainError
from server.i18n import _
from server.settings import Settings

DOMAIN = b"volunteer-service/activity-checkin/v1\x00"
# 132 bits of the HMAC in base64url (22 characters, also in TOKEN): plenty, and a
# small QR.
SIGNATURE_CHARS = 22
# Several app processes may disagree on the time by a little.
CLOCK_SKEW_SECONDS = 5
TOKEN = re.compile(r"([0-9]{1,12})\.([0-9]{1,12})\.([A-Za-z0-9_-]{22})")


class CodeRefused(DomainError):
    """A check-in code that cannot be used, with the reason in plain words."""


@dataclass(frozen=True)
class ActivityCode:
    activity_id: int
    step: int


def current_step(settings: Settings, now: datetime | None = None) -> int:
    """Which time step `now` falls in; the code shown changes with it."""
    now = now or utcnow()
    return int(now.timestamp()) // settings.activity_code_seconds


def make_code(activity_id: int, settings: Settings, now: datetime | None = None) -> str:
    """The token to show for `activity_id` at `now` (ASCII: digits, dots, base64url)."""
    step = current_step(settings, now)
    return f"{activity_id}.{step}.{_signature(settings, activity_id, step)}"


def seconds_until_change(settings: Settings, now: datetime | None = None) -> int:
    """Seconds until the code shown now is replaced by the next one."""
    now = now or utcnow()
    return settings.activity_code_seconds - int(now.timestamp()) % (
        settings.activity_code_seconds
    )


def verify_code(
    raw: str,
    settings: Settings,
    now: datetime | None = None,
    *,
    activity_id: int | None = None,
) -> ActivityCode:
    """The activity a scanned code (the token or the whole URL) is for, if accepted.

    Raises CodeRefused for a forged or garbled code, an expired one, or one for
    another activity than `activity_id` when that is given.
    """
    match = TOKEN.fullmatch(token_from(raw))
    if match is None:
        raise _not_valid()
    code = ActivityCode(int(match[1]), int(match[2]))
    expected = _signature(settings, code.activity_id, code.step)
    if not hmac.compare_digest(expected, match[3]):
        raise _not_valid()

    now = now or utcnow()
    seconds = now.timestamp()
    period = settings.activity_code_seconds
    shown_until = (code.step + 1) * period
    if code.step * period > seconds + CLOCK_SKEW_SECONDS:
        raise _not_valid()
    if seconds > shown_until + settings.activity_code_valid_seconds:
        raise CodeRefused(
            _(
                "This check-in code has expired. Please scan the code on the "
                "captain's screen again."
            ),
            code="code_expired",
        )
    if activity_id is not None and code.activity_id != activity_id:
        raise CodeRefused(
            _("This code is for a different activity. Please scan this one's code."),
            code="code_other_activity",
        )
    return code


def token_from(raw: str) -> str:
    """The token inside what a scanner read: the check-in URL or the bare token."""
    raw = (raw or "").strip()
    if "?" in raw or "/" in raw:
        values = parse_qs(urlsplit(raw).query).get("c")
        return values[0].strip() if values else ""
    return raw


def _signature(settings: Settings, activity_id: int, step: int) -> str:
    key = hashlib.sha256(DOMAIN + settings.secret_key.encode()).digest()
    message = DOMAIN + f"{activity_id}.{step}".encode()
    digest = hmac.new(key, message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode()[:SIGNATURE_CHARS]


def _not_valid() -> CodeRefused:
    return CodeRefused(
        _(
            "This is not a valid check-in code. Please scan the code shown at the "
            "activity."
        ),
        code="code_invalid",
    )
