"""Made-up field work for sync tests: a captain with a team, its recipients and
volunteers, and records shaped the way a phone sends them (docs/sync.md)."""

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import count

from sqlalchemy import select
from sqlmodel import Session

from server.accounts.models import Role, User
from server.activities.models import Activity, Team
from server.recipients.models import Recipient
from server.stations.models import Station
from server.volunteers.models import Volunteer
from tests.factories import make_activity, make_station, make_user, make_volunteer

# A Monday morning in the city, well in the past of every test's clock.
T0 = datetime(2026, 6, 1, 1, 0, tzinfo=UTC)
NOW = datetime(2026, 6, 3, 2, 0, tzinfo=UTC)


def new_id() -> str:
    return str(uuid.uuid4())


@dataclass
class Field:
    """A station with one captain, one team, its activity, recipients, volunteers."""

    station: Station
    captain: User
    team: Team
    activity: Activity
    recipients: list[Recipient]
    volunteers: list[Volunteer]


def make_field(db: Session, *, volunteers: int = 3, recipients: int = 2) -> Field:
    station = make_station(db)
    captain = make_user(db, Role.captain, station_id=station.id)
    activity = make_activity(db, station, starts_at=T0, hours=4, captain=captain)
    team = db.scalars(select(Team).where(Team.project_id == activity.project_id)).one()
    people = [make_volunteer(db, station, with_login=True) for _ in range(volunteers)]
    served = []
    for n in range(recipients):
        recipient = Recipient(
            station_id=station.id,
            display_name=f"示例服务对象{n}",
            group="empty_nest_elder",
            consent_recorded=True,
            team_id=team.id,
        )
        db.add(recipient)
        served.append(recipient)
    db.flush()
    return Field(station, captain, team, activity, served, people)


@dataclass
class Phone:
    """A phone's outbox: it numbers records and remembers each visit's last change."""

    device_id: str = field(default_factory=new_id)
    skew: timedelta = timedelta(0)  # phone clock minus true time
    seq: count = field(default_factory=lambda: count(1))
    heads: dict[str, str] = field(default_factory=dict)

    def clock(self, moment: datetime) -> str:
        return (moment + self.skew).isoformat()

    def record(self, kind: str, op: str, made: datetime, payload: dict) -> dict:
        return {
            "id": new_id(),
            "seq": next(self.seq),
            "made_at": self.clock(made),
            "kind": kind,
            "op": op,
            "payload": payload,
        }

    def visit(
        self,
        op: str,
        visit_id: str,
        fld: Field,
        *,
        start: datetime = T0,
        minutes: int = 60,
        volunteers: list[Volunteer] | None = None,
        recipient: Recipient | None = None,
        **extra,
    ) -> dict:
        payload: dict = {"visit_id": visit_id}
        if op != "create":
            payload["base"] = self.heads[visit_id]
        if op != "delete":
            present = volunteers if volunteers is not None else fld.volunteers[:1]
            payload |= {
                "team_id": fld.team.id,
                "recipient_id": (recipient or fld.recipients[0]).id,
                "volunteers": [v.volunteer_no for v in present],
                "started_at": self.clock(start),
                "ended_at": self.clock(start + timedelta(minutes=minutes)),
                "service_type": "companionship",
                "notes": "示例：陪老人聊天",
            }
        payload |= extra
        record = self.record("visit", op, start + timedelta(minutes=minutes), payload)
        self.heads[visit_id] = record["id"]
        return record

    def batch(self, records: list[dict], sent: datetime = NOW) -> dict:
        return {
            "device_id": self.device_id,
            "sent_at": self.clock(sent),
            "records": records,
        }


def send(db: Session, user: User, phone: Phone, records: list[dict], **kwargs) -> dict:
    """Push `records` from `phone` as `user`; the answers keyed by record id."""
    from server.settings import Settings
    from sync.protocol import read_batch
    from sync.reconcile import push

    settings = kwargs.pop("settings", None) or Settings.from_env({}, environment="test")
    sent = kwargs.pop("sent", NOW)
    now = kwargs.pop("now", sent)
    result = push(db, user, read_batch(phone.batch(records, sent)), settings, now=now)
    return {answer.id: answer.as_dict() for answer in result.answers}


def live_minutes(db: Session, fld: Field) -> dict[tuple[int, object], int]:
    """Minutes that count (pending or confirmed, not withdrawn) for the field's
    volunteers, by volunteer and day. Scoped to the field: one property test
    builds many fields in one database, and the committed-data tests share theirs."""
    from sqlalchemy import func

    from server.ledger.models import LedgerEntry
    from sync.credit import live_entry

    rows = db.execute(
        select(
            LedgerEntry.volunteer_id,
            LedgerEntry.service_date,
            func.sum(LedgerEntry.minutes),
        )
        .where(live_entry(), LedgerEntry.volunteer_id.in_(ids(fld)))
        .group_by(LedgerEntry.volunteer_id, LedgerEntry.service_date)
    )
    return {(v, d): int(m) for v, d, m in rows if m}


def ids(fld: Field) -> list[int]:
    return [v.id for v in fld.volunteers]


def entries(db: Session, fld: Field) -> list:
    from server.ledger.models import LedgerEntry

    query = select(LedgerEntry).where(LedgerEntry.volunteer_id.in_(ids(fld)))
    return list(db.scalars(query.order_by(LedgerEntry.id)))
