"""Card tokens and short codes: signed, short-lived on the phone, revocable on paper,
and carrying nothing but a volunteer number."""

import base64
import re
import struct
from datetime import UTC, datetime, timedelta

import pytest

from server.cards.models import PrintedCard
from server.cards.service import issue_printed_card, revoke_printed_cards
from server.cards.tokens import (
    PHONE,
    PRINTED,
    CardExpired,
    CardForged,
    CardKeys,
    CardNotApproved,
    CardNotYet,
    CardRefused,
    CardRevoked,
    CardUnknown,
    ShortCodeWrong,
    card_keys,
    is_short_code,
    signing_seed,
    verify,
)
from server.settings import Settings, SettingsError
from tests.factories import make_station, make_volunteer

NOW = datetime(2026, 12, 4, 8, 30, 15, tzinfo=UTC)
NUMBER = "530802000017"
BASE64URL = re.compile(r"^[A-Za-z0-9_-]+$")


@pytest.fixture
def keys(settings) -> CardKeys:
    return card_keys(settings)


def raw_payload(token: str) -> bytes:
    raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    return raw[:-64]


def test_phone_token_round_trip(keys, settings):
    token = keys.phone_token(settings, NUMBER, NOW)
    claims = keys.decode(token, NOW)
    assert claims.kind == PHONE
    assert claims.volunteer_no == NUMBER
    assert claims.serial is None
    window = datetime(2026, 12, 4, 8, 30, 0, tzinfo=UTC)
    assert claims.expires_at == window + timedelta(
        seconds=settings.card_code_valid_seconds
    )


def test_phone_token_changes_each_window_and_not_within_one(keys, settings):
    token = keys.phone_token(settings, NUMBER, NOW)
    assert keys.phone_token(settings, NUMBER, NOW + timedelta(seconds=44)) == token
    assert keys.phone_token(settings, NUMBER, NOW + timedelta(seconds=45)) != token


def test_token_is_compact_ascii_base64url(keys, settings):
    token = keys.phone_token(settings, NUMBER, NOW)
    assert token.isascii() and BASE64URL.match(token)
    assert len(token) < 120


def test_token_carries_only_version_kind_expiry_and_number(db, keys, settings):
    station = make_station(db)
    volunteer = make_volunteer(
        db, station, volunteer_no=NUMBER, name="测试张明", mobile="13912345678"
    )
    token = keys.phone_token(settings, volunteer.volunteer_no, NOW)
    payload = raw_payload(token)

    version, kind, expires, length = struct.unpack_from(">BBIB", payload)
    assert (version, kind, length) == (1, 1, len(NUMBER))
    assert expires == int(keys.decode(token, NOW).expires_at.timestamp())
    assert payload[7:] == NUMBER.encode()
    assert len(payload) == 7 + len(NUMBER)
    for secret in (volunteer.name, volunteer.id_number, volunteer.mobile):
        assert secret.encode() not in payload
        assert secret not in token


def test_tampering_with_any_character_is_refused(keys, settings):
    token = keys.phone_token(settings, NUMBER, NOW)
    for index, char in enumerate(token):
        other = "A" if char != "A" else "B"
        tampered = token[:index] + other + token[index + 1 :]
        with pytest.raises(CardForged):
            keys.decode(tampered, NOW)


def test_tampering_with_any_byte_is_refused(keys, settings):
    token = keys.phone_token(settings, NUMBER, NOW)
    raw = bytearray(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    for index in range(len(raw)):
        changed = bytearray(raw)
        changed[index] ^= 0x01
        tampered = base64.urlsafe_b64encode(bytes(changed)).rstrip(b"=").decode()
        with pytest.raises(CardForged):
            keys.decode(tampered, NOW)


@pytest.mark.parametrize(
    "garbage",
    ["", "hello", "530802000017", "https://example.invalid/x", "张三", "a" * 500],
)
def test_garbage_is_refused_as_forged(keys, garbage):
    with pytest.raises(CardForged) as refused:
        keys.decode(garbage, NOW)
    assert refused.value.code == "forged"


def test_a_token_from_another_key_is_refused(keys, settings):
    other = CardKeys(b"\x07" * 32)
    token = other.phone_token(settings, NUMBER, NOW)
    assert other.decode(token, NOW).volunteer_no == NUMBER
    with pytest.raises(CardForged):
        keys.decode(token, NOW)


def test_phone_token_expires(keys, settings):
    token = keys.phone_token(settings, NUMBER, NOW)
    expires = keys.decode(token, NOW).expires_at
    keys.decode(token, expires - timedelta(seconds=1))
    with pytest.raises(CardExpired) as refused:
        keys.decode(token, expires)
    assert refused.value.code == "expired"
    assert refused.value.message == CardExpired(PHONE).message  # "refresh the card"


def test_short_code_round_trip_and_typing_slips(keys, settings):
    code = keys.short_code(settings, NUMBER, NOW)
    assert re.fullmatch(rf"{NUMBER}-\d{{6}}", code)
    later = NOW + timedelta(seconds=200)
    assert keys.check_short_code(settings, code, later).volunteer_no == NUMBER

    number, digits = code.split("-")
    full_width = digits.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    assert keys.check_short_code(settings, f" {number} － {full_width} ", NOW)


@pytest.mark.parametrize(
    "typed",
    [
        "{number} {digits}",
        "{number}{digits}",
        "{number}  -  {digits}",
        "{number}--{digits}",
        "{number}\u2014{digits}",
        "{number}\u30fc{digits}",
        "{number}\u3000{digits}",
        "{wide_number}{wide_digits}",
        "{wide_number} {wide_digits}",
    ],
)
def test_short_code_is_accepted_with_any_or_no_separator(keys, settings, typed):
    number, digits = keys.short_code(settings, NUMBER, NOW).split("-")
    wide = str.maketrans("0123456789", "０１２３４５６７８９")
    code = typed.format(
        number=number,
        digits=digits,
        wide_number=number.translate(wide),
        wide_digits=digits.translate(wide),
    )
    assert is_short_code(code)
    assert keys.check_short_code(settings, code, NOW).volunteer_no == NUMBER


def test_a_short_code_without_its_dash_still_refuses_a_wrong_digit(keys, settings):
    number, digits = keys.short_code(settings, NUMBER, NOW).split("-")
    wrong = f"{(int(digits) + 1) % 1_000_000:06d}"
    with pytest.raises(ShortCodeWrong):
        keys.check_short_code(settings, f"{number}{wrong}", NOW)
    with pytest.raises(ShortCodeWrong):
        keys.check_short_code(settings, f"{number}{digits[:5]}", NOW)


def test_short_code_expires_like_the_token(keys, settings):
    code = keys.short_code(settings, NUMBER, NOW)
    token = keys.phone_token(settings, NUMBER, NOW)
    expires = keys.decode(token, NOW).expires_at
    claims = keys.check_short_code(settings, code, expires - timedelta(seconds=1))
    assert claims.expires_at == expires
    with pytest.raises(CardExpired):
        keys.check_short_code(settings, code, expires)


def test_wrong_short_codes_are_refused(keys, settings):
    code = keys.short_code(settings, NUMBER, NOW)
    number, digits = code.split("-")
    wrong = f"{(int(digits) + 1) % 1_000_000:06d}"
    with pytest.raises(ShortCodeWrong):
        keys.check_short_code(settings, f"{number}-{wrong}", NOW)
    with pytest.raises(ShortCodeWrong):
        keys.check_short_code(settings, f"530802000018-{digits}", NOW)
    with pytest.raises(CardForged):
        keys.decode(code, NOW)  # a short code is not a token


def test_short_code_from_another_key_is_refused(settings):
    mine, theirs = CardKeys(b"\x01" * 32), CardKeys(b"\x02" * 32)
    code = theirs.short_code(settings, NUMBER, NOW)
    with pytest.raises(ShortCodeWrong):
        mine.check_short_code(settings, code, NOW)


def test_printed_token_is_long_lived_and_names_its_serial(db, keys, settings):
    station = make_station(db)
    volunteer = make_volunteer(db, station)
    card = issue_printed_card(db, volunteer)
    token = keys.printed_token(card, volunteer.volunteer_no)

    later = card.issued_at + timedelta(days=4 * 365)
    claims = keys.decode(token, later)
    assert (claims.kind, claims.serial) == (PRINTED, card.id)
    assert claims.volunteer_no == volunteer.volunteer_no
    assert keys.printed_token(card, volunteer.volunteer_no) == token
    with pytest.raises(CardExpired) as refused:
        keys.decode(token, card.issued_at + timedelta(days=6 * 365))
    # A printed card is not refreshed on a phone: the reason says to get a new one.
    assert refused.value.message == CardExpired(PRINTED).message
    assert refused.value.message != CardExpired(PHONE).message


def test_verify_checks_the_database(db, keys, settings):
    station = make_station(db)
    volunteer = make_volunteer(db, station)
    now = datetime.now(UTC)

    verified = verify(
        db, settings, keys.phone_token(settings, volunteer.volunteer_no, now), now
    )
    assert verified.volunteer.id == volunteer.id
    short = keys.short_code(settings, volunteer.volunteer_no, now)
    assert verify(db, settings, short, now).volunteer.id == volunteer.id
    for typed in (short.replace("-", " "), short.replace("-", "")):
        assert verify(db, settings, typed, now).volunteer.id == volunteer.id

    with pytest.raises(CardUnknown):
        verify(db, settings, keys.phone_token(settings, "T99999999", now), now)


def test_a_code_fetched_ahead_counts_only_from_its_own_window(db, keys, settings):
    station = make_station(db)
    volunteer = make_volunteer(db, station)
    now = datetime.now(UTC)
    later = now + timedelta(hours=2)
    ahead = keys.phone_token(settings, volunteer.volunteer_no, later)

    with pytest.raises(CardNotYet):
        verify(db, settings, ahead, now)
    assert verify(db, settings, ahead, later).volunteer.id == volunteer.id
    # One window early still passes, for a counter whose clock runs a little slow.
    early = later - timedelta(seconds=settings.card_code_seconds)
    assert verify(db, settings, ahead, early).volunteer.id == volunteer.id


def test_verify_refuses_a_volunteer_not_approved(db, keys, settings):
    station = make_station(db)
    volunteer = make_volunteer(db, station)
    token = keys.phone_token(settings, volunteer.volunteer_no, NOW)
    volunteer.status = "rejected"
    db.add(volunteer)
    db.flush()
    with pytest.raises(CardNotApproved) as refused:
        verify(db, settings, token, NOW)
    assert refused.value.code == "not_approved"


def test_verify_refuses_a_revoked_printed_card(db, keys, settings):
    station = make_station(db)
    volunteer = make_volunteer(db, station)
    card = issue_printed_card(db, volunteer)
    token = keys.printed_token(card, volunteer.volunteer_no)
    now = card.issued_at + timedelta(days=1)
    assert verify(db, settings, token, now).claims.serial == card.id

    revoke_printed_cards(db, volunteer.id, "lost")
    with pytest.raises(CardRevoked) as refused:
        verify(db, settings, token, now)
    assert refused.value.code == "revoked"


def test_verify_refuses_a_printed_card_of_someone_else(db, keys, settings):
    station = make_station(db)
    owner, other = make_volunteer(db, station), make_volunteer(db, station)
    card = issue_printed_card(db, owner)
    # Only the city's key signs such a token; even so, a serial must belong to the
    # number it is printed with (think of a serial reused after a database restore).
    token = keys.printed_token(card, other.volunteer_no)
    with pytest.raises(CardUnknown):
        verify(db, settings, token, card.issued_at)
    missing = PrintedCard(id=card.id + 1000, volunteer_id=owner.id)
    with pytest.raises(CardUnknown):
        verify(db, settings, keys.printed_token(missing, owner.volunteer_no), NOW)


def test_every_refusal_is_a_domain_error_with_a_message():
    for error in (
        CardForged(),
        CardExpired(),
        CardRevoked(),
        CardUnknown(),
        CardNotApproved(),
        ShortCodeWrong(),
    ):
        assert isinstance(error, CardRefused)
        assert error.message and error.code


def test_development_key_is_derived_from_the_secret_key():
    one = Settings.from_env({}, environment="test", secret_key="a" * 40)
    same = Settings.from_env({}, environment="test", secret_key="a" * 40)
    other = Settings.from_env({}, environment="test", secret_key="b" * 40)
    assert signing_seed(one) == signing_seed(same) != signing_seed(other)
    assert card_keys(one).public_key_b64 != card_keys(other).public_key_b64


def test_configured_key_is_used_and_checked():
    seed = bytes(range(32))
    configured = base64.urlsafe_b64encode(seed).rstrip(b"=").decode()
    settings = Settings.from_env({}, environment="test", card_signing_key=configured)
    assert signing_seed(settings) == seed
    with pytest.raises(SettingsError):
        card_keys(Settings.from_env({}, environment="test", card_signing_key="short"))
