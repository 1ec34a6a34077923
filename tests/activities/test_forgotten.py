"""Forgotten check-outs: closed at the activity's end, held until a leader confirms."""

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlmodel import Session

from server.accounts.models import Role
from server.activities.models import CheckIn
from server.activities.service import (
    FORGOTTEN_CHECKOUT_NOTE,
    check_in_or_out,
    close_forgotten_checkouts,
    open_check_in,
)
from server.cli import main
from server.db import utcnow
from server.ledger.models import LedgerEntry
from server.ledger.service import confirm, confirmed_minutes
from tests.activities.conftest import SHANGHAI, local
from tests.activities.pages import page
from tests.conftest import ENGINES
from tests.engines import fresh_database
from tests.factories import make_activity, make_station, make_user, make_volunteer


def checked_in(db, scene, settings, at):
    check_in_or_out(db, scene.activity, scene.volunteer, settings, kind="in", now=at)


def entries_of(db, volunteer):
    return db.scalars(
        select(LedgerEntry).where(LedgerEntry.volunteer_id == volunteer.id)
    ).all()


def test_open_check_in_is_closed_at_the_scheduled_end(db, scene, settings):
    checked_in(db, scene, settings, local(2026, 6, 1, 9, 5))

    # Still within the grace after the 11:00 end: nothing happens yet.
    assert close_forgotten_checkouts(db, local(2026, 6, 1, 11, 9), settings) == 0
    closed = close_forgotten_checkouts(db, local(2026, 6, 1, 11, 11), settings)

    assert closed == 1
    assert open_check_in(db, scene.activity.id, scene.volunteer.id) is None
    out = db.scalars(
        select(CheckIn).where(
            CheckIn.volunteer_id == scene.volunteer.id, CheckIn.kind == "out"
        )
    ).one()
    assert (out.at, out.source) == (local(2026, 6, 1, 11, 0), "auto_close")
    (entry,) = entries_of(db, scene.volunteer)
    assert (entry.minutes, entry.needs_review, entry.note) == (
        115,
        True,
        FORGOTTEN_CHECKOUT_NOTE,
    )


def test_held_entry_counts_for_nothing_until_confirmed_on_purpose(db, scene, settings):
    head = make_user(db, Role.head, station_id=scene.station.id)
    checked_in(db, scene, settings, local(2026, 6, 1, 9, 0))
    close_forgotten_checkouts(db, local(2026, 6, 2, 8, 0), settings)
    (entry,) = entries_of(db, scene.volunteer)

    assert confirmed_minutes(db, scene.volunteer.id) == 0
    assert confirm(db, [entry.id], head) == []
    assert confirmed_minutes(db, scene.volunteer.id) == 0
    assert confirm(db, [entry.id], head, confirm_flagged=True) == [entry.id]
    assert confirmed_minutes(db, scene.volunteer.id) == 120


def test_closing_twice_closes_once_and_skips_running_activities(db, scene, settings):
    later = make_activity(db, scene.station, starts_at=local(2026, 6, 1, 14))
    checked_in(db, scene, settings, local(2026, 6, 1, 9, 0))
    check_in_or_out(
        db, later, scene.volunteer, settings, kind="in", now=local(2026, 6, 1, 14)
    )

    now = local(2026, 6, 1, 15, 0)
    assert close_forgotten_checkouts(db, now, settings) == 1
    assert close_forgotten_checkouts(db, now, settings) == 0
    assert open_check_in(db, later.id, scene.volunteer.id) is not None
    assert len(entries_of(db, scene.volunteer)) == 1


def test_only_recent_activities_unless_asked(db, scene, settings):
    checked_in(db, scene, settings, local(2026, 6, 1, 9, 0))
    much_later = local(2026, 8, 1, 9, 0)

    mine = {"station_id": scene.station.id}
    assert close_forgotten_checkouts(db, much_later, settings, **mine) == 0
    assert (
        close_forgotten_checkouts(db, much_later, settings, lookback=None, **mine) == 1
    )


def test_station_filter(db, scene, settings):
    elsewhere = make_station(db)
    activity = make_activity(db, elsewhere, starts_at=local(2026, 6, 1, 9))
    stranger = make_volunteer(db, elsewhere)
    check_in_or_out(
        db, activity, stranger, settings, kind="in", now=local(2026, 6, 1, 9)
    )
    checked_in(db, scene, settings, local(2026, 6, 1, 9, 0))

    later = local(2026, 6, 2, 9, 0)
    assert (
        close_forgotten_checkouts(db, later, settings, station_id=scene.station.id) == 1
    )
    assert open_check_in(db, activity.id, stranger.id) is not None


def test_hours_page_closes_and_marks_forgotten_checkouts(client, db, scene, settings):
    today = utcnow().astimezone(SHANGHAI).date()
    yesterday = local(*(today - timedelta(days=1)).timetuple()[:3], 9, 0)
    scene.activity.starts_at = yesterday
    scene.activity.ends_at = yesterday + timedelta(hours=2)
    db.add(scene.activity)
    db.flush()
    checked_in(db, scene, settings, yesterday)
    make_user(db, Role.head, username="head-forgot", station_id=scene.station.id)
    client.login("head-forgot")

    shown = page(client.get("/station/hours").text)

    (entry,) = entries_of(db, scene.volunteer)
    row = shown.select_one(f'tr[data-entry-id="{entry.id}"]')
    assert "data-needs-review" in row.attrs
    assert row.find(id=f"confirm-entry-{entry.id}")


@pytest.fixture(params=ENGINES)
def real_engine(request, tmp_path):
    with fresh_database(request.param, tmp_path) as engine:
        yield engine


def test_cli_closes_forgotten_checkouts(real_engine, monkeypatch, capsys, settings):
    with Session(real_engine) as db:
        station = make_station(db)
        activity = make_activity(db, station, starts_at=local(2026, 3, 1, 9))
        volunteer = make_volunteer(db, station)
        check_in_or_out(
            db, activity, volunteer, settings, kind="in", now=local(2026, 3, 1, 9)
        )
        volunteer_id = volunteer.id
        db.commit()
    monkeypatch.setenv("DATABASE_URL", real_engine.url.render_as_string(False))
    monkeypatch.setenv("APP_ENV", "test")

    assert main(["close-checkouts"]) == 0  # March is long gone: nothing
    assert "closed: 0" in capsys.readouterr().out
    assert main(["close-checkouts", "--all"]) == 0

    assert "closed: 1" in capsys.readouterr().out
    with Session(real_engine) as db:
        (entry,) = db.scalars(
            select(LedgerEntry).where(LedgerEntry.volunteer_id == volunteer_id)
        ).all()
        assert (entry.minutes, entry.needs_review) == (120, True)
