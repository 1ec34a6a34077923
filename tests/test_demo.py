"""The demo loads on both engines, twice without change, with every login it lists."""

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func
from sqlmodel import select

import server.models
from server.accounts.models import Role, User
from server.accounts.service import authenticate
from server.activities.models import Activity, Team
from server.cards.models import Certification
from server.db import utcnow
from server.demo import load_demo
from server.demo.data import DEMO_PASSWORD
from server.divisions.models import Division
from server.ledger.models import LedgerEntry, LedgerReview
from server.partners.models import Benefit, Partner
from server.stations.models import Community, Station
from server.volunteers.models import Volunteer

LOGINS = {
    "head": Role.head,
    "head2": Role.head,
    "captain": Role.captain,
    "volunteer": Role.volunteer,
    "pending": Role.volunteer,
    "partner": Role.partner,
    "office": Role.office_admin,
}


def row_counts(db) -> dict[str, int]:
    return {
        table.name: db.exec(select(func.count()).select_from(table)).one()
        for table in server.models.metadata.sorted_tables
    }


def test_loading_twice_changes_nothing(db, settings):
    assert load_demo(db, settings) is True
    first = row_counts(db)
    assert load_demo(db, settings) is False
    assert row_counts(db) == first
    assert first["volunteer"] >= 9 and first["activity"] >= 10


def test_every_demo_login_exists_with_its_role(db, settings):
    load_demo(db, settings)
    for username, role in LOGINS.items():
        user = authenticate(db, username, DEMO_PASSWORD)
        assert user.role == role, username

    head = db.exec(select(User).where(User.username == "head")).one()
    head2 = db.exec(select(User).where(User.username == "head2")).one()
    assert head.station_id and head2.station_id
    assert head.station_id != head2.station_id
    office = db.exec(select(User).where(User.username == "office")).one()
    assert office.division_code == settings.city_code
    partner = db.exec(select(User).where(User.username == "partner")).one()
    assert db.get(Partner, partner.partner_id).name == "示例惠民超市"
    benefit = db.exec(select(Benefit).where(Benefit.partner_id == partner.partner_id))
    assert [b.per_day_limit for b in benefit] == [1]


def test_stations_sit_under_real_townships_of_two_counties(db, settings):
    load_demo(db, settings)
    stations = db.exec(select(Station).join(Community)).all()
    demo = [s for s in stations if s.name.startswith("示例")]
    assert len({s.county_code for s in demo}) >= 2
    for station in demo:
        township = db.get(Division, station.township_code)
        assert township.level == "township"
        assert township.parent_code == station.county_code


def test_demo_people_are_plainly_made_up(db, settings):
    before = set(db.exec(select(Volunteer.id)).all())
    load_demo(db, settings)
    volunteers = [v for v in db.exec(select(Volunteer)) if v.id not in before]
    assert {v.status for v in volunteers} == {"approved", "pending"}
    assert sum(v.status == "pending" for v in volunteers) >= 3
    for volunteer in volunteers:
        assert volunteer.name.startswith("示例")
        assert volunteer.id_type == "other"
        assert re.fullmatch(r"DEMO\d{6}", volunteer.id_number)
        assert re.fullmatch(r"1390000\d{4}", volunteer.mobile)
        station = db.get(Station, volunteer.station_id)
        if volunteer.status == "approved":
            assert re.fullmatch(
                rf"{station.county_code}\d{{6}}", volunteer.volunteer_no
            )
        else:
            assert volunteer.volunteer_no is None


def test_the_captain_leads_a_team_with_an_activity_running_now(db, settings):
    load_demo(db, settings)
    captain = db.exec(select(User).where(User.username == "captain")).one()
    assert db.get(Volunteer, captain.volunteer_id).status == "approved"
    team = db.exec(select(Team).where(Team.captain_user_id == captain.id)).one()
    now = utcnow()
    activities = db.exec(
        select(Activity).where(Activity.project_id == team.project_id)
    ).all()
    running = [a for a in activities if a.starts_at <= now < a.ends_at]
    assert running and running[0].ends_at - now > timedelta(minutes=30)
    assert any(a.starts_at > now for a in activities)
    assert any(a.ends_at < now for a in activities)


def test_the_volunteer_has_confirmed_hours_a_star_and_the_benefit(db, settings):
    load_demo(db, settings)
    user = db.exec(select(User).where(User.username == "volunteer")).one()
    confirmed = (
        select(LedgerEntry.service_year, func.sum(LedgerEntry.minutes))
        .join(LedgerReview, LedgerReview.entry_id == LedgerEntry.id)
        .where(
            LedgerEntry.volunteer_id == user.volunteer_id,
            LedgerReview.decision == "confirmed",
        )
        .group_by(LedgerEntry.service_year)
    )
    by_year = dict(db.exec(confirmed).all())
    this_year = utcnow().astimezone(ZoneInfo(settings.timezone)).year
    best = max(by_year.get(this_year, 0), by_year.get(this_year - 1, 0))
    assert best >= settings.benefit_min_hours * 60
    assert sum(by_year.values()) >= settings.star_thresholds[0] * 60
    levels = db.exec(
        select(Certification.level).where(
            Certification.volunteer_id == user.volunteer_id
        )
    ).all()
    assert levels == [1]


def test_the_head_has_hours_waiting_for_confirmation(db, settings):
    load_demo(db, settings)
    head = db.exec(select(User).where(User.username == "head")).one()
    waiting = db.exec(
        select(func.count())
        .select_from(LedgerEntry)
        .outerjoin(LedgerReview, LedgerReview.entry_id == LedgerEntry.id)
        .where(
            LedgerEntry.station_id == head.station_id, LedgerReview.entry_id.is_(None)
        )
    ).one()
    assert waiting >= 3
