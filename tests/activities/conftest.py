"""Shared fixtures for activity tests: a clock the pages read, and a ready activity."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from server.accounts.models import Role, User
from server.activities import controllers
from server.activities.codes import make_code
from server.activities.models import Activity
from server.stations.models import Station
from server.volunteers.models import Volunteer
from tests.factories import make_activity, make_station, make_user, make_volunteer

SHANGHAI = ZoneInfo("Asia/Shanghai")


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


class Clock:
    """What the activity pages believe the time is."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def set(self, *args: int) -> datetime:
        self.now = local(*args)
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@pytest.fixture
def clock(monkeypatch) -> Clock:
    clock = Clock(local(2026, 6, 1, 9, 0))
    monkeypatch.setattr(controllers, "utcnow", clock)
    return clock


@dataclass
class Scene:
    station: Station
    activity: Activity
    captain: User
    volunteer: Volunteer

    @property
    def username(self) -> str:
        return f"vol{self.volunteer.id}"


@pytest.fixture
def scene(db) -> Scene:
    """A station, its captain's two-hour activity (09:00-11:00 on June 1st, Pu'er
    time) and an approved volunteer who can log in."""
    station = make_station(db)
    captain = make_user(db, Role.captain, station_id=station.id)
    activity = make_activity(
        db, station, starts_at=local(2026, 6, 1, 9), captain=captain
    )
    volunteer = make_volunteer(db, station, with_login=True)
    return Scene(station, activity, captain, volunteer)


def code_url(scene_or_activity, clock: Clock, settings) -> str:
    activity = getattr(scene_or_activity, "activity", scene_or_activity)
    return f"/checkin?c={make_code(activity.id, settings, clock.now)}"
