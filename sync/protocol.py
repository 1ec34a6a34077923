"""What a phone sends, read and checked before anything is applied (docs/sync.md).

A batch that cannot be read at all is refused whole (`BatchError`); a record that
cannot be read is refused on its own, so that it never blocks the others.
"""

import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from server.i18n import _

MAX_RECORDS = 500
KINDS = {"visit": ("create", "update", "delete"), "checkin": ("in", "out")}
# Offsets below this are network delay, not a wrong clock: left uncorrected so that
# a retry measuring a slightly different delay corrects nothing differently.
CLOCK_NOISE_SECONDS = 60


class BatchError(Exception):
    """The whole push is refused; `code` is for the program, `message` for people."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


class Transient(Exception):
    """The database could not finish now; nothing was lost, send the batch again."""


class Refusal(Exception):
    """One record cannot be applied, now or ever."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.message = message


class Held(Exception):
    """One record waits for the record it follows."""

    def __init__(self, waits_for: str) -> None:
        super().__init__(waits_for)
        self.waits_for = waits_for


class Contested(Exception):
    """One record goes to the station's review instead of being applied."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.message = message


@dataclass(frozen=True)
class Batch:
    device_id: str
    sent_at: datetime
    records: list[Any]


@dataclass
class Incoming:
    """One record as sent; `problem` is set when it could not be read."""

    id: str
    seq: int = 0
    made_at: datetime | None = None
    kind: str = ""
    op: str = ""
    payload: dict[str, Any] = field(default_factory=dict)
    problem: Refusal | None = None

    @property
    def base_id(self) -> str | None:
        base = self.payload.get("base")
        return base if isinstance(base, str) and is_uuid(base) else None


def is_uuid(value: Any) -> bool:
    if not isinstance(value, str) or len(value) != 36:
        return False
    try:
        return str(uuid.UUID(value)) == value.lower()
    except ValueError:
        return False


def parse_time(value: Any) -> datetime:
    """An ISO 8601 time with an offset; anything else is refused."""
    if not isinstance(value, str):
        raise Refusal("bad_time", _("A time is missing."))
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as error:
        raise Refusal("bad_time", _("A time could not be read.")) from error
    if moment.tzinfo is None:
        raise Refusal("bad_time", _("A time has no time zone."))
    return moment


def read_batch(body: Any) -> Batch:
    if not isinstance(body, dict):
        raise BatchError("malformed_batch", _("The sync request could not be read."))
    device_id = body.get("device_id")
    records = body.get("records")
    if not is_uuid(device_id):
        raise BatchError("malformed_batch", _("The phone's device id is missing."))
    if not isinstance(records, list):
        raise BatchError("malformed_batch", _("The sync request has no records."))
    if len(records) > MAX_RECORDS:
        raise BatchError(
            "malformed_batch",
            _("Send at most %(n)s records at a time.", n=MAX_RECORDS),
        )
    try:
        sent_at = parse_time(body.get("sent_at"))
    except Refusal as refusal:
        raise BatchError("malformed_batch", refusal.message) from refusal
    return Batch(device_id.lower(), sent_at, records)


def read_record(raw: Any) -> Incoming | None:
    """The record, maybe with a `problem`; None when it has no usable id."""
    if not isinstance(raw, dict) or not is_uuid(raw.get("id")):
        return None
    record = Incoming(id=raw["id"].lower())
    try:
        record.seq = _seq(raw.get("seq"))
        if "made_at" not in raw:
            raise _malformed()
        record.made_at = parse_time(raw.get("made_at"))
        record.kind, record.op = _kind_and_op(raw.get("kind"), raw.get("op"))
        payload = raw.get("payload")
        if not isinstance(payload, dict):
            raise _malformed()
        record.payload = payload
    except Refusal as refusal:
        record.problem = refusal
    return record


def _seq(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 2**31:
        raise _malformed()
    return value


def _kind_and_op(kind: Any, op: Any) -> tuple[str, str]:
    if kind not in KINDS or op not in KINDS[kind]:
        raise _malformed()
    return kind, op


def _malformed() -> Refusal:
    return Refusal("malformed", _("This record is incomplete and cannot be saved."))


def clock_offset(sent_at: datetime, now: datetime) -> int:
    """Seconds to add to the phone's times; 0 when the error is only network delay."""
    offset = round((now - sent_at).total_seconds())
    return offset if abs(offset) >= CLOCK_NOISE_SECONDS else 0


def corrected(moment: datetime, offset_seconds: int) -> datetime:
    return moment + timedelta(seconds=offset_seconds)


def dumps(payload: dict[str, Any]) -> str:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"))


def unknown_id_refusal() -> Refusal:
    return Refusal("bad_id", _("This record has no valid id and cannot be saved."))
