"""Registration: the form checked field by field, then a pending volunteer and a login.

A registration waits for its station to approve it (see `review.py`); until then
the person can log in and see that it is waiting, and nothing else.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import exists
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from server.accounts.models import STATION_STAFF, Role, User
from server.accounts.service import create_user
from server.activities.models import ServiceType
from server.errors import DomainError, NotFound
from server.i18n import _
from server.logs import get_logger
from server.partners.models import Verification
from server.stations.models import Station
from server.volunteers.models import (
    IdType,
    RegistrationStatus,
    Volunteer,
    VolunteerPhoto,
)
from server.volunteers.normalise import (
    IdDocument,
    Invalid,
    check_birth_date,
    check_birth_date_agrees,
    check_contact_name,
    check_id_number,
    check_mobile,
    check_name,
    check_sex_agrees,
)
from server.volunteers.photos import (
    PHOTO_CONTENT_TYPE,
    placeholder_photo,
    reencode_photo,
)

log = get_logger(__name__)

SEXES = ("male", "female")
PASSWORD_MIN_LENGTH = 8
PASSWORD_MAX_LENGTH = 200
TEXT_LIMITS = {"employer": 100, "skills": 300, "availability": 200}


@dataclass
class Registration:
    """The registration form as typed, kept so that a page with errors shows it."""

    name: str = ""
    sex: str = ""
    birth_date: str = ""
    id_type: str = IdType.resident.value
    id_number: str = ""
    mobile: str = ""
    station_id: str = ""
    employer: str = ""
    skills: str = ""
    intentions: list[str] = field(default_factory=list)
    availability: str = ""
    emergency_name: str = ""
    emergency_mobile: str = ""
    password: str = ""
    password_confirm: str = ""
    consent: bool = False
    photo: bytes | None = None

    @classmethod
    def from_form(
        cls, values: Mapping[str, Any], intentions: list[str], photo: bytes | None
    ) -> "Registration":
        """Built from submitted form values; other keys are ignored."""
        text = {name: str(values.get(name) or "") for name in TEXT_FIELDS}
        consent = bool(values.get("consent"))
        return cls(**text, intentions=intentions, consent=consent, photo=photo)

    def kept(self) -> "Registration":
        """What to show again after an error: all but the passwords and the photo."""
        return replace(self, password="", password_confirm="", photo=None)


TEXT_FIELDS = tuple(f.name for f in fields(Registration) if f.type in (str, "str"))


class RegistrationInvalid(DomainError):
    """One or more fields cannot be accepted; `errors` maps field names to why."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(_("Please correct the marked fields."), code="invalid")
        self.errors = errors


def register(db: Session, form: Registration, *, today: date, now: datetime) -> User:
    """Create a pending volunteer and their login; raises `RegistrationInvalid`."""
    errors: dict[str, str] = {}
    volunteer, photo = _clean(db, form, today, errors)
    if volunteer is not None:
        _refuse_duplicates(db, volunteer, errors)
    if errors or volunteer is None:
        raise RegistrationInvalid(errors)

    volunteer.consented_at = now
    try:
        with db.begin_nested():
            user = _save(db, volunteer, form.password, photo)
    except IntegrityError:
        # Someone registered the same ID or mobile between our check and now.
        _refuse_duplicates(db, volunteer, errors)
        if not errors:
            raise
        raise RegistrationInvalid(errors) from None
    db.commit()
    log.info("volunteer_registered", volunteer_id=volunteer.id, user_id=user.id)
    return user


def _save(
    db: Session, volunteer: Volunteer, password: str, photo: bytes | None
) -> User:
    db.add(volunteer)
    db.flush()
    user = create_user(
        db,
        username=volunteer.mobile,
        password=password,
        display_name=volunteer.name[:64],
        role=Role.volunteer,
        station_id=volunteer.station_id,
        volunteer_id=volunteer.id,
    )
    if photo:
        db.add(
            VolunteerPhoto(
                volunteer_id=volunteer.id, content_type=PHOTO_CONTENT_TYPE, data=photo
            )
        )
        db.flush()
    return user


class _Errors(dict[str, str]):
    """Messages by field; `check` runs one check and files its complaint, if any."""

    def check(self, name: str, checker: Callable[..., Any], *args: Any) -> Any:
        try:
            return checker(*args)
        except Invalid as invalid:
            self[name] = invalid.message
            return None


def _clean(
    db: Session, form: Registration, today: date, errors: dict[str, str]
) -> tuple[Volunteer | None, bytes | None]:
    """Check every field; the volunteer to save, or None when any field is wrong."""
    found = _Errors()
    name, born, document = _identity(form, today, found)
    mobile = found.check("mobile", check_mobile, form.mobile)
    emergency_name = found.check(
        "emergency_name", check_contact_name, form.emergency_name
    )
    emergency_mobile = found.check(
        "emergency_mobile", check_mobile, form.emergency_mobile
    )
    if mobile and mobile == emergency_mobile:
        found["emergency_mobile"] = _(
            "Give the number of someone else, who can be called if you cannot."
        )
    photo = found.check("photo", reencode_photo, form.photo) if form.photo else None
    station_id = _station_id(db, form.station_id, found)
    _check_the_rest(form, found)
    errors.update(found)
    if found:
        return None, None

    return Volunteer(
        status=RegistrationStatus.pending,
        station_id=station_id,
        name=name,
        sex=form.sex,
        birth_date=born,
        id_type=document.id_type,
        id_number=document.number,
        mobile=mobile,
        employer=form.employer.strip(),
        skills=form.skills.strip(),
        intentions=",".join(v for v in ServiceType if v in form.intentions),
        availability=form.availability.strip(),
        emergency_name=emergency_name,
        emergency_mobile=emergency_mobile,
    ), photo


def _identity(
    form: Registration, today: date, found: _Errors
) -> tuple[str | None, date | None, IdDocument | None]:
    name = found.check("name", check_name, form.name)
    born = found.check("birth_date", check_birth_date, form.birth_date, today)
    if form.id_type not in {kind.value for kind in IdType}:
        found["id_type"] = _("Choose the kind of ID document.")
        return name, born, None
    document = found.check(
        "id_number", check_id_number, form.id_type, form.id_number, today
    )
    if born and document:
        found.check("birth_date", check_birth_date_agrees, born, document)
    if document and form.sex in SEXES:
        found.check("sex", check_sex_agrees, form.sex, document)
    return name, born, document


def _check_the_rest(form: Registration, found: _Errors) -> None:
    if form.sex not in SEXES:
        found["sex"] = _("Choose male or female.")
    for key, limit in TEXT_LIMITS.items():
        if len(getattr(form, key).strip()) > limit:
            found[key] = _("Shorten this to at most %(n)s characters.", n=limit)
    _check_password(form, found)
    if not form.consent:
        found["consent"] = _(
            "Tick the box to agree, or the station cannot keep your registration."
        )


def _station_id(db: Session, raw: str, errors: dict[str, str]) -> int | None:
    if raw.strip().isdigit() and db.get(Station, int(raw)) is not None:
        return int(raw)
    errors["station_id"] = _("Choose the station of the community you will join.")
    return None


def _check_password(form: Registration, errors: dict[str, str]) -> None:
    if len(form.password) < PASSWORD_MIN_LENGTH:
        errors["password"] = _(
            "Choose a password of at least %(n)s characters.", n=PASSWORD_MIN_LENGTH
        )
    elif len(form.password) > PASSWORD_MAX_LENGTH:
        errors["password"] = _(
            "Choose a password of at most %(n)s characters.", n=PASSWORD_MAX_LENGTH
        )
    elif form.password != form.password_confirm:
        errors["password_confirm"] = _(
            "The two passwords are not the same. Type the password again in both."
        )


def _refuse_duplicates(
    db: Session, volunteer: Volunteer, errors: dict[str, str]
) -> None:
    """Say that a number is taken, never by whom."""
    same_id = exists().where(
        Volunteer.id_type == volunteer.id_type,
        Volunteer.id_number == volunteer.id_number,
    )
    if db.exec(select(same_id)).one():
        errors["id_number"] = _(
            "This ID number is already registered. If you registered before, "
            "log in; if not, ask your station for help."
        )
    if db.exec(select(exists().where(User.username == volunteer.mobile))).one():
        errors["mobile"] = _(
            "This mobile number already has a login. Log in with it, "
            "or register with another number."
        )


def volunteer_for_user(db: Session, user: User | None) -> Volunteer | None:
    """The volunteer record behind a volunteer's or captain's login, if any."""
    if user is None or user.volunteer_id is None:
        return None
    return db.get(Volunteer, user.volunteer_id)


def is_approved(volunteer: Volunteer | None) -> bool:
    """True once the station has approved the registration and numbered it."""
    return (
        volunteer is not None
        and volunteer.status == RegistrationStatus.approved
        and volunteer.volunteer_no is not None
    )


# A partner sees a volunteer's photo on the result of a scan, so only for a
# volunteer one of its counters verified recently, never by walking through ids.
PARTNER_PHOTO_WINDOW = timedelta(hours=12)


def photo_for(
    db: Session, viewer: User | None, volunteer_id: int, *, now: datetime
) -> bytes:
    """The photo, or the placeholder, for those who may see it; else not found."""
    volunteer = db.get(Volunteer, volunteer_id)
    if volunteer is None or not may_see_photo(db, viewer, volunteer, now=now):
        raise NotFound()
    photo = db.get(VolunteerPhoto, volunteer_id)
    return photo.data if photo else placeholder_photo()


def may_see_photo(
    db: Session, viewer: User | None, volunteer: Volunteer, *, now: datetime
) -> bool:
    """The volunteer, their station's staff, and a partner that just scanned them."""
    if viewer is None:
        return False
    if viewer.volunteer_id == volunteer.id:
        return True
    if viewer.role in STATION_STAFF:
        return viewer.station_id == volunteer.station_id
    if viewer.role == Role.partner and viewer.partner_id is not None:
        recent = exists().where(
            Verification.partner_id == viewer.partner_id,
            Verification.volunteer_id == volunteer.id,
            Verification.created_at >= now - PARTNER_PHOTO_WINDOW,
        )
        return is_approved(volunteer) and db.exec(select(recent)).one()
    return False


def has_photo(db: Session, volunteer_id: int) -> bool:
    query = select(exists().where(VolunteerPhoto.volunteer_id == volunteer_id))
    return db.exec(query).one()
