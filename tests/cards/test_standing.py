"""Star levels, certified levels and the benefit card, from confirmed hours only."""

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import event

from server.accounts.models import Role
from server.cards.certification import certify_level
from server.cards.standing import (
    benefit_holders,
    confirmed_by_year,
    confirmed_totals,
    format_hours,
    granting_years,
    local_today,
    standing,
    standings,
    star_level,
)
from server.settings import Settings
from tests.cards.helpers import credit
from tests.factories import make_station, make_user, make_volunteer

THRESHOLDS = (100, 300, 600, 1000, 1500)


@pytest.mark.parametrize(
    ("minutes", "level"),
    [
        (0, 0),
        (-60, 0),
        (100 * 60 - 1, 0),  # 99h59m
        (100 * 60, 1),  # exactly 100h
        (300 * 60 - 1, 1),
        (300 * 60, 2),
        (600 * 60, 3),
        (1000 * 60 - 1, 3),
        (1000 * 60, 4),
        (1500 * 60 - 1, 4),
        (1500 * 60, 5),
        (10_000 * 60, 5),
    ],
)
def test_star_level_thresholds_are_exact(minutes, level):
    assert star_level(minutes, THRESHOLDS) == level


@given(st.integers(min_value=0, max_value=200_000))
def test_star_level_never_falls_as_minutes_rise(minutes):
    assert star_level(minutes, THRESHOLDS) <= star_level(minutes + 1, THRESHOLDS)


@pytest.mark.parametrize(
    ("minutes", "shown"),
    [
        (0, "0.0"),
        (5, "0.0"),
        (6, "0.1"),
        (90, "1.5"),
        (5999, "99.9"),
        (6000, "100.0"),
        (-90, "-1.5"),
    ],
)
def test_hours_show_one_decimal_rounded_down(minutes, shown):
    assert format_hours(minutes) == shown


def test_granting_years():
    assert list(granting_years(2027, 2)) == [2026, 2027]
    assert list(granting_years(2027, 1)) == [2027]
    assert list(granting_years(2027, 3)) == [2025, 2026, 2027]


def test_local_today_is_the_city_date_whatever_the_server_zone():
    settings = Settings.from_env({}, environment="test")
    new_year_in_city = datetime(2026, 12, 31, 16, 0, tzinfo=UTC)
    assert local_today(settings, new_year_in_city) == date(2027, 1, 1)
    assert local_today(settings, new_year_in_city - timedelta(seconds=1)) == date(
        2026, 12, 31
    )


def test_only_confirmed_entries_count_and_reversals_subtract(db):
    station = make_station(db)
    volunteer = make_volunteer(db, station)
    credit(db, volunteer, 600)
    credit(db, volunteer, 120, decision="rejected")
    credit(db, volunteer, 180, decision=None)  # pending review
    credit(db, volunteer, -60)  # a confirmed reversal
    credit(db, volunteer, 45, year=2025)

    assert confirmed_totals(db, [volunteer.id]) == {volunteer.id: 585}
    assert confirmed_by_year(db, [volunteer.id], [2025, 2026]) == {
        (volunteer.id, 2025): 45,
        (volunteer.id, 2026): 540,
    }


def test_reached_level_at_exactly_one_hundred_hours(db, settings):
    station = make_station(db)
    exactly, almost = make_volunteer(db, station), make_volunteer(db, station)
    credit(db, exactly, 100 * 60)
    credit(db, almost, 100 * 60 - 1)

    found = standings(db, settings, [exactly.id, almost.id], date(2026, 7, 1))
    assert found[exactly.id].reached_level == 1
    assert found[almost.id].reached_level == 0
    assert found[exactly.id].awaiting_certification


def test_certified_level_is_the_latest_certification(db, settings):
    station = make_station(db)
    volunteer = make_volunteer(db, station)
    office = make_user(db, Role.office_admin)
    credit(db, volunteer, 400 * 60)
    first = certify_level(db, volunteer.id, 3, office)
    first.certified_at = datetime(2026, 1, 1, tzinfo=UTC)
    later = certify_level(db, volunteer.id, 1, office)  # a correction downwards
    later.certified_at = datetime(2026, 2, 1, tzinfo=UTC)
    db.flush()

    held = standing(db, settings, volunteer.id, date(2026, 7, 1))
    assert held.certified_level == 1
    assert held.reached_level == 2
    assert held.awaiting_certification


def test_benefit_card_lasts_that_year_and_the_next(db, settings):
    station = make_station(db)
    holder, short = make_volunteer(db, station), make_volunteer(db, station)
    credit(db, holder, 25 * 60, year=2026)
    credit(db, short, 25 * 60 - 1, year=2026)
    ids = [holder.id, short.id]

    assert benefit_holders(db, settings, ids, date(2025, 12, 31)) == {}
    assert benefit_holders(db, settings, ids, date(2026, 1, 1)) == {holder.id: 2026}
    assert benefit_holders(db, settings, ids, date(2027, 12, 31)) == {holder.id: 2026}
    assert benefit_holders(db, settings, ids, date(2028, 1, 1)) == {}

    held = standing(db, settings, holder.id, date(2027, 3, 1))
    assert held.holds_benefit and held.benefit_until == 2027
    assert held.year_minutes == 0


def test_benefit_counts_the_year_in_the_city_zone(db, settings):
    station = make_station(db)
    volunteer = make_volunteer(db, station)
    credit(db, volunteer, 30 * 60, year=2025)
    last_moment = datetime(2026, 12, 31, 15, 59, 59, tzinfo=UTC)  # 23:59:59 local

    held = benefit_holders(
        db, settings, [volunteer.id], local_today(settings, last_moment)
    )
    assert held == {volunteer.id: 2025}
    next_day = local_today(settings, last_moment + timedelta(seconds=1))
    assert benefit_holders(db, settings, [volunteer.id], next_day) == {}


def test_a_reversal_can_take_the_benefit_away(db, settings):
    station = make_station(db)
    volunteer = make_volunteer(db, station)
    credit(db, volunteer, 25 * 60)
    assert benefit_holders(db, settings, [volunteer.id], date(2026, 8, 1))
    credit(db, volunteer, -1)
    assert not benefit_holders(db, settings, [volunteer.id], date(2026, 8, 1))


def test_a_later_year_extends_the_card(db, settings):
    station = make_station(db)
    volunteer = make_volunteer(db, station)
    credit(db, volunteer, 25 * 60, year=2026)
    credit(db, volunteer, 25 * 60, year=2027)
    held = standing(db, settings, volunteer.id, date(2027, 5, 1))
    assert held.benefit_year == 2027 and held.benefit_until == 2028


def test_benefit_rules_follow_the_settings(db):
    settings = Settings.from_env(
        {}, environment="test", benefit_min_hours=10, benefit_years=1
    )
    station = make_station(db)
    volunteer = make_volunteer(db, station)
    credit(db, volunteer, 10 * 60, year=2026)
    assert benefit_holders(db, settings, [volunteer.id], date(2026, 12, 31))
    assert not benefit_holders(db, settings, [volunteer.id], date(2027, 1, 1))


def test_standings_for_many_volunteers_take_a_fixed_number_of_queries(db, settings):
    station = make_station(db)
    few = [make_volunteer(db, station) for _ in range(2)]
    many = [make_volunteer(db, station) for _ in range(15)]
    for volunteer in few + many:
        credit(db, volunteer, 30 * 60)
    db.flush()

    def queries_for(volunteers) -> int:
        statements = []

        def count(*_args):
            statements.append(1)

        bind = db.connection()
        event.listen(bind, "before_cursor_execute", count)
        try:
            found = standings(
                db, settings, [v.id for v in volunteers], date(2026, 9, 1)
            )
        finally:
            event.remove(bind, "before_cursor_execute", count)
        assert all(found[v.id].holds_benefit for v in volunteers)
        return len(statements)

    assert queries_for(few) == queries_for(many) <= 4
