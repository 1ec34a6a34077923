"""Helpers for the offline field tests: the live server's data, card codes, and the
phone's IndexedDB and caches as the page sees them.
"""

import os
from datetime import date, datetime, timedelta

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
