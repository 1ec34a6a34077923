"""Property: however a phone's records are delivered (reordered, duplicated, split
into batches, cut off mid-batch, then sent again), the server ends with the same
visits, the same check-ins and the same credited minutes as after one clean
delivery. Nothing lost, nothing doubled.

Each example builds two identical fields (a station, its captain, team, activity,
recipients and volunteers), renders the same abstract records for each, delivers
them cleanly to one and messily to the other, and compares the outcomes by index.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from server.activities.models import CheckIn
from server.cards.tokens import card_keys
from server.ledger.counting import Interval, merge
from server.ledger.models import LedgerEntry
from server.settings import Settings
from server.visits.models import Visit, VisitPhoto, VisitVolunteer
from sync.credit import live_entry
from sync.models import SyncRecord
from tests.sync.builders import T0, Field, Phone, make_field, new_id, send

SETTINGS = Settings.from_env({}, environment="test")

version = st.fixed_dictionaries(
    {
        "start": st.integers(-60, 300),
        "minutes": st.integers(1, 150),
        "volunteers": st.sets(st.integers(0, 2), min_size=1, max_size=3),
        "recipient": st.integers(0, 1),
        "notes": st.sampled_from(["", "示例甲", "示例乙"]),
        "bad": st.sampled_from([False] * 6 + [True]),
        "photo": st.sampled_from([None, "keep", "keep", b"\xff\xd8a", b"\xff\xd8b"]),
    }
)
visit = st.fixed_dictionaries(
    {
        "phone": st.integers(0, 1),
        "versions": st.lists(version, min_size=1, max_size=4),
        "deleted": st.booleans(),
    }
)
scan = st.fixed_dictionaries(
    {
        "phone": st.integers(0, 1),
        "volunteer": st.integers(0, 2),
        "op": st.sampled_from(["in", "out"]),
        "minute": st.integers(-20, 260),
    }
)
scenario = st.fixed_dictionaries(
    {
        "visits": st.lists(visit, max_size=3),
        "scans": st.lists(scan, max_size=6),
        "skews": st.tuples(*[st.sampled_from([0, 7 * 60, -45]) for _ in range(2)]),
    }
)


@dataclass
class Rendered:
    field: Field
    phones: list[Phone]
    records: list[tuple[int, dict]]  # (phone index, record), in the order made
    visit_ids: list[str]


def render(db, plan: dict) -> Rendered:
    """The plan's records for a new field, as its phones would have made them."""
    field = make_field(db)
    db.commit()
    phones = [Phone(skew=timedelta(seconds=s)) for s in plan["skews"]]
    records, visit_ids = [], []
    steps = _interleaved(plan)
    for kind, item, index in steps:
        phone = phones[item["phone"]]
        if kind == "scan":
            records.append((item["phone"], _scan(phone, field, item)))
            continue
        if index == 0:
            visit_ids.append(new_id())
        visit_id = visit_ids[-1] if index == 0 else item["_id"]
        item["_id"] = visit_id
        records.append((item["phone"], _visit(phone, field, item, index, visit_id)))
    return Rendered(field, phones, records, visit_ids)


def _interleaved(plan: dict) -> list[tuple[str, dict, int]]:
    """Each visit's versions in order, then the scans: the order they were made."""
    steps = []
    for item in plan["visits"]:
        item = dict(item)
        count = len(item["versions"]) + (1 if item["deleted"] else 0)
        steps.extend(("visit", item, n) for n in range(count))
    steps.extend(("scan", item, 0) for item in plan["scans"])
    return steps


def _visit(phone: Phone, field: Field, item: dict, index: int, visit_id: str):
    if index == len(item["versions"]):
        return phone.visit("delete", visit_id, field)
    version = item["versions"][index]
    extra = {}
    if version["bad"]:
        extra["service_type"] = "karaoke"
    if version["photo"] is None:
        extra["photo"] = None
    elif version["photo"] != "keep":
        import base64

        data = base64.b64encode(version["photo"]).decode()
        extra["photo"] = {"content_type": "image/jpeg", "data": data}
    return phone.visit(
        "create" if index == 0 else "update",
        visit_id,
        field,
        start=T0 + timedelta(minutes=version["start"]),
        minutes=version["minutes"],
        volunteers=[field.volunteers[i] for i in sorted(version["volunteers"])],
        recipient=field.recipients[version["recipient"]],
        **extra,
    )


def _scan(phone: Phone, field: Field, item: dict) -> dict:
    volunteer = field.volunteers[item["volunteer"]]
    at = T0 + timedelta(minutes=item["minute"])
    token = card_keys(SETTINGS).phone_token(SETTINGS, volunteer.volunteer_no, at)
    payload = {"activity_id": field.activity.id, "card_token": token}
    return phone.record("checkin", item["op"], at, payload)


def deliver_cleanly(db, rendered: Rendered) -> None:
    for index, phone in enumerate(rendered.phones):
        mine = [r for p, r in rendered.records if p == index]
        if mine:
            send(db, rendered.field.captain, phone, mine, settings=SETTINGS)


def deliver_messily(db, rendered: Rendered, data) -> None:
    """Random rounds of reordered, duplicated, partial batches; then the outbox
    resends whatever is not final until everything is."""
    records = rendered.records
    for _round in range(data.draw(st.integers(0, 3), label="rounds")):
        picks = data.draw(
            st.lists(st.integers(0, len(records) - 1), max_size=2 * len(records))
            if records
            else st.just([]),
            label="picks",
        )
        by_phone = defaultdict(list)
        for pick in picks:
            by_phone[records[pick][0]].append(records[pick][1])
        for index, batch in sorted(by_phone.items()):
            size = data.draw(st.integers(1, max(1, len(batch))), label="batch size")
            for start in range(0, len(batch), size):
                part = batch[start : start + size]
                # A server killed mid-batch has committed some of it, no more.
                cut = data.draw(st.integers(0, len(part)), label="delivered")
                if cut:
                    _send(db, rendered, index, part[:cut])

    for _attempt in range(10):
        waiting = _not_final(db, rendered)
        if not waiting:
            return
        for index in range(len(rendered.phones)):
            mine = [r for p, r in records if p == index and r["id"] in waiting]
            if mine:
                _send(db, rendered, index, mine)
    raise AssertionError("records still not final after ten resends")


def _send(db, rendered: Rendered, phone_index: int, records: list[dict]) -> None:
    phone = rendered.phones[phone_index]
    send(db, rendered.field.captain, phone, records, settings=SETTINGS)


def _not_final(db, rendered: Rendered) -> set[str]:
    ids = [r["id"] for _p, r in rendered.records]
    final = set(
        db.scalars(
            select(SyncRecord.id).where(
                SyncRecord.id.in_(ids), SyncRecord.status != "held"
            )
        )
    )
    return set(ids) - final


def outcome(db, rendered: Rendered) -> dict:
    """Everything the server ended with, with ids replaced by their index."""
    field = rendered.field
    vol_index = {v.id: i for i, v in enumerate(field.volunteers)}
    rec_index = {r.id: i for i, r in enumerate(field.recipients)}
    volunteer_ids = list(vol_index)

    credited = defaultdict(list)
    live = select(LedgerEntry).where(
        live_entry(), LedgerEntry.volunteer_id.in_(volunteer_ids)
    )
    for entry in db.scalars(live):
        credited[vol_index[entry.volunteer_id]].append(
            Interval(entry.started_at, entry.ended_at)
        )
    minutes = {
        v: [(i.start, i.end) for i in merge(intervals)]
        for v, intervals in credited.items()
    }
    totals = {
        v: sum(
            e.minutes for e in db.scalars(live.where(LedgerEntry.volunteer_id == vid))
        )
        for vid, v in vol_index.items()
    }

    visits = []
    for visit_id in rendered.visit_ids:
        row = db.get(Visit, visit_id, populate_existing=True)
        if row is None:
            visits.append(None)
            continue
        present = db.scalars(
            select(VisitVolunteer.volunteer_id).where(
                VisitVolunteer.visit_id == visit_id
            )
        )
        photo = db.get(VisitPhoto, visit_id, populate_existing=True)
        visits.append(
            (
                row.started_at,
                row.ended_at,
                row.service_type,
                row.notes,
                rec_index[row.recipient_id],
                row.deleted_at is not None,
                row.version,
                sorted(vol_index[v] for v in present),
                photo and photo.data,
            )
        )

    checks = sorted(
        (vol_index[c.volunteer_id], c.kind, c.at)
        for c in db.scalars(
            select(CheckIn).where(CheckIn.activity_id == field.activity.id)
        )
    )
    ids = [r["id"] for _p, r in rendered.records]
    statuses = dict(
        db.execute(
            select(SyncRecord.id, SyncRecord.status).where(SyncRecord.id.in_(ids))
        ).all()
    )
    return {
        "minutes": minutes,
        "totals": totals,
        "visits": visits,
        "checks": checks,
        "statuses": [statuses.get(i) for i in ids],
    }


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(plan=scenario, data=st.data())
def test_any_delivery_ends_like_one_clean_delivery(db, plan, data):
    clean = render(db, plan)
    deliver_cleanly(db, clean)
    expected = outcome(db, clean)

    messy = render(db, plan)
    deliver_messily(db, messy, data)
    got = outcome(db, messy)

    assert got == expected
    assert None not in got["statuses"]
    assert "held" not in got["statuses"]
