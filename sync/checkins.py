"""Check-ins and check-outs scanned offline, checked at the time they were scanned."""

from datetime import timedelta

from sqlmodel import Session

from server.activities.codes import verify_code
from server.activities.models import Activity, CheckIn, CheckKind
from server.cards.tokens import verify as verify_card
from server.i18n import _
from server.ledger.service import lock_volunteer
from server.volunteers.models import RegistrationStatus, Volunteer
from sync.credit import Settling, activity_origin, checkin_pairs, settle
from sync.models import SyncRecord
from sync.protocol import Refusal, corrected
from sync.scope import Scope, captain_runs

ACTIVITY_QR = "activity_qr"
CARD_SCAN = "card_scan"


def apply_checkin(
    db: Session, row: SyncRecord, payload: dict, scope: Scope, how: Settling
) -> None:
    """Record the scan as a CheckIn at its corrected time, then settle the pairs."""
    at = corrected(row.made_at, row.clock_offset_seconds)
    if isinstance(payload.get("activity_code"), str):
        code = verify_code(payload["activity_code"], how.settings, now=at)
        activity = _activity(db, code.activity_id)
        volunteer = _own_volunteer(db, scope)
        source = ACTIVITY_QR
    elif isinstance(payload.get("card_token"), str):
        activity = _activity(db, payload.get("activity_id"))
        if not captain_runs(scope, activity):
            raise Refusal("not_allowed", _("This activity is not one of yours."))
        volunteer = verify_card(db, how.settings, payload["card_token"], at).volunteer
        source = CARD_SCAN
    else:
        raise Refusal("malformed", _("This check-in has no code or card."))

    kind = CheckKind.check_in if row.op == "in" else CheckKind.check_out
    if kind == CheckKind.check_in:
        _check_window(activity, how, at)
    row.station_id = activity.station_id

    lock_volunteer(db, volunteer.id)
    check = CheckIn(
        activity_id=activity.id,
        volunteer_id=volunteer.id,
        kind=kind,
        at=at,
        source=source,
        recorded_by=scope.user.id,
    )
    db.add(check)
    db.flush()
    row.target = str(check.id)
    pairs = checkin_pairs(db, activity, volunteer.id, how.settings)
    settle(db, activity_origin(activity, volunteer.id), pairs, how)


def _activity(db: Session, activity_id) -> Activity:
    activity = None
    if isinstance(activity_id, int) and not isinstance(activity_id, bool):
        activity = db.get(Activity, activity_id)
    if activity is None:
        raise Refusal("unknown_activity", _("No such activity."))
    return activity


def _own_volunteer(db: Session, scope: Scope) -> Volunteer:
    user = scope.user
    volunteer = db.get(Volunteer, user.volunteer_id) if user.volunteer_id else None
    if volunteer is None:
        raise Refusal("not_a_volunteer", _("This login is not linked to a volunteer."))
    if volunteer.status != RegistrationStatus.approved:
        raise Refusal(
            "not_approved",
            _("Only approved volunteers can check in. Please ask your station."),
        )
    return volunteer


def _check_window(activity: Activity, how: Settling, at) -> None:
    """The same window an online check-in keeps, at the time of the scan."""
    grace = timedelta(minutes=how.settings.checkin_grace_minutes)
    if at < activity.starts_at - grace:
        raise Refusal(
            "not_started",
            _("This activity has not started yet. Check-in opens shortly before it."),
        )
    if at > activity.ends_at + grace:
        raise Refusal("ended", _("This activity has already ended."))
