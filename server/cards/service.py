"""The volunteer's own card: what it shows, its changing code and the printed card."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import exists
from sqlmodel import Session, select

from server.accounts.models import User
from server.cards.models import PrintedCard
from server.cards.standing import Standing, local_today, standing
from server.cards.tokens import PHONE, PRINTED, CardRefused, card_keys
from server.db import utcnow
from server.errors import NotFound
from server.i18n import _
from server.logs import get_logger
from server.settings import Settings
from server.stations.models import Station
from server.volunteers.models import Volunteer, VolunteerPhoto
from server.volunteers.service import is_approved

log = get_logger(__name__)


@dataclass(frozen=True)
class CardView:
    """Everything the card page shows, gathered in a handful of queries."""

    volunteer: Volunteer
    station_name: str
    has_photo: bool
    standing: Standing
    year: int


@dataclass(frozen=True)
class PhoneCode:
    token: str
    short_code: str


def own_volunteer(db: Session, user: User) -> Volunteer:
    """The volunteer record of the logged-in user; nobody else's."""
    volunteer = db.get(Volunteer, user.volunteer_id) if user.volunteer_id else None
    if volunteer is None:
        raise NotFound(_("No volunteer registration is linked to this login."))
    return volunteer


def card_view(
    db: Session, settings: Settings, volunteer: Volunteer, now: datetime
) -> CardView:
    today = local_today(settings, now)
    station = db.get(Station, volunteer.station_id)
    has_photo = db.exec(
        select(exists().where(VolunteerPhoto.volunteer_id == volunteer.id))
    ).one()
    return CardView(
        volunteer=volunteer,
        station_name=station.name if station else "",
        has_photo=bool(has_photo),
        standing=standing(db, settings, volunteer.id, today),
        year=today.year,
    )


def phone_code(settings: Settings, volunteer: Volunteer, now: datetime) -> PhoneCode:
    """The QR token and the short code the phone card shows at `now`."""
    keys = card_keys(settings)
    return PhoneCode(
        token=keys.phone_token(settings, volunteer.volunteer_no, now),
        short_code=keys.short_code(settings, volunteer.volunteer_no, now),
    )


def active_printed_card(db: Session, volunteer_id: int) -> PrintedCard | None:
    query = (
        select(PrintedCard)
        .where(PrintedCard.volunteer_id == volunteer_id)
        .where(PrintedCard.revoked_at.is_(None))
        .order_by(PrintedCard.issued_at.desc(), PrintedCard.id.desc())
    )
    return db.exec(query).first()


def issue_printed_card(db: Session, volunteer: Volunteer) -> PrintedCard:
    """The volunteer's active printed card, issuing one if there is none."""
    if not is_approved(volunteer):
        raise NotFound(_("Only an approved volunteer has a card."))
    card = active_printed_card(db, volunteer.id)
    if card is None:
        card = PrintedCard(volunteer_id=volunteer.id)
        db.add(card)
        db.flush()
        log.info("printed_card_issued", volunteer_id=volunteer.id, card_id=card.id)
    return card


def revoke_printed_cards(db: Session, volunteer_id: int, reason: str) -> int:
    """Revoke every active printed card of the volunteer; returns how many."""
    cards = db.exec(
        select(PrintedCard)
        .where(PrintedCard.volunteer_id == volunteer_id)
        .where(PrintedCard.revoked_at.is_(None))
    ).all()
    now = utcnow()
    for card in cards:
        card.revoked_at = now
        card.revoked_reason = reason[:200]
        db.add(card)
        log.info("printed_card_revoked", volunteer_id=volunteer_id, card_id=card.id)
    db.flush()
    return len(cards)


def renew_printed_card(db: Session, volunteer: Volunteer) -> PrintedCard:
    """Cancel the printed card (lost, or just reprinted) and issue a new one."""
    revoke_printed_cards(db, volunteer.id, "replaced by the volunteer")
    return issue_printed_card(db, volunteer)


def printed_token(settings: Settings, volunteer: Volunteer, card: PrintedCard) -> str:
    return card_keys(settings).printed_token(card, volunteer.volunteer_no)


def is_own_current_code(
    db: Session, settings: Settings, volunteer: Volunteer, token: str, now: datetime
) -> bool:
    """True if `token` is this volunteer's phone code of the last two windows, or
    their active printed card's code: the only codes their QR image may show.
    """
    if not is_approved(volunteer):
        return False
    try:
        claims = card_keys(settings).decode(token, now)
    except CardRefused:
        return False
    if claims.volunteer_no != volunteer.volunteer_no:
        return False
    if claims.kind == PHONE:
        valid = timedelta(seconds=settings.card_code_valid_seconds)
        step = timedelta(seconds=settings.card_code_seconds)
        return claims.expires_at - valid >= now - 2 * step
    if claims.kind == PRINTED:
        card = active_printed_card(db, volunteer.id)
        return card is not None and card.id == claims.serial
    return False
