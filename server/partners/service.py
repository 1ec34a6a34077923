"""A partner's counter: check a volunteer card, see whether the benefit applies
today, and record its use under the per-day limit.

A partner sees only a masked name, the photo, the certified star level, whether the
benefit applies and its own terms. When the benefit applies, the page carries a
short-lived signed reference to the volunteer (their internal id, never an ID
number), so that the use can be recorded without scanning again. The photo comes
from the `volunteer_photo` route, which lets a partner see it for a while after a
recorded verification.

Each check is a `Verification` whose outcome is one of: `applies`, `not_eligible`,
`agreement_invalid`, `no_benefit`, `limit_reached` (the card was valid), or the
refusal's code: `forged`, `wrong_code`, `expired`, `revoked`, `unknown`,
`not_approved`.
"""

import base64
import hashlib
import hmac
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from server.accounts.models import Role, User
from server.accounts.service import create_user
from server.cards.standing import local_today, standing
from server.cards.tokens import CardRefused, verify
from server.errors import Conflict, DomainError, Forbidden, NotFound
from server.i18n import _
from server.logs import get_logger
from server.partners.models import Benefit, BenefitUse, Partner, Verification
from server.settings import Settings
from server.volunteers.models import VolunteerPhoto

log = get_logger(__name__)

REFERENCE_SECONDS = 10 * 60
REFERENCE_CONTEXT = b"partner-scan-reference/v1\x00"
USE = "use"  # the benefit applied at the scan: a use may be recorded


class ScanTooOld(DomainError):
    status_code = 400

    def __init__(self) -> None:
        super().__init__(
            _("This scan is too old. Please scan the card again."), code="stale_scan"
        )


class UseRefused(Conflict):
    def __init__(self, message: str, code: str) -> None:
        super().__init__(message, code=code)


def mask_name(name: str) -> str:
    """A name shown at a counter: first and last character kept, the rest one star
    (张*明, 王*, 阿*曼, J*n), for any length and script. Combining marks stay with
    their letter; a one-character name is all star.
    """
    letters = _graphemes(name.strip())
    if len(letters) <= 1:
        return "*"
    if len(letters) == 2:
        return letters[0] + "*"
    return letters[0] + "*" + letters[-1]


def _graphemes(text: str) -> list[str]:
    """Characters with their combining marks and joiners, close enough for names."""
    groups: list[str] = []
    for char in unicodedata.normalize("NFC", text):
        joins = unicodedata.combining(char) or char in "\u200d\ufe0f"
        if groups and (joins or groups[-1].endswith("\u200d")):
            groups[-1] += char
        else:
            groups.append(char)
    return groups


# Signed references ------------------------------------------------------------


def _reference_key(settings: Settings) -> bytes:
    return hashlib.sha256(REFERENCE_CONTEXT + settings.secret_key.encode()).digest()


def sign_reference(
    settings: Settings, purpose: str, volunteer_id: int, partner_id: int, now: datetime
) -> str:
    """A reference valid for `REFERENCE_SECONDS`, only at this partner."""
    expires = int(now.timestamp()) + REFERENCE_SECONDS
    body = f"{purpose}.{volunteer_id}.{partner_id}.{expires}"
    mac = hmac.new(_reference_key(settings), body.encode(), hashlib.sha256).digest()
    return f"{body}.{base64.urlsafe_b64encode(mac[:18]).decode()}"


def read_reference(
    settings: Settings, reference: str, purpose: str, partner_id: int, now: datetime
) -> int:
    """The volunteer id a reference names; refuses a forged, foreign or old one."""
    body, _dot, mac = reference.strip().rpartition(".")
    expected = hmac.new(_reference_key(settings), body.encode(), hashlib.sha256)
    good_mac = base64.urlsafe_b64encode(expected.digest()[:18]).decode()
    parts = body.split(".")
    if not hmac.compare_digest(mac.encode(), good_mac.encode()) or len(parts) != 4:
        raise ScanTooOld()
    kind, volunteer_id, partner, expires = parts
    if kind != purpose or partner != str(partner_id):
        raise ScanTooOld()
    if int(expires) <= now.timestamp():
        raise ScanTooOld()
    return int(volunteer_id)


# Scanning -----------------------------------------------------------------------


@dataclass(frozen=True)
class Offer:
    benefit: Benefit
    used_today: int

    @property
    def available(self) -> bool:
        return self.used_today < self.benefit.per_day_limit


@dataclass(frozen=True)
class ScanResult:
    """What the counter may see: nothing that identifies the person beyond the
    masked name and the photo.
    """

    applies: bool
    outcome: str
    reason: str = ""
    masked_name: str = ""
    certified_level: int = 0
    has_photo: bool = False
    volunteer_id: int | None = None  # only to link the photo; never shown
    use_reference: str = ""
    offers: list[Offer] = field(default_factory=list)

    @property
    def card_valid(self) -> bool:
        return bool(self.masked_name)

    @property
    def available_offers(self) -> list[Offer]:
        return [offer for offer in self.offers if offer.available]


def partner_of(db: Session, user: User) -> Partner:
    partner = db.get(Partner, user.partner_id) if user.partner_id else None
    if user.role != Role.partner or partner is None:
        raise Forbidden()
    return partner


def agreement_valid(partner: Partner, today: date) -> bool:
    return partner.agreement_starts <= today <= partner.agreement_ends


def partner_benefits(db: Session, partner_id: int) -> list[Benefit]:
    query = select(Benefit).where(Benefit.partner_id == partner_id)
    return list(db.exec(query.order_by(Benefit.id)))


def uses_on(
    db: Session, benefit_ids: list[int], volunteer_id: int, day: date
) -> dict[int, int]:
    """How many times the volunteer used each benefit on the city date `day`."""
    if not benefit_ids:
        return {}
    query = (
        select(BenefitUse.benefit_id, func.count())
        .where(BenefitUse.benefit_id.in_(benefit_ids))
        .where(BenefitUse.volunteer_id == volunteer_id)
        .where(BenefitUse.use_date == day)
        .group_by(BenefitUse.benefit_id)
    )
    return {benefit_id: int(count) for benefit_id, count in db.exec(query)}


def scan(
    db: Session, settings: Settings, user: User, code: str, now: datetime
) -> ScanResult:
    """Check a scanned or typed card code at the user's partner; records the check."""
    partner = partner_of(db, user)
    try:
        card = verify(db, settings, code, now)
    except CardRefused as refused:
        _record(db, partner, user, None, refused.code)
        return ScanResult(applies=False, outcome=refused.code, reason=refused.message)

    volunteer = card.volunteer
    today = local_today(settings, now)
    held = standing(db, settings, volunteer.id, today)
    benefits = partner_benefits(db, partner.id)
    used = uses_on(db, [benefit.id for benefit in benefits], volunteer.id, today)
    offers = [Offer(benefit, used.get(benefit.id, 0)) for benefit in benefits]
    outcome, reason = _judge(held.holds_benefit, partner, today, offers)

    _record(db, partner, user, volunteer.id, outcome)
    applies = outcome == "applies"
    return ScanResult(
        applies=applies,
        outcome=outcome,
        reason=reason,
        masked_name=mask_name(volunteer.name),
        certified_level=held.certified_level,
        has_photo=_has_photo(db, volunteer.id),
        volunteer_id=volunteer.id,
        use_reference=(
            sign_reference(settings, USE, volunteer.id, partner.id, now)
            if applies
            else ""
        ),
        offers=offers,
    )


def _judge(
    eligible: bool, partner: Partner, today: date, offers: list[Offer]
) -> tuple[str, str]:
    """The outcome of a valid card at this counter today, with the reason if not."""
    if not eligible:
        return "not_eligible", _(
            "This volunteer does not hold the benefit card this year."
        )
    if not agreement_valid(partner, today):
        return "agreement_invalid", _(
            "Your organisation's agreement is not valid today, so no benefit applies."
        )
    if not offers:
        return "no_benefit", _("Your organisation has no benefit set up yet.")
    if not any(offer.available for offer in offers):
        return "limit_reached", _("The benefit was already used today.")
    return "applies", ""


def _record(
    db: Session, partner: Partner, user: User, volunteer_id: int | None, outcome: str
) -> None:
    db.add(
        Verification(
            partner_id=partner.id,
            volunteer_id=volunteer_id,
            outcome=outcome,
            checked_by=user.id,
        )
    )
    db.flush()
    log.info(
        "card_verified",
        partner_id=partner.id,
        volunteer_id=volunteer_id,
        outcome=outcome,
    )


def _has_photo(db: Session, volunteer_id: int) -> bool:
    return db.get(VolunteerPhoto, volunteer_id) is not None


# Recording a use ------------------------------------------------------------------


def record_use(
    db: Session,
    settings: Settings,
    user: User,
    reference: str,
    benefit_id: int,
    now: datetime,
) -> BenefitUse:
    """Record one use of a benefit for the volunteer a recent scan approved.

    The per-day limit holds even when two counters record at the same moment: each
    use takes the next slot, and (benefit, volunteer, day, slot) is unique, so the
    slower counter fails to insert, counts again and is refused once full.
    """
    partner = partner_of(db, user)
    volunteer_id = read_reference(settings, reference, USE, partner.id, now)
    benefit = db.get(Benefit, benefit_id)
    if benefit is None or benefit.partner_id != partner.id:
        raise NotFound(_("This benefit is not one of your organisation's."))
    today = local_today(settings, now)
    if not agreement_valid(partner, today):
        raise UseRefused(
            _("Your organisation's agreement is not valid today."), "agreement_invalid"
        )

    for _attempt in range(benefit.per_day_limit + 1):
        used = uses_on(db, [benefit.id], volunteer_id, today).get(benefit.id, 0)
        if used >= benefit.per_day_limit:
            break
        use = BenefitUse(
            benefit_id=benefit.id,
            volunteer_id=volunteer_id,
            use_date=today,
            slot=used + 1,
            recorded_by=user.id,
        )
        try:
            with db.begin_nested():
                db.add(use)
                db.flush()
        except IntegrityError:
            continue  # another counter took this slot first: count again
        db.commit()
        log.info("benefit_used", benefit_id=benefit.id, volunteer_id=volunteer_id)
        return use

    log.info("benefit_use_refused", benefit_id=benefit.id, volunteer_id=volunteer_id)
    raise UseRefused(_("Already used today."), "limit_reached")


# Setting partners up (the office's pages and the demo data call these) ----------


def create_partner(
    db: Session, *, name: str, kind: str, agreement_starts: date, agreement_ends: date
) -> Partner:
    if agreement_ends < agreement_starts:
        raise DomainError(_("The agreement cannot end before it starts."))
    partner = Partner(
        name=name,
        kind=kind,
        agreement_starts=agreement_starts,
        agreement_ends=agreement_ends,
    )
    db.add(partner)
    db.flush()
    return partner


def add_benefit(
    db: Session,
    partner: Partner,
    *,
    title: str,
    kind: str,
    terms: str,
    per_day_limit: int = 1,
) -> Benefit:
    if per_day_limit < 1:
        raise DomainError(_("A benefit allows at least one use a day."))
    benefit = Benefit(
        partner_id=partner.id,
        title=title,
        kind=kind,
        terms=terms,
        per_day_limit=per_day_limit,
    )
    db.add(benefit)
    db.flush()
    return benefit


def create_partner_user(
    db: Session, partner: Partner, *, username: str, password: str, display_name: str
) -> User:
    """A login for a partner's counter staff: they see scan results and nothing else."""
    return create_user(
        db,
        username=username,
        password=password,
        display_name=display_name,
        role=Role.partner,
        partner_id=partner.id,
    )
