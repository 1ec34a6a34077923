"""Sync reconcile throughput against plain inserts of the same rows.

For each engine (a SQLite file; PostgreSQL at 127.0.0.1:5432 as postgres, in a
database this creates and drops), in the same run and the same database:

- reconcile: batches of 500 home-visit records (two volunteers each) through
  `sync.reconcile.push`, which stores each record's answer, checks scope, takes
  locks, and credits the ledger through `record_service`;
- plain: the same rows (the visit, its two volunteers present, the two ledger
  entries) inserted through the ORM with no checks, one flush per record and one
  commit per batch, as a naive endpoint would.

Prints records per second for both and their ratio (reconcile / plain).
"""

import argparse
import os
import statistics
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import structlog
from sqlalchemy.engine import Engine
from sqlmodel import Session

from server.accounts.models import Role, User
from server.activities.models import Project, Team
from server.ledger.counting import Interval, minutes_by_day
from server.ledger.models import LedgerEntry
from server.logs import configure_logging
from server.recipients.models import Recipient
from server.scratch import ScratchUnavailable, scratch_database
from server.settings import Settings
from server.stations.models import Community, Station
from server.visits.models import Visit, VisitVolunteer
from server.volunteers.models import RegistrationStatus, Volunteer
from sync.protocol import read_batch
from sync.reconcile import push

BATCH = 500
VOLUNTEERS = 40
POSTGRES_ADMIN = os.environ.get(
    "BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
SETTINGS = Settings.from_env({}, environment="test")
START = datetime(2026, 1, 5, 0, 0, tzinfo=UTC)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--batches", type=int, default=5)
    parser.add_argument("--engines", default="sqlite,postgresql")
    args = parser.parse_args(argv)
    quiet_production_logs()

    for name in args.engines.split(","):
        with database(name) as engine:
            if engine is None:
                print(f"{name}: not available, skipped")
                continue
            reconcile, plain, median = run(engine, args.batches)
            print(
                f"{name}: reconcile {reconcile:,.0f} records/s, "
                f"plain inserts {plain:,.0f} records/s, "
                f"ratio {reconcile / plain:.2f} "
                f"(median of {args.batches} batches {median:.2f})"
            )
    return 0


def quiet_production_logs() -> None:
    """Log as production does (JSON, info and up), into /dev/null: rendering the
    events is part of the cost measured, printing thousands of them is not."""
    configure_logging(Settings.from_env({}, environment="test", log_format="json"))
    sink = open(os.devnull, "w")  # noqa: SIM115 - open for the whole run
    structlog.configure(logger_factory=structlog.PrintLoggerFactory(file=sink))


@contextmanager
def database(name: str) -> Iterator[Engine | None]:
    """A new, migrated database of engine `name`, removed afterwards; None when
    no PostgreSQL server answers."""
    with tempfile.TemporaryDirectory() as tmp:
        try:
            with scratch_database(name, Path(tmp), POSTGRES_ADMIN, "vs_bench") as e:
                yield e
        except ScratchUnavailable:
            yield None


def run(engine: Engine, batches: int) -> tuple[float, float, float]:
    """Records per second for reconcile and plain inserts, and the median of the
    per-batch ratios (each reconcile batch is timed next to its plain twin, so a
    machine busy with something else skews both alike)."""
    reconcile_seconds = plain_seconds = 0.0
    ratios = []
    for n in range(batches):
        field = make_field(engine, f"{n}")
        records, device = visit_records(field, START + timedelta(days=60 * n))
        started = time.perf_counter()
        with Session(engine, expire_on_commit=False) as db:
            user = db.get(User, field["captain"])
            body = {"device_id": device, "sent_at": _now(), "records": records}
            result = push(db, user, read_batch(body), SETTINGS, now=_aware_now())
        reconciled = time.perf_counter() - started
        assert result.counts["accepted"] == BATCH, result.counts

        other = make_field(engine, f"plain{n}")
        rows, _ = visit_records(other, START + timedelta(days=60 * n))
        started = time.perf_counter()
        plain_inserts(engine, other, rows)
        inserted = time.perf_counter() - started

        reconcile_seconds += reconciled
        plain_seconds += inserted
        ratios.append(inserted / reconciled)
    total = batches * BATCH
    return total / reconcile_seconds, total / plain_seconds, statistics.median(ratios)


def _aware_now() -> datetime:
    return datetime.now(UTC)


def _now() -> str:
    return _aware_now().isoformat()


def make_field(engine: Engine, tag: str) -> dict:
    """A station with a captain, a team, a recipient and volunteers (made up)."""
    with Session(engine, expire_on_commit=False) as db:
        community = Community(name=f"基准社区{tag}", township_code="530802001")
        db.add(community)
        db.flush()
        station = Station(
            name=f"基准社区{tag}志愿者服务站",
            community_id=community.id,
            county_code="530802",
            township_code="530802001",
        )
        db.add(station)
        db.flush()
        captain = User(
            username=f"bench-captain-{tag}-{uuid.uuid4().hex[:6]}",
            password_hash="!",
            display_name="基准队长",
            role=Role.captain,
            station_id=station.id,
        )
        project = Project(
            station_id=station.id,
            name="基准项目",
            mode="one_to_one",
            service_type="companionship",
        )
        db.add_all([captain, project])
        db.flush()
        team = Team(
            project_id=project.id, name="基准服务队", captain_user_id=captain.id
        )
        db.add(team)
        db.flush()
        recipient = Recipient(
            station_id=station.id,
            display_name="示例服务对象",
            group="empty_nest_elder",
            consent_recorded=True,
            team_id=team.id,
        )
        volunteers = [
            Volunteer(
                volunteer_no=f"B{tag}-{i:05d}-{uuid.uuid4().hex[:4]}",
                status=RegistrationStatus.approved,
                station_id=station.id,
                name=f"基准志愿者{i}",
                sex="female",
                birth_date=date(1990, 1, 1),
                id_type="other",
                id_number=f"BENCH{uuid.uuid4().hex[:12]}",
                mobile="13900000000",
                emergency_name="基准联系人",
                emergency_mobile="13900009999",
            )
            for i in range(VOLUNTEERS)
        ]
        db.add(recipient)
        db.add_all(volunteers)
        db.commit()
        return {
            "station": station.id,
            "captain": captain.id,
            "team": team.id,
            "recipient": recipient.id,
            "volunteers": [(v.id, v.volunteer_no) for v in volunteers],
        }


def visit_records(field: dict, start: datetime) -> tuple[list[dict], str]:
    """500 visit records; each volunteer's visits never overlap."""
    records = []
    people = field["volunteers"]
    for n in range(BATCH):
        pair = [people[(2 * n) % VOLUNTEERS], people[(2 * n + 1) % VOLUNTEERS]]
        begins = start + timedelta(minutes=90 * n)
        records.append(
            {
                "id": str(uuid.uuid4()),
                "seq": n + 1,
                "made_at": (begins + timedelta(hours=1)).isoformat(),
                "kind": "visit",
                "op": "create",
                "payload": {
                    "visit_id": str(uuid.uuid4()),
                    "team_id": field["team"],
                    "recipient_id": field["recipient"],
                    "volunteers": [number for _id, number in pair],
                    "started_at": begins.isoformat(),
                    "ended_at": (begins + timedelta(hours=1)).isoformat(),
                    "service_type": "companionship",
                    "notes": "基准走访",
                },
            }
        )
    return records, str(uuid.uuid4())


def plain_inserts(engine: Engine, field: dict, records: list[dict]) -> None:
    """The same rows reconcile writes for each visit, inserted with no checks."""
    zone = ZoneInfo(SETTINGS.timezone)
    ids = {number: volunteer_id for volunteer_id, number in field["volunteers"]}
    with Session(engine) as db:
        for record in records:
            payload = record["payload"]
            started = datetime.fromisoformat(payload["started_at"])
            ended = datetime.fromisoformat(payload["ended_at"])
            db.add(
                Visit(
                    id=payload["visit_id"],
                    station_id=field["station"],
                    team_id=field["team"],
                    recipient_id=field["recipient"],
                    started_at=started,
                    ended_at=ended,
                    service_type=payload["service_type"],
                    notes=payload["notes"],
                    recorded_by=field["captain"],
                )
            )
            db.flush()
            for number in payload["volunteers"]:
                db.add(
                    VisitVolunteer(
                        visit_id=payload["visit_id"], volunteer_id=ids[number]
                    )
                )
                for day, minutes in minutes_by_day(Interval(started, ended), zone):
                    db.add(
                        LedgerEntry(
                            volunteer_id=ids[number],
                            station_id=field["station"],
                            source="visit",
                            service_date=day,
                            service_year=day.year,
                            minutes=minutes,
                            started_at=started,
                            ended_at=ended,
                            content=payload["service_type"],
                            recorded_by=field["captain"],
                        )
                    )
            db.flush()
        db.commit()
