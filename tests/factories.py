"""Made-up people and places for tests. Names are obviously invented (测试…)."""

import itertools
from datetime import UTC, date, datetime, timedelta
from functools import cache

from sqlmodel import Session

from server.accounts.models import Role, User
from server.accounts.passwords import hash_password
from server.activities.models import Activity, Project, Team
from server.partners.models import Benefit, Partner
from server.stations.models import Community, Station
from server.volunteers.models import RegistrationStatus, Volunteer

TEST_PASSWORD = "test-password"
SIMAO_STREET = "530802001"  # 思茅街道, a real township of 思茅区
SIMAO_DISTRICT = "530802"

_numbers = itertools.count(1)


@cache
def password_hash() -> str:
    return hash_password(TEST_PASSWORD)


def make_station(db: Session, name: str | None = None) -> Station:
    n = next(_numbers)
    community = Community(name=f"测试社区{n}", township_code=SIMAO_STREET)
    db.add(community)
    db.flush()
    station = Station(
        name=name or f"测试社区{n}志愿者服务站",
        community_id=community.id,
        county_code=SIMAO_DISTRICT,
        township_code=SIMAO_STREET,
    )
    db.add(station)
    db.flush()
    return station


def make_user(db: Session, role: Role, **scope) -> User:
    n = next(_numbers)
    user = User(
        username=scope.pop("username", f"{role.value}{n}"),
        password_hash=password_hash(),
        display_name=scope.pop("display_name", f"测试{role.value}{n}"),
        role=role,
        **scope,
    )
    db.add(user)
    db.flush()
    return user


def make_volunteer(
    db: Session,
    station: Station,
    *,
    approved: bool = True,
    with_login: bool = False,
    **fields,
) -> Volunteer:
    n = next(_numbers)
    volunteer = Volunteer(
        volunteer_no=fields.pop("volunteer_no", f"T{n:08d}" if approved else None),
        status=RegistrationStatus.approved if approved else RegistrationStatus.pending,
        station_id=station.id,
        name=fields.pop("name", f"测试志愿者{n}"),
        sex=fields.pop("sex", "female"),
        birth_date=fields.pop("birth_date", date(1990, 1, 1)),
        id_type=fields.pop("id_type", "other"),
        id_number=fields.pop("id_number", f"TEST{n:010d}"),
        mobile=fields.pop("mobile", f"1390000{n:04d}"),
        emergency_name=fields.pop("emergency_name", "测试联系人"),
        emergency_mobile=fields.pop("emergency_mobile", "13900009999"),
        **fields,
    )
    db.add(volunteer)
    db.flush()
    if with_login:
        make_user(
            db,
            Role.volunteer,
            username=f"vol{volunteer.id}",
            volunteer_id=volunteer.id,
            station_id=station.id,
        )
    return volunteer


def make_activity(
    db: Session,
    station: Station,
    *,
    starts_at: datetime | None = None,
    hours: float = 2,
    captain: User | None = None,
) -> Activity:
    project = Project(
        station_id=station.id,
        name="测试项目：陪伴空巢老人",
        mode="many_to_one",
        service_type="companionship",
    )
    db.add(project)
    db.flush()
    db.add(
        Team(
            project_id=project.id,
            name="测试服务队",
            captain_user_id=captain and captain.id,
        )
    )
    starts_at = starts_at or datetime(2026, 6, 1, 1, 0, tzinfo=UTC)
    activity = Activity(
        project_id=project.id,
        station_id=station.id,
        title="测试活动：上门陪伴",
        place="测试社区活动室",
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=hours),
    )
    db.add(activity)
    db.flush()
    return activity


def make_partner(db: Session, *, per_day_limit: int = 1) -> tuple[Partner, Benefit]:
    partner = Partner(
        name="测试惠民超市",
        kind="supermarket",
        agreement_starts=date(2026, 1, 1),
        agreement_ends=date(2028, 12, 31),
    )
    db.add(partner)
    db.flush()
    benefit = Benefit(
        partner_id=partner.id,
        title="购物九五折",
        kind="discount",
        terms="凭志愿服务证购物享九五折，每日一次。",
        per_day_limit=per_day_limit,
    )
    db.add(benefit)
    db.flush()
    return partner, benefit
