"""What people type, made comparable, then checked.

Everything here is a pure function. Input is normalised before it is checked or
compared, so that a number typed on a Chinese keyboard in full-width digits, a
phone number written with spaces and +86, or a minority name written with any of
the look-alike middle dots matches what another person typed for the same thing.

Checks raise `Invalid` with a translated message that says how to fix the input.
"""

import re
import unicodedata
from dataclasses import dataclass
from datetime import date

from server.i18n import _
from server.volunteers.models import IdType


class Invalid(ValueError):
    """What was typed cannot be accepted; `message` tells the person what to do."""

    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message)
        self.message = message
        self.code = code  # stable and untranslated: for reports and tests


# Look-alike middle dots that people type between the parts of a minority name
# (阿卜杜·热合曼): bullets, katakana and Korean middle dots, dot operators and
# more. All are folded to U+00B7, the middle dot the national standard uses.
MIDDLE_DOT = "\u00b7"
LOOKALIKE_DOTS = (
    "\u00b7"  # · middle dot
    "\u0387"  # · Greek ano teleia
    "\u2022"  # • bullet
    "\u2027"  # ‧ hyphenation point
    "\u2219"  # ∙ bullet operator
    "\u22c5"  # ⋅ dot operator
    "\u2e31"  # ⸱ word separator middle dot
    "\u30fb"  # ・ katakana middle dot
    "\uff65"  # ･ half-width katakana middle dot
    "\u318d"  # ㆍ Hangul araea, what Korean keyboards give for a middle dot
    "\u119e"  # the same araea after NFKC
    "\ua78f"  # ꞏ Latin sinological dot
)
_DOTS = re.compile(rf"\s*[{LOOKALIKE_DOTS}]\s*")
# A full stop between two Chinese characters can only be a mistyped middle dot.
_HAN = r"\u3400-\u4dbf\u4e00-\u9fff\U00020000-\U0003134f"
_FULL_STOP_IN_NAME = re.compile(rf"(?<=[{_HAN}])\s*[.。]\s*(?=[{_HAN}])")
# Invisible characters that come along when text is copied out of chat apps.
_INVISIBLE = re.compile("[\u200b\u2060\ufeff\u00ad]")
_WHITESPACE = re.compile(r"\s+")
# Separators people put inside numbers: spaces, every kind of dash, dots, brackets.
_NUMBER_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015\u2212\u30fc.()\[\]]")

NAME_MAX_LENGTH = 100
# 11-15 north, 21-23 north-east, 31-37 east, 41-46 south-central, 50-54
# south-west, 61-65 north-west, 71 Taiwan, 81 Hong Kong, 82 Macao.
PROVINCE_CODES = frozenset(
    [
        *range(11, 16),
        *range(21, 24),
        *range(31, 38),
        *range(41, 47),
        *range(50, 55),
        *range(61, 66),
        71,
        81,
        82,
    ]
)
_CHECKSUM_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECKSUM_CHARS = "10X98765432"
EARLIEST_BIRTH_YEAR = 1900


def halfwidth(text: str) -> str:
    """Full-width digits, letters and punctuation to their ordinary forms (NFKC)."""
    return unicodedata.normalize("NFKC", text)


# --- names -------------------------------------------------------------------


def normalise_name(raw: str) -> str:
    """One form for a name: half-width, one kind of middle dot, single spaces."""
    text = _INVISIBLE.sub("", halfwidth(raw))
    text = _DOTS.sub(MIDDLE_DOT, text)
    text = _FULL_STOP_IN_NAME.sub(MIDDLE_DOT, text)
    return _WHITESPACE.sub(" ", text).strip()


def check_name(raw: str) -> str:
    """A name of any length and script: not empty, not too long, nothing hidden."""
    name = normalise_name(raw)
    if not name:
        raise Invalid(
            _("Enter the name as it is written on the ID document."), code="required"
        )
    if len(name) > NAME_MAX_LENGTH:
        raise Invalid(
            _("Names can be at most %(n)s characters long.", n=NAME_MAX_LENGTH),
            code="too_long",
        )
    if any(unicodedata.category(char) == "Cc" for char in name):
        raise Invalid(
            _("The name contains invisible control characters. Please type it again."),
            code="control_characters",
        )
    if name.strip(MIDDLE_DOT + " ") == "":
        raise Invalid(
            _("Enter the name as it is written on the ID document."), code="required"
        )
    return name


def check_contact_name(raw: str) -> str:
    """The emergency contact's name: checked like a name, asked for in own words."""
    try:
        return check_name(raw)
    except Invalid as invalid:
        if invalid.code != "required":
            raise
        raise Invalid(
            _(
                "Enter the name of someone we can call if something happens to you, "
                "for example a family member."
            ),
            code="required",
        ) from None


# --- mobile numbers ----------------------------------------------------------


def normalise_mobile(raw: str) -> str:
    """Digits only, without separators or the country code +86 / 0086."""
    text = _NUMBER_SEPARATORS.sub("", _INVISIBLE.sub("", halfwidth(raw)))
    for prefix in ("+86", "0086"):
        if text.startswith(prefix):
            return text[len(prefix) :]
    # "86" then an eleven-digit mobile number: the plus sign was left out.
    if len(text) == 13 and text.startswith("861"):
        return text[2:]
    return text


def is_mobile(number: str) -> bool:
    """An already normalised mainland mobile number: 11 digits, 13x to 19x."""
    return re.fullmatch(r"1[3-9]\d{9}", number) is not None


def check_mobile(raw: str) -> str:
    number = normalise_mobile(raw)
    if not number:
        raise Invalid(_("Enter a mobile number."), code="required")
    if not is_mobile(number):
        raise Invalid(
            _(
                "Enter an 11-digit mobile number that starts with 13 to 19, "
                "for example 139 0000 0000."
            ),
            code="mobile_shape",
        )
    return number


# --- dates -------------------------------------------------------------------

_DATE_FORMS = (
    re.compile(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?"),
    re.compile(r"(\d{4})(\d{2})(\d{2})"),
)


def real_date(year: int, month: int, day: int) -> date | None:
    """The date, or None when there is no such day (30 February, month 13...)."""
    try:
        return date(year, month, day)
    except ValueError:
        return None


def check_birth_date(raw: str, today: date) -> date:
    """A date of birth typed as 1990-01-31, 1990/1/31, 1990年1月31日 or 19900131."""
    text = _WHITESPACE.sub("", halfwidth(raw))
    if not text:
        raise Invalid(_("Enter the date of birth."), code="required")
    match = next((m for form in _DATE_FORMS if (m := form.fullmatch(text))), None)
    if match is None:
        raise Invalid(
            _("Enter the date of birth as year-month-day, e.g. 1990-01-31."),
            code="date_format",
        )
    born = real_date(*(int(part) for part in match.groups()))
    if born is None:
        raise Invalid(
            _("There is no such day. Check the month and the day."), code="no_such_day"
        )
    if born > today:
        raise Invalid(_("The date of birth cannot be in the future."), code="future")
    if born.year < EARLIEST_BIRTH_YEAR:
        raise Invalid(
            _("Check the year of birth: it is too long ago."), code="too_long_ago"
        )
    return born


def age_on(born: date, today: date) -> int:
    """Whole years of age on `today`; someone born on 29 February ages on 1 March."""
    had_birthday = (today.month, today.day) >= (born.month, born.day)
    return today.year - born.year - (0 if had_birthday else 1)


# --- identity documents ------------------------------------------------------


@dataclass(frozen=True)
class IdDocument:
    """A checked identity document; `birth_date` is known for resident IDs."""

    id_type: IdType
    number: str
    birth_date: date | None = None


def normalise_id_number(raw: str) -> str:
    """Half-width, upper case, without spaces, dashes or brackets."""
    return _NUMBER_SEPARATORS.sub("", _INVISIBLE.sub("", halfwidth(raw))).upper()


def checksum_char(first17: str) -> str:
    """The ISO 7064 MOD 11-2 check character for the first 17 digits of an ID."""
    total = sum(int(d) * w for d, w in zip(first17, _CHECKSUM_WEIGHTS, strict=True))
    return _CHECKSUM_CHARS[total % 11]


def upgrade_fifteen_digit_id(number: str) -> str:
    """The 18-digit form of a 15-digit resident ID: "19" before the year, check added.

    The same person's old and new cards must compare equal, so only the 18-digit
    form is stored.
    """
    first17 = number[:6] + "19" + number[6:]
    return first17 + checksum_char(first17)


def is_known_region(region: str) -> bool:
    """Six digits whose first two name a real province (11 Beijing ... 82 Macao)."""
    return (
        len(region) == 6
        and region.isdigit()
        and region != "000000"
        and int(region[:2]) in PROVINCE_CODES
    )


def check_id_number(id_type: str, raw: str, today: date) -> IdDocument:
    """Check an ID number of the given type; returns it normalised."""
    number = normalise_id_number(raw)
    if not number:
        raise Invalid(_("Enter the number of the ID document."), code="required")
    if id_type == IdType.resident:
        return _check_resident(number, today)
    if id_type == IdType.foreigner:
        return _check_foreigner(number)
    if id_type == IdType.other:
        return _check_other(number)
    raise Invalid(_("Choose the kind of ID document."), code="id_type")


def _check_resident(number: str, today: date) -> IdDocument:
    if re.fullmatch(r"\d{17}[\dX]", number):
        born = _birth_date_in(number, number[6:14], _("digits 7 to 14"), today)
        if checksum_char(number[:17]) != number[17]:
            raise Invalid(
                _(
                    "This ID number does not add up: one of its characters is "
                    "probably mistyped. Compare it with the card, character by "
                    "character."
                ),
                code="checksum",
            )
        return IdDocument(IdType.resident, number, born)
    if re.fullmatch(r"\d{15}", number):
        # The older 15-digit cards were issued before 2000 and write the year as
        # two digits of the 1900s.
        born = _birth_date_in(number, "19" + number[6:12], _("digits 7 to 12"), today)
        return IdDocument(IdType.resident, upgrade_fifteen_digit_id(number), born)
    raise Invalid(
        _(
            "A resident ID number has 18 characters: 17 digits, then a digit or X "
            "(older cards: 15 digits). Check the number on the card."
        ),
        code="id_shape",
    )


def _birth_date_in(number: str, digits: str, where: str, today: date) -> date:
    if not is_known_region(number[:6]):
        raise Invalid(
            _(
                "The first six digits of this ID number are not a known region. "
                "Check the number on the card."
            ),
            code="region",
        )
    born = real_date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))
    if born is None or born.year < EARLIEST_BIRTH_YEAR:
        raise Invalid(
            _(
                "In this ID number, %(where)s should be a date of birth but are "
                "not a real date. Check the number on the card.",
                where=where,
            ),
            code="birth_date",
        )
    if born > today:
        raise Invalid(
            _(
                "The date of birth in this ID number is in the future. "
                "Check the number on the card."
            ),
            code="future",
        )
    return born


def _check_foreigner(number: str) -> IdDocument:
    # Since 2023 the card has 18 characters starting with 9 and the same check
    # character as a resident ID; the older card has 3 letters then 12 digits.
    if re.fullmatch(r"9\d{16}[\dX]", number):
        if checksum_char(number[:17]) != number[17]:
            raise Invalid(
                _(
                    "This permanent residence ID number does not add up: one of "
                    "its characters is probably mistyped. Check it against the card."
                ),
                code="checksum",
            )
        return IdDocument(IdType.foreigner, number)
    if re.fullmatch(r"[A-Z]{3}\d{12}", number):
        return IdDocument(IdType.foreigner, number)
    raise Invalid(
        _(
            "A foreigner's permanent residence ID has 18 characters starting with 9, "
            "or on older cards 3 letters followed by 12 digits."
        ),
        code="id_shape",
    )


def _check_other(number: str) -> IdDocument:
    # Passports and permits of Hong Kong, Macao and Taiwan come in many shapes;
    # only what no such document looks like is refused.
    if re.fullmatch(r"[A-Z0-9]{5,20}", number) and re.search(r"\d", number):
        return IdDocument(IdType.other, number)
    raise Invalid(
        _(
            "A passport or permit number has 5 to 20 letters and digits. "
            "Copy it from the document."
        ),
        code="id_shape",
    )


def check_birth_date_agrees(born: date, document: IdDocument) -> None:
    """The date of birth typed must be the one written into a resident ID."""
    if document.birth_date is not None and document.birth_date != born:
        raise Invalid(
            _(
                "The date of birth does not match the one in the ID number "
                "(%(date)s). Correct whichever is wrong.",
                date=document.birth_date.isoformat(),
            ),
            code="birth_date_mismatch",
        )


def sex_in_id_number(document: IdDocument) -> str | None:
    """ "male" or "female" from an 18-digit resident ID's 17th digit (odd = male)."""
    if document.id_type != IdType.resident or len(document.number) != 18:
        return None
    return "male" if int(document.number[16]) % 2 else "female"


def check_sex_agrees(sex: str, document: IdDocument) -> None:
    """The sex chosen must be the one written into a resident ID."""
    in_number = sex_in_id_number(document)
    if in_number is None or in_number == sex:
        return
    if in_number == "male":
        message = _(
            "The ID number is a man's, but you chose female. "
            "Correct whichever is wrong."
        )
    else:
        message = _(
            "The ID number is a woman's, but you chose male. "
            "Correct whichever is wrong."
        )
    raise Invalid(message, code="sex_mismatch")


def mask_id_number(number: str) -> str:
    """The first 3 and last 4 characters, the rest hidden; less for short numbers."""
    if len(number) >= 10:
        return number[:3] + "*" * (len(number) - 7) + number[-4:]
    return number[:1] + "*" * max(len(number) - 3, 1) + number[-2:]
