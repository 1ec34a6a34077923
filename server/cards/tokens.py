"""The signed codes in a volunteer card's QR, and the short code typed by hand.

A token is base64url (no padding) of `payload + signature`, ASCII only and opaque:

    payload = version (1 byte, 1) | kind (1 byte: 1 phone, 2 printed)
              | expires (4 bytes, big-endian Unix seconds)
              | [printed only] serial (4 bytes, big-endian `PrintedCard.id`)
              | volunteer number length (1 byte) | volunteer number (ASCII)
    signature = Ed25519 over b"volunteer-card-token\\0" + payload (64 bytes)

It names the volunteer only by volunteer number, never a name or an ID number. A
printed card also carries the volunteer number so that a phone checking it offline
needs only the revoked serials, not a serial-to-volunteer table.

A phone card's token belongs to a window of `card_code_seconds`: the window's start
is its issue time, and it expires `card_code_valid_seconds` later. Ed25519 is
deterministic, so a window always yields the same token. A printed card's token
lasts `PRINTED_CARD_YEARS` from the card's issue and dies earlier if revoked.

The short code (`530802000017-123456`) is the volunteer number and a 6-digit HMAC
of the same window, for when the partner's camera will not start; it follows the
same expiry rule. Unlike the token it cannot be checked offline (it needs the
secret), which is acceptable because a partner types it only when online.

Keys: `settings.card_signing_key` is the 32-byte Ed25519 seed in base64url. When it
is empty (development and tests only; production refuses to start) the seed is
SHA-256(b"volunteer-card-signing-key/v1\\0" + SECRET_KEY as UTF-8), so a developer's
cards survive a restart without a second secret to manage. The short-code HMAC key
is SHA-256(b"volunteer-card-short-code/v1\\0" + seed).
"""

import base64
import binascii
import hashlib
import hmac
import re
import struct
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from sqlmodel import Session, select

from server.cards.models import PrintedCard
from server.errors import DomainError
from server.i18n import _
from server.settings import Settings, SettingsError
from server.volunteers.models import RegistrationStatus, Volunteer

TOKEN_VERSION = 1
PHONE = "phone"
PRINTED = "printed"
PRINTED_CARD_YEARS = 5
SIGNATURE_CONTEXT = b"volunteer-card-token\x00"
DEV_SEED_CONTEXT = b"volunteer-card-signing-key/v1\x00"
SHORT_CODE_CONTEXT = b"volunteer-card-short-code/v1\x00"
# How far back a wrong short code is compared, to tell "old" from "mistyped".
SHORT_CODE_LOOKBACK = timedelta(hours=12)

_KIND_BYTE = {PHONE: 1, PRINTED: 2}
_KIND_NAME = {byte: name for name, byte in _KIND_BYTE.items()}
_SIGNATURE_LENGTH = 64
# The volunteer number then 6 digits; the dash shown between them is optional,
# because people type the code with a space, another dash or nothing there.
_SHORT_CODE = re.compile(r"^([0-9A-Za-z]{1,20})-*([0-9]{6})$")
# Every dash a phone keyboard may give (after NFKC), folded to "-".
_DASHES = re.compile("[\u2010-\u2015\u2212\u2e3a\u2e3b\u30fc\ufe58\ufe63\uff0d]")
_BASE64URL = re.compile(r"^[A-Za-z0-9_-]+$")


class CardRefused(DomainError):
    """A card code that must not be honoured; `code` goes into the scan record."""

    status_code = 400


class CardForged(CardRefused):
    def __init__(self) -> None:
        super().__init__(
            _(
                "This is not a valid volunteer card code. It may be damaged or "
                "forged; ask the volunteer to show the card again."
            ),
            code="forged",
        )


class ShortCodeWrong(CardRefused):
    def __init__(self) -> None:
        super().__init__(
            _(
                "This short code is wrong. Check the digits, or ask the volunteer "
                "for the code shown on the card now."
            ),
            code="wrong_code",
        )


class CardExpired(CardRefused):
    def __init__(self, kind: str = PHONE) -> None:
        message = (
            _("This printed card has expired; ask the station for a new one.")
            if kind == PRINTED
            else _("This code is old; ask the volunteer to refresh the card.")
        )
        super().__init__(message, code="expired")


class CardNotYet(CardRefused):
    def __init__(self) -> None:
        super().__init__(
            _(
                "This code is not valid yet. Check that the date and time on the "
                "phone are right."
            ),
            code="not_yet",
        )


class CardRevoked(CardRefused):
    def __init__(self) -> None:
        super().__init__(
            _(
                "This printed card has been cancelled. Ask the volunteer to show "
                "the card on their phone."
            ),
            code="revoked",
        )


class CardUnknown(CardRefused):
    def __init__(self) -> None:
        super().__init__(
            _("No volunteer has this card. Ask the volunteer to contact the station."),
            code="unknown",
        )


class CardNotApproved(CardRefused):
    def __init__(self) -> None:
        super().__init__(
            _(
                "This volunteer's registration is not approved, so the card is "
                "not valid."
            ),
            code="not_approved",
        )


@dataclass(frozen=True)
class CardClaims:
    """What a valid token or short code says. Never a name or an ID number."""

    version: int
    kind: str
    volunteer_no: str
    expires_at: datetime
    serial: int | None = None


@dataclass(frozen=True)
class VerifiedCard:
    claims: CardClaims
    volunteer: Volunteer


def _b64encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    if not _BASE64URL.match(text):
        raise ValueError("not base64url")
    raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    # Only the canonical spelling: otherwise the spare bits of the last character
    # could change without changing the bytes, and a tampered code would pass.
    if _b64encode(raw) != text:
        raise ValueError("not canonical base64url")
    return raw


class CardKeys:
    """The city's card signing key, its public half and the short-code key."""

    def __init__(self, seed: bytes) -> None:
        if len(seed) != 32:
            raise SettingsError("CARD_SIGNING_KEY must be 32 bytes in base64url")
        self._private = Ed25519PrivateKey.from_private_bytes(seed)
        self.public_key: Ed25519PublicKey = self._private.public_key()
        self._short_code_key = hashlib.sha256(SHORT_CODE_CONTEXT + seed).digest()

    @property
    def public_key_b64(self) -> str:
        raw = self.public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)
        return _b64encode(raw)

    # Issuing ---------------------------------------------------------------

    def phone_token(self, settings: Settings, volunteer_no: str, now: datetime) -> str:
        """The phone card's token for the window containing `now`."""
        issued = window_start(settings, now)
        expires = issued + timedelta(seconds=settings.card_code_valid_seconds)
        return self._sign(PHONE, volunteer_no, expires, None)

    def printed_token(self, card: PrintedCard, volunteer_no: str) -> str:
        """The long-lived token printed on `card`; the same every time it is asked."""
        expires = printed_card_expires(card)
        return self._sign(PRINTED, volunteer_no, expires, card.id)

    def short_code(self, settings: Settings, volunteer_no: str, now: datetime) -> str:
        window = _window_number(settings, now)
        return f"{volunteer_no}-{self._short_digits(volunteer_no, window)}"

    def _sign(
        self, kind: str, volunteer_no: str, expires: datetime, serial: int | None
    ) -> str:
        number = volunteer_no.encode("ascii")
        if not 0 < len(number) < 256:
            raise ValueError("a volunteer number has 1 to 255 characters")
        payload = struct.pack(
            ">BBI", TOKEN_VERSION, _KIND_BYTE[kind], int(expires.timestamp())
        )
        if kind == PRINTED:
            payload += struct.pack(">I", serial)
        payload += struct.pack(">B", len(number)) + number
        signature = self._private.sign(SIGNATURE_CONTEXT + payload)
        return _b64encode(payload + signature)

    def _short_digits(self, volunteer_no: str, window: int) -> str:
        message = f"{volunteer_no}:{window}".encode()
        digest = hmac.new(self._short_code_key, message, hashlib.sha256).digest()
        return f"{int.from_bytes(digest[:8], 'big') % 1_000_000:06d}"

    # Checking ----------------------------------------------------------------

    def decode(self, token: str, now: datetime) -> CardClaims:
        """The claims of a well-signed, unexpired token; refuses anything else."""
        try:
            raw = _b64decode(token.strip())
        except (ValueError, binascii.Error) as error:
            raise CardForged() from error
        payload, signature = raw[:-_SIGNATURE_LENGTH], raw[-_SIGNATURE_LENGTH:]
        if len(payload) < 7:
            raise CardForged()
        try:
            self.public_key.verify(signature, SIGNATURE_CONTEXT + payload)
        except InvalidSignature as error:
            raise CardForged() from error

        claims = _parse_payload(payload)
        if claims.expires_at <= now:
            raise CardExpired(claims.kind)
        return claims

    def check_short_code(
        self, settings: Settings, code: str, now: datetime
    ) -> CardClaims:
        """The claims a correct short code stands for; refuses a wrong or old one."""
        match = _SHORT_CODE.match(normalise_code(code))
        if not match:
            raise ShortCodeWrong()
        volunteer_no, digits = match.groups()
        valid = timedelta(seconds=settings.card_code_valid_seconds)
        step = timedelta(seconds=settings.card_code_seconds)

        current = _window_number(settings, now)
        oldest = _window_number(settings, now - SHORT_CODE_LOOKBACK)
        for window in range(current, oldest - 1, -1):
            expected = self._short_digits(volunteer_no, window)
            if not hmac.compare_digest(expected, digits):
                continue
            expires = _window_time(window, step) + valid
            if expires <= now:
                raise CardExpired(PHONE)
            return CardClaims(TOKEN_VERSION, PHONE, volunteer_no, expires)
        raise ShortCodeWrong()


def _parse_payload(payload: bytes) -> CardClaims:
    """Read a payload whose signature already checked; a bad layout is refused."""
    try:
        version, kind_byte, expires = struct.unpack_from(">BBI", payload, 0)
        kind = _KIND_NAME[kind_byte]
        offset, serial = 6, None
        if kind == PRINTED:
            (serial,) = struct.unpack_from(">I", payload, offset)
            offset += 4
        (length,) = struct.unpack_from(">B", payload, offset)
        number = payload[offset + 1 :]
        if version != TOKEN_VERSION or len(number) != length:
            raise ValueError("layout")
        volunteer_no = number.decode("ascii")
    except (struct.error, KeyError, ValueError) as error:
        raise CardForged() from error
    expires_at = datetime.fromtimestamp(expires, UTC)
    return CardClaims(version, kind, volunteer_no, expires_at, serial)


def normalise_code(code: str) -> str:
    """Full-width digits and dashes to ASCII, spaces removed: as people type them."""
    text = _DASHES.sub("-", unicodedata.normalize("NFKC", code))
    return "".join(text.split())


def is_short_code(code: str) -> bool:
    return bool(_SHORT_CODE.match(normalise_code(code)))


def _window_number(settings: Settings, now: datetime) -> int:
    return int(now.timestamp()) // max(settings.card_code_seconds, 1)


def _window_time(window: int, step: timedelta) -> datetime:
    return datetime.fromtimestamp(window * int(step.total_seconds()), UTC)


def window_start(settings: Settings, now: datetime) -> datetime:
    """When the phone code shown at `now` was issued."""
    step = timedelta(seconds=max(settings.card_code_seconds, 1))
    return _window_time(_window_number(settings, now), step)


def printed_card_expires(card: PrintedCard) -> datetime:
    issued = card.issued_at.replace(microsecond=0)
    return issued + timedelta(days=365 * PRINTED_CARD_YEARS + 1)


def signing_seed(settings: Settings) -> bytes:
    """The Ed25519 seed: the configured key, or (outside production) one derived
    from SECRET_KEY with a domain-separated SHA-256.
    """
    if settings.card_signing_key:
        try:
            return _b64decode(settings.card_signing_key.strip())
        except (ValueError, binascii.Error) as error:
            raise SettingsError("CARD_SIGNING_KEY is not base64url") from error
    if settings.is_production:
        raise SettingsError("CARD_SIGNING_KEY must be set in production")
    return hashlib.sha256(DEV_SEED_CONTEXT + settings.secret_key.encode()).digest()


@lru_cache(maxsize=8)
def _keys_for_seed(seed: bytes) -> CardKeys:
    return CardKeys(seed)


def card_keys(settings: Settings) -> CardKeys:
    return _keys_for_seed(signing_seed(settings))


def _refuse_before_window(
    settings: Settings, claims: CardClaims, now: datetime
) -> None:
    """A phone code counts only from its own window (a step early for clock skew):
    codes fetched ahead for offline use are no good to whoever copies them."""
    if claims.kind != PHONE:
        return
    lead = settings.card_code_valid_seconds + settings.card_code_seconds
    if now < claims.expires_at - timedelta(seconds=lead):
        raise CardNotYet()


def verify(db: Session, settings: Settings, code: str, now: datetime) -> VerifiedCard:
    """Check a scanned token or a typed short code against the signature, the clock
    and the database (revoked printed cards, unknown or unapproved volunteers).
    """
    keys = card_keys(settings)
    if is_short_code(code):
        claims = keys.check_short_code(settings, code, now)
    else:
        claims = keys.decode(code, now)
        _refuse_before_window(settings, claims, now)

    if claims.kind == PRINTED:
        card = db.get(PrintedCard, claims.serial)
        if card is None:
            raise CardUnknown()
        if card.revoked_at is not None:
            raise CardRevoked()
    else:
        card = None

    volunteer = db.exec(
        select(Volunteer).where(Volunteer.volunteer_no == claims.volunteer_no)
    ).first()
    if volunteer is None or (card and card.volunteer_id != volunteer.id):
        raise CardUnknown()
    if volunteer.status != RegistrationStatus.approved:
        raise CardNotApproved()
    return VerifiedCard(claims, volunteer)
