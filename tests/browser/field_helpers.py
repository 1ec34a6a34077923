"""Helpers for the offline field tests: the live server's data, card codes, and the
phone's IndexedDB and caches as the page sees them.
"""

import base64
import json
import os
import time
from datetime import date, datetime, timedelta
from io import BytesIO

import zxingcpp
from PIL import Image
from sqlalchemy import select
from sqlmodel import Session

from server.accounts.models import User
from server.activities.models import Activity, Project, Team
from server.cards.tokens import card_keys
from server.db import make_engine, utcnow
from server.demo.data import RUNNING_TITLE
from server.recipients.models import Recipient
from server.settings import Settings
from server.volunteers.models import Volunteer

FIELD_PAGES = (
    "/field",
    "/field/visits/new",
    "/field/checkins",
    "/field/scan",
    "/field/outbox",
    "/field/card",
)


class LiveData:
    """Reads (and a few writes of test fixtures) on the live server's database."""

    def __init__(self, database_url: str) -> None:
        self.engine = make_engine(database_url)
        self.settings = Settings.from_env(
            {**os.environ, "APP_ENV": "test", "DATABASE_URL": database_url}
        )

    def all(self, query) -> list:
        with Session(self.engine) as db:
            return list(db.exec(query).scalars())

    def one(self, query):
        with Session(self.engine) as db:
            return db.exec(query).scalars().first()

    def captain_team(self, username: str = "captain") -> Team:
        return self.one(
            select(Team)
            .join(User, User.id == Team.captain_user_id)
            .where(User.username == username)
        )

    def add_recipient(self, team: Team, name: str) -> int:
        """A recipient with consent, assigned to `team` (the demo has none)."""
        with Session(self.engine) as db:
            project = db.get(Project, team.project_id)
            recipient = Recipient(
                station_id=project.station_id,
                display_name=name,
                group="empty_nest_elder",
                consent_recorded=True,
                consent_date=date.today(),
                team_id=team.id,
            )
            db.add(recipient)
            db.commit()
            return recipient.id

    def running_activity(self, team: Team) -> Activity:
        now = utcnow()
        return self.one(
            select(Activity).where(
                Activity.project_id == team.project_id,
                Activity.title == RUNNING_TITLE,
                Activity.starts_at <= now,
                Activity.ends_at > now,
            )
        )

    def volunteer(self, number: str) -> Volunteer:
        return self.one(select(Volunteer).where(Volunteer.volunteer_no == number))

    def short_code(self, number: str, at: datetime | None = None) -> str:
        return card_keys(self.settings).short_code(
            self.settings, number, at or utcnow()
        )

    def forged_token(self, number: str) -> str:
        """A phone token of `number` whose signature was changed: well formed, false."""
        token = card_keys(self.settings).phone_token(self.settings, number, utcnow())
        middle = len(token) - 20
        flipped = "A" if token[middle] != "A" else "B"
        return token[:middle] + flipped + token[middle + 1 :]


def local_input(page, hours_ago: float) -> str:
    """A datetime-local value `hours_ago` before now, in the browser's own zone."""
    return page.evaluate(
        "h => FieldStore.isoWithOffset(new Date(Date.now() - h * 3600e3)).slice(0, 16)",
        hours_ago,
    )


def started(page) -> None:
    """The page's scripts read the phone's data and finished the first sync."""
    page.wait_for_selector("html[data-field-started=yes]", state="attached")


def outbox(page) -> list[dict]:
    return page.evaluate(
        "() => FieldStore.outbox().then(rs => rs.map(r => ({id: r.id, seq: r.seq, "
        "kind: r.kind, op: r.op, status: r.status, made_at: r.made_at, "
        "reason: r.reason, message: r.message, payload: r.payload})))"
    )


def database_names(page) -> list[str]:
    return page.evaluate("() => indexedDB.databases().then(ds => ds.map(d => d.name))")


def cache_names(page) -> list[str]:
    return page.evaluate("() => caches.keys()")


def minutes_between(start: datetime, end: datetime) -> int:
    return int((end - start) / timedelta(minutes=1))


def big_photo() -> bytes:
    image = Image.new("RGB", (2400, 1800), "#8fb3d9")
    for x in range(0, 2400, 200):
        image.paste("#d98f8f", (x, 0, x + 100, 1800))
    buffer = BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def errors_of(page) -> list[str]:
    """JavaScript errors the page throws, collected as the test goes."""
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    return errors


def eventually(check, seconds: float = 15) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "not within the time allowed"
        time.sleep(0.2)


def accepted_count(page) -> int:
    return page.evaluate(
        "() => FieldStore.sent().then(s => s.filter(r => r.status === 'accepted')"
        ".length)"
    )


def decoded_data_url(data_url: str) -> str:
    """What an independent decoder reads in a QR drawn by the page."""
    raw = base64.b64decode(data_url.split(",", 1)[1])
    results = zxingcpp.read_barcodes(Image.open(BytesIO(raw)))
    assert len(results) == 1
    return results[0].text


def qr_text(png: bytes) -> str:
    results = zxingcpp.read_barcodes(Image.open(BytesIO(png)))
    assert len(results) == 1
    return results[0].text


class FakePush:
    """Answers the phone's pushes as the test says, and keeps what was sent."""

    def __init__(self) -> None:
        self.bodies: list[dict] = []
        self.answers: list = []

    def __call__(self, route) -> None:
        body = route.request.post_data_json
        self.bodies.append(body)
        # Never leave a request unanswered: the page would wait for ever.
        answer = self.answers.pop(0) if self.answers else (500, {"error": "unplanned"})
        if answer == "network":
            route.abort("internetdisconnected")
            return
        try:
            status, payload = answer(body) if callable(answer) else answer
        except Exception as error:  # an unexpected push: answer, so it shows
            status, payload = 500, {"error": repr(error)}
        route.fulfill(
            status=status, content_type="application/json", body=json.dumps(payload)
        )


def results(body: dict, *answers: dict) -> tuple[int, dict]:
    records = body["records"]
    return 200, {
        "device_id": body["device_id"],
        "clock_offset_seconds": 0,
        "clock_flagged": False,
        "results": [
            {"id": r["id"], **a} for r, a in zip(records, answers, strict=True)
        ],
    }


def add_records(page, count: int) -> list[str]:
    return page.evaluate(
        """n => Promise.all([...Array(n).keys()].map(i => FieldStore.add(
             "checkin", "in", {activity_code: "1.2." + "x".repeat(22)},
             {activity: "test " + i}))).then(rs => rs.map(r => r.id))""",
        count,
    )


def sync(page) -> str:
    return page.evaluate("() => FieldUI.sync().then(r => r.state)")


def field_caches(page) -> list[str]:
    return sorted(n for n in cache_names(page) if n.startswith("field-"))
