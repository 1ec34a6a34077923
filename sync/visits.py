"""Home visits recorded offline: create, update and delete, in the phone's order."""

import base64
import binascii
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from server.accounts.models import User
from server.activities.models import ServiceType
from server.db import utcnow
from server.i18n import _
from server.visits.models import Visit, VisitPhoto, VisitVolunteer
from sync.credit import Settling, settle, visit_origin, visit_wants, write_links
from sync.models import RecordStatus, SyncRecord
from sync.protocol import Contested, Held, Refusal, corrected, is_uuid, parse_time
from sync.scope import Scope, team_recipient, volunteers_by_number

MAX_VISIT = timedelta(hours=12)
FUTURE_LEEWAY = timedelta(minutes=5)
PHOTO_TYPES = {"image/jpeg", "image/png", "image/webp"}
SERVICE_TYPES = frozenset(s.value for s in ServiceType)
KEEP = object()  # the payload said nothing about the photo: keep the server's


@dataclass
class VisitData:
    """A visit payload, read, checked and with corrected times."""

    team_id: int
    station_id: int
    recipient_id: int
    volunteer_ids: set[int]
    started_at: datetime
    ended_at: datetime
    service_type: str
    notes: str
    photo: Any  # KEEP, None (remove) or (content_type, bytes)


def apply_visit(
    db: Session, row: SyncRecord, payload: dict, scope: Scope, how: Settling
) -> None:
    """Apply one visit record; raises Refusal, Held or Contested when it cannot."""
    visit_id = payload.get("visit_id")
    if not is_uuid(visit_id):
        raise Refusal("malformed", _("This visit has no valid id."))
    row.target = visit_id = visit_id.lower()
    if not scope.is_captain:
        raise Refusal("not_allowed", _("Only team captains record home visits."))

    if row.op == "create":
        _create(db, row, visit_id, payload, scope, how)
        return

    visit = _followed_visit(db, row, visit_id)
    row.station_id = visit.station_id
    if visit.deleted_at is not None:
        if row.op == "delete":
            return  # deleted already: the phone's wish holds, nothing to do
        raise Contested(
            "deleted_on_server",
            _("This visit was deleted on the server; the change goes to review."),
        )
    if row.op == "delete":
        _delete(db, visit, row, how)
    else:
        _update(db, visit, row, payload, scope, how)


def _create(db, row, visit_id, payload, scope, how) -> None:
    # A visit id taken already fails on the primary key when the visit is written;
    # the caller answers `visit_exists` then (one query fewer for every visit).
    data = read_visit(db, payload, scope, row, how.settings.sync_photo_max_bytes)
    visit = Visit(
        id=visit_id,
        station_id=data.station_id,
        team_id=data.team_id,
        recipient_id=data.recipient_id,
        started_at=data.started_at,
        ended_at=data.ended_at,
        service_type=data.service_type,
        notes=data.notes,
        recorded_by=scope.user.id,
        clock_offset_seconds=row.clock_offset_seconds,
        last_record_id=row.id,
    )
    db.add(visit)
    db.flush()
    # Plain rows, not ORM objects: a visit may list many volunteers.
    db.connection().execute(
        VisitVolunteer.__table__.insert(),
        [{"visit_id": visit_id, "volunteer_id": v} for v in sorted(data.volunteer_ids)],
    )
    if data.photo not in (KEEP, None):
        _put_photo(db, visit_id, data.photo)
    row.station_id = visit.station_id
    _settle_all(db, visit, data.volunteer_ids, set(), how, fresh=True)


def _update(db, visit: Visit, row, payload, scope, how) -> None:
    data = read_visit(db, payload, scope, row, how.settings.sync_photo_max_bytes)
    if data.station_id != visit.station_id:
        raise Refusal("not_allowed", _("A visit cannot move to another station."))
    before = _present(db, visit.id)

    visit.team_id = data.team_id
    visit.recipient_id = data.recipient_id
    visit.started_at = data.started_at
    visit.ended_at = data.ended_at
    visit.service_type = data.service_type
    visit.notes = data.notes
    visit.clock_offset_seconds = row.clock_offset_seconds
    _changed(visit, row)

    # Volunteers present change by difference: rows that stay are never rewritten.
    for volunteer_id in before - data.volunteer_ids:
        db.delete(db.get(VisitVolunteer, (visit.id, volunteer_id)))
    db.add_all(
        VisitVolunteer(visit_id=visit.id, volunteer_id=v)
        for v in data.volunteer_ids - before
    )
    if data.photo is None:
        photo = db.get(VisitPhoto, visit.id)
        if photo is not None:
            db.delete(photo)
    elif data.photo is not KEEP:
        _put_photo(db, visit.id, data.photo)
    db.flush()
    _settle_all(db, visit, data.volunteer_ids, before, how)


def _delete(db, visit: Visit, row, how) -> None:
    visit.deleted_at = utcnow()
    visit.deleted_by = how.recorded_by
    _changed(visit, row)
    db.flush()
    present = _present(db, visit.id)
    _settle_all(db, visit, set(), present, how)


def delete_on_server(db: Session, visit_id: str, by: User, settings) -> Visit:
    """Delete a visit from the server side (station staff); its pending hours are
    withdrawn and later phone edits of it go to review. The caller commits."""
    visit = db.get(Visit, visit_id, with_for_update=True)
    if visit is None or visit.deleted_at is not None:
        return visit
    visit.deleted_at = utcnow()
    visit.deleted_by = by.id
    visit.version += 1
    visit.last_record_id = None
    db.flush()
    present = _present(db, visit.id)
    how = Settling(settings, recorded_by=by.id)
    _settle_all(db, visit, set(), present, how)
    write_links(db, how)
    return visit


def _changed(visit: Visit, row: SyncRecord) -> None:
    visit.version += 1
    visit.last_record_id = row.id
    visit.updated_at = utcnow()


def _settle_all(
    db, visit: Visit, now_present: set[int], before: set[int], how, fresh=False
):
    # Sorted, so that two records touching the same volunteers lock them in the
    # same order and cannot deadlock each other.
    for volunteer_id in sorted(now_present | before):
        wanted = visit_wants(visit, volunteer_id, now_present)
        settle(db, visit_origin(visit, volunteer_id), wanted, how, fresh=fresh)


def _present(db: Session, visit_id: str) -> set[int]:
    return set(
        db.scalars(
            select(VisitVolunteer.volunteer_id).where(
                VisitVolunteer.visit_id == visit_id
            )
        )
    )


def _followed_visit(db: Session, row: SyncRecord, visit_id: str) -> Visit:
    """The visit an update or delete changes, once the record it follows is in.

    Its base must be the visit's latest change: otherwise someone else changed the
    visit meanwhile. A refused base is skipped over to the change before it, since
    every update carries the whole visit.
    """
    if row.base_id is None:
        raise Refusal("malformed", _("This change does not say what it follows."))
    base = _final_base(db, row.base_id, visit_id)

    visit = db.get(Visit, visit_id, with_for_update=True, populate_existing=True)
    if visit is None:
        raise Refusal("no_visit", _("The visit this change is for does not exist."))
    if visit.deleted_at is None and visit.last_record_id != base.id:
        raise Contested(
            "edited_elsewhere",
            _("This visit was changed elsewhere meanwhile; the change goes to review."),
        )
    return visit


def _final_base(db: Session, base_id: str, visit_id: str) -> SyncRecord:
    seen = set()
    while True:
        base = db.get(SyncRecord, base_id, populate_existing=True)
        if base is None or base.status == RecordStatus.held:
            raise Held(base_id)
        if base.target and base.target != visit_id:
            raise Refusal("base_mismatch", _("This change follows another visit."))
        if base.status == RecordStatus.conflict:
            raise Contested(
                base.reason or "conflict",
                _("The change this one follows went to review; so does this one."),
            )
        if base.status != RecordStatus.refused:
            return base
        if base.op == "create" or base.base_id is None or base.id in seen:
            raise Refusal(
                "base_refused",
                _("The visit this change is for was refused, so it cannot change."),
            )
        seen.add(base.id)
        base_id = base.base_id


def read_visit(
    db: Session, payload: dict, scope: Scope, row: SyncRecord, photo_limit: int
) -> VisitData:
    """Check a whole-visit payload against the captain's scope; correct its times."""
    team = scope.teams.get(_int(payload.get("team_id")))
    if team is None:
        raise Refusal("unknown_team", _("This team is not one of yours."))
    recipient = team_recipient(db, scope, _int(payload.get("recipient_id")) or 0)
    if recipient is None or recipient.team_id != team.id:
        raise Refusal(
            "unknown_recipient", _("This recipient is not assigned to the team.")
        )

    numbers = payload.get("volunteers")
    if (
        not isinstance(numbers, list)
        or not numbers
        or not all(isinstance(n, str) for n in numbers)
    ):
        raise Refusal("malformed", _("Please record who was present."))
    found = volunteers_by_number(db, scope, sorted(set(numbers)))
    if len(found) != len(set(numbers)):
        raise Refusal(
            "unknown_volunteer", _("A volunteer present is not in your team.")
        )

    started_at, ended_at = _times(payload, row)
    service_type = payload.get("service_type")
    if service_type not in SERVICE_TYPES:
        raise Refusal("bad_service_type", _("Please choose a service type."))
    notes = payload.get("notes", "")
    if not isinstance(notes, str) or len(notes) > 2000:
        raise Refusal("malformed", _("Notes can be at most 2000 characters."))

    return VisitData(
        team_id=team.id,
        station_id=team.station_id,
        recipient_id=recipient.id,
        volunteer_ids={v.id for v in found.values()},
        started_at=started_at,
        ended_at=ended_at,
        service_type=service_type,
        notes=notes,
        photo=_photo(payload, photo_limit),
    )


def _times(payload: dict, row: SyncRecord) -> tuple[datetime, datetime]:
    offset = row.clock_offset_seconds
    started_at = corrected(parse_time(payload.get("started_at")), offset)
    ended_at = corrected(parse_time(payload.get("ended_at")), offset)
    if ended_at <= started_at:
        raise Refusal("bad_time", _("A visit must end after it starts."))
    if ended_at - started_at > MAX_VISIT:
        raise Refusal("bad_time", _("A visit can last at most 12 hours."))
    if ended_at > row.received_at + FUTURE_LEEWAY:
        raise Refusal("bad_time", _("A visit cannot end in the future."))
    return started_at, ended_at


def _photo(payload: dict, limit: int) -> Any:
    if "photo" not in payload:
        return KEEP
    photo = payload["photo"]
    if photo is None:
        return None
    if not isinstance(photo, dict) or photo.get("content_type") not in PHOTO_TYPES:
        raise Refusal("bad_photo", _("The photo must be a JPEG, PNG or WebP image."))
    data = photo.get("data")
    if not isinstance(data, str) or len(data) > (limit * 4) // 3 + 8:
        raise Refusal("photo_too_large", _("The photo is too large."))
    try:
        raw = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError) as error:
        raise Refusal("bad_photo", _("The photo could not be read.")) from error
    if len(raw) > limit:
        raise Refusal("photo_too_large", _("The photo is too large."))
    if not raw:
        raise Refusal("bad_photo", _("The photo could not be read."))
    return photo["content_type"], raw


def _put_photo(db: Session, visit_id: str, photo: tuple[str, bytes]) -> None:
    content_type, raw = photo
    existing = db.get(VisitPhoto, visit_id)
    if existing is None:
        db.add(
            VisitPhoto(
                visit_id=visit_id, content_type=content_type, size=len(raw), data=raw
            )
        )
        return
    existing.content_type, existing.size, existing.data = content_type, len(raw), raw


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None
