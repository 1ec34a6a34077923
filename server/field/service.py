"""What a volunteer's phone keeps to show the card with no signal.

`server/cards/tokens.py` issues a phone token for the window containing a given
moment and offers nothing for later windows, so this asks it for each coming
window in turn: the phone then shows, at each minute, the token of that minute.
The tokens are those the online card would show at those times; the phone's own
data is no more than the card already shows, plus codes for the next hours.
"""

import base64
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session

from server.cards import service as cards
from server.cards.standing import format_hours
from server.cards.tokens import card_keys, window_start
from server.settings import Settings
from server.volunteers.models import Volunteer, VolunteerPhoto

# How far ahead the phone holds card codes: a day in the field without signal is
# covered by refreshing each morning; longer would leave a stolen phone's codes
# valid longer.
CODE_HOURS = 6


@dataclass(frozen=True)
class CardCode:
    """The code the card shows from `shown_from` until `shown_until`."""

    shown_from: datetime
    shown_until: datetime
    expires_at: datetime
    token: str
    short_code: str


def coming_codes(
    settings: Settings, volunteer_no: str, now: datetime, hours: int = CODE_HOURS
) -> list[CardCode]:
    """The phone card's codes from the window containing `now`, for `hours`."""
    keys = card_keys(settings)
    step = timedelta(seconds=max(settings.card_code_seconds, 1))
    valid = timedelta(seconds=settings.card_code_valid_seconds)
    first = window_start(settings, now)
    count = int(timedelta(hours=hours) / step) + 1
    codes = []
    for n in range(count):
        at = first + n * step
        codes.append(
            CardCode(
                shown_from=at,
                shown_until=at + step,
                expires_at=at + valid,
                token=keys.phone_token(settings, volunteer_no, at),
                short_code=keys.short_code(settings, volunteer_no, at),
            )
        )
    return codes


def offline_card(
    db: Session, settings: Settings, volunteer: Volunteer, now: datetime
) -> dict[str, Any]:
    """The card as JSON for the phone: what `/me/card` shows, and coming codes."""
    view = cards.card_view(db, settings, volunteer, now)
    standing = view.standing
    return {
        "fetched_at": now.isoformat(),
        "volunteer_no": volunteer.volunteer_no,
        "name": volunteer.name,
        "station": view.station_name,
        "star_level": standing.certified_level,
        "hours_total": format_hours(standing.total_minutes),
        "hours_year": format_hours(standing.year_minutes),
        "year": view.year,
        "holds_benefit": standing.holds_benefit,
        "photo": _photo_url(db, volunteer.id) if view.has_photo else None,
        "code_seconds": settings.card_code_seconds,
        "codes": [
            {
                "from": code.shown_from.isoformat(),
                "until": code.shown_until.isoformat(),
                "expires": code.expires_at.isoformat(),
                "token": code.token,
                "short_code": code.short_code,
            }
            for code in coming_codes(settings, volunteer.volunteer_no, now)
        ],
    }


def _photo_url(db: Session, volunteer_id: int) -> str | None:
    """The photo as a data URL, so the phone keeps it with the rest of the card."""
    photo = db.get(VolunteerPhoto, volunteer_id)
    if photo is None:
        return None
    encoded = base64.b64encode(photo.data).decode("ascii")
    return f"data:{photo.content_type};base64,{encoded}"
