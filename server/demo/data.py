"""The demo: made-up communities and stations under real townships of the city,
with staff, volunteers, a partner and activities to walk the whole path.

Every person here is invented and named so that nobody could mistake them for real
(示例…): ID numbers are of type `other` (DEMO…), mobiles follow 1390000xxxx.
Running it twice changes nothing; running it on a later day adds only a fresh
activity that is running now, so the check-in path can be walked at any time.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from io import BytesIO
from zoneinfo import ZoneInfo

from PIL import Image, ImageDraw
from sqlmodel import Session, select

from server.accounts.models import Role, User
from server.accounts.passwords import hash_password
from server.activities.models import Activity, CheckIn, Project, Team
from server.cards.certification import certify
from server.db import utcnow
from server.ledger.counting import Interval
from server.ledger.models import HourSource, LedgerEntry
from server.ledger.service import confirm, record_service
from server.partners.models import Benefit, Partner
from server.settings import Settings
from server.stations.models import Community, Station
from server.volunteers.models import RegistrationStatus, Volunteer, VolunteerPhoto
from server.volunteers.review import next_volunteer_no

DEMO_PASSWORD = "demo1234"
RUNNING_TITLE = "示例活动：社区便民服务日"


@dataclass(frozen=True)
class DemoStation:
    community: str
    township: str  # a real township code from data/puer-divisions.csv
    county: str


# Made-up communities under real townships of two counties.
STATIONS = [
    DemoStation("示例红旗社区", "530802001", "530802"),  # 思茅区 思茅街道
    DemoStation("示例宁洱社区", "530821101", "530821"),  # 宁洱县 宁洱镇
    DemoStation("示例南屏社区", "530802102", "530802"),  # 思茅区 南屏镇
]


@dataclass(frozen=True)
class DemoPerson:
    n: int  # numbers the ID (DEMO00000n) and the mobile (1390000000n)
    name: str
    station: int  # index into STATIONS
    approved: bool = True
    username: str | None = None  # demo logins; others log in with their mobile
    sex: str = "female"


VOLUNTEER = DemoPerson(1, "示例志愿者一", 0, username="volunteer")
CAPTAIN = DemoPerson(2, "示例队长", 0, username="captain", sex="male")
HELPERS = [
    DemoPerson(3, "示例志愿者三", 0),
    DemoPerson(4, "示例志愿者四", 0, sex="male"),
    DemoPerson(5, "示例志愿者五", 1),
]
PENDING = [
    DemoPerson(6, "示例待审志愿者", 0, approved=False, username="pending"),
    DemoPerson(7, "示例报名者七", 0, approved=False, sex="male"),
    DemoPerson(8, "示例报名者八", 0, approved=False),
    DemoPerson(9, "示例报名者九", 1, approved=False, sex="male"),
]


def load_demo(db: Session, settings: Settings) -> bool:
    """Create the demo once, and an activity running now; False if nothing was new."""
    created = False
    if db.exec(select(User).where(User.username == "head")).first() is None:
        _create(db, settings)
        created = True
    if _ensure_running_activity(db):
        created = True
    db.commit()
    return created


def _create(db: Session, settings: Settings) -> None:
    tz = ZoneInfo(settings.timezone)
    password = hash_password(DEMO_PASSWORD)
    stations = [_station(db, demo) for demo in STATIONS]
    login = _LoginMaker(db, password)

    head = login.staff("head", "示例站长", Role.head, station_id=stations[0].id)
    login.staff("head2", "示例宁洱站长", Role.head, station_id=stations[1].id)
    office = login.staff(
        "office", "示例市文明办", Role.office_admin, division_code=settings.city_code
    )

    people = {}
    for person in [VOLUNTEER, CAPTAIN, *HELPERS, *PENDING]:
        station = stations[person.station]
        volunteer = _volunteer(db, person, station)
        role = Role.captain if person is CAPTAIN else Role.volunteer
        user = login.volunteer(person, volunteer, role)
        people[person.n] = (volunteer, user)

    captain_user = people[CAPTAIN.n][1]
    team_project = _project(db, stations[0], captain_user)
    _project(db, stations[1], None, name="示例项目：文明交通劝导", kind="road_safety")

    now = utcnow()
    volunteer, captain = people[VOLUNTEER.n][0], people[CAPTAIN.n][0]
    _history(db, team_project, [volunteer, captain], head, settings, now)
    helpers = [people[p.n][0] for p in HELPERS if p.station == 0]
    _pending_hours(db, team_project, [captain, *helpers], settings, now)
    _future(db, team_project, tz, now)
    # The office certifies the level the volunteer's confirmed hours reached.
    certify(db, settings, office, [volunteer.id])

    _partner(db, login, tz, now)
    db.flush()


class _LoginMaker:
    """Demo logins, all with the demo password (hashed once: scrypt is slow)."""

    def __init__(self, db: Session, password_hash: str) -> None:
        self.db = db
        self.password_hash = password_hash

    def staff(self, username: str, name: str, role: Role, **scope) -> User:
        user = User(
            username=username,
            password_hash=self.password_hash,
            display_name=name,
            role=role,
            **scope,
        )
        self.db.add(user)
        self.db.flush()
        return user

    def volunteer(self, person: DemoPerson, volunteer: Volunteer, role: Role) -> User:
        return self.staff(
            person.username or volunteer.mobile,
            person.name,
            role,
            station_id=volunteer.station_id,
            volunteer_id=volunteer.id,
        )


def _station(db: Session, demo: DemoStation) -> Station:
    community = Community(name=demo.community, township_code=demo.township)
    db.add(community)
    db.flush()
    station = Station(
        name=f"{demo.community}志愿者服务站",
        community_id=community.id,
        county_code=demo.county,
        township_code=demo.township,
    )
    db.add(station)
    db.flush()
    return station


def _volunteer(db: Session, person: DemoPerson, station: Station) -> Volunteer:
    # Numbered the way approval numbers them: county code + 6-digit sequence.
    number = next_volunteer_no(db, station.county_code) if person.approved else None
    volunteer = Volunteer(
        volunteer_no=number,
        status=(
            RegistrationStatus.approved
            if person.approved
            else RegistrationStatus.pending
        ),
        station_id=station.id,
        name=person.name,
        sex=person.sex,
        birth_date=date(1960 + person.n * 3, person.n, 10),
        id_type="other",
        id_number=f"DEMO{person.n:06d}",
        mobile=f"1390000{person.n:04d}",
        employer="示例单位",
        skills="陪伴聊天、测量血压",
        intentions="亲情陪伴、文明交通",
        availability="周末上午",
        emergency_name="示例联系人",
        emergency_mobile="13900009999",
        decided_at=utcnow() if person.approved else None,
    )
    db.add(volunteer)
    db.flush()
    db.add(
        VolunteerPhoto(
            volunteer_id=volunteer.id,
            content_type="image/png",
            data=_silhouette(person.n),
        )
    )
    return volunteer


def _silhouette(n: int) -> bytes:
    """A drawn head-and-shoulders outline, plainly not a photo of anyone."""
    colours = ["#cfe3f5", "#f5e1cf", "#d9f0d3", "#eadcf5"]
    image = Image.new("RGB", (240, 300), colours[n % len(colours)])
    draw = ImageDraw.Draw(image)
    draw.ellipse((75, 50, 165, 150), fill="#7a8794")
    draw.ellipse((35, 170, 205, 360), fill="#7a8794")
    buffer = BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def _project(
    db: Session,
    station: Station,
    captain: User | None,
    *,
    name: str = "示例项目：陪伴空巢老人",
    kind: str = "companionship",
) -> Project:
    project = Project(
        station_id=station.id,
        name=name,
        mode="many_to_one",
        service_type=kind,
        description="示例：每周上门陪伴社区里的空巢老人，聊天、读报、量血压。",
    )
    db.add(project)
    db.flush()
    team = Team(
        project_id=project.id,
        name=f"{name.removeprefix('示例项目：')}服务队（示例）",
        captain_user_id=captain.id if captain else None,
    )
    db.add(team)
    db.flush()
    return project


def _activity(
    db: Session, project: Project, title: str, starts_at: datetime, hours: int
) -> Activity:
    activity = Activity(
        project_id=project.id,
        station_id=project.station_id,
        title=title,
        place="示例红旗社区活动室",
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=hours),
    )
    db.add(activity)
    db.flush()
    return activity


def _local_morning(now: datetime, days_ago: int, tz: ZoneInfo) -> datetime:
    """09:00 in the city, `days_ago` days before today in the city."""
    day = now.astimezone(tz).date() - timedelta(days=days_ago)
    return datetime(day.year, day.month, day.day, 9, tzinfo=tz).astimezone(UTC)


def _history(
    db: Session,
    project: Project,
    volunteers: list[Volunteer],
    head: User,
    settings: Settings,
    now: datetime,
) -> None:
    """Confirmed hours: weekly visits over the past eight weeks (32 hours each), and
    for the first volunteer 100 back-filled hours from the year before, enough for
    one star and, whatever the day, the benefit card.
    """
    tz = ZoneInfo(settings.timezone)
    entries = []
    for week in range(1, 9):
        start = _local_morning(now, week * 7, tz)
        activity = _activity(db, project, "示例活动：上门陪伴空巢老人", start, 4)
        for volunteer in volunteers:
            entries += _scanned(db, activity, volunteer, settings)

    for fortnight in range(25):
        start = _local_morning(now, 400 + fortnight * 14, tz)
        entries += record_service(
            db,
            volunteer_id=volunteers[0].id,
            station_id=project.station_id,
            interval=Interval(start, start + timedelta(hours=4)),
            source=HourSource.backfill,
            content="示例：往年入户陪伴（补录）",
            recorded_by=head.id,
            settings=settings,
        )
    confirm(db, [entry.id for entry in entries], head)


def _pending_hours(
    db: Session,
    project: Project,
    volunteers: list[Volunteer],
    settings: Settings,
    now: datetime,
) -> None:
    """Yesterday's activity: scanned hours that wait for the station head."""
    start = _local_morning(now, 1, ZoneInfo(settings.timezone))
    activity = _activity(db, project, "示例活动：社区环境清洁", start, 3)
    for volunteer in volunteers:
        _scanned(db, activity, volunteer, settings)


def _future(db: Session, project: Project, tz: ZoneInfo, now: datetime) -> None:
    for days in (2, 9):
        _activity(
            db,
            project,
            "示例活动：健康讲座与量血压",
            _local_morning(now, -days, tz),
            3,
        )


def _scanned(
    db: Session, activity: Activity, volunteer: Volunteer, settings: Settings
) -> list[LedgerEntry]:
    """A check-in and check-out at the activity's start and end, credited pending."""
    for kind, at in (("in", activity.starts_at), ("out", activity.ends_at)):
        db.add(
            CheckIn(
                activity_id=activity.id,
                volunteer_id=volunteer.id,
                kind=kind,
                at=at,
                source="activity_qr",
            )
        )
    return record_service(
        db,
        volunteer_id=volunteer.id,
        station_id=activity.station_id,
        interval=Interval(activity.starts_at, activity.ends_at),
        source=HourSource.scan,
        activity_id=activity.id,
        content=activity.title,
        settings=settings,
    )


def _partner(db: Session, login: _LoginMaker, tz: ZoneInfo, now: datetime) -> None:
    year = now.astimezone(tz).year
    partner = Partner(
        name="示例惠民超市",
        kind="supermarket",
        agreement_starts=date(year - 1, 1, 1),
        agreement_ends=date(year + 2, 12, 31),
    )
    db.add(partner)
    db.flush()
    db.add(
        Benefit(
            partner_id=partner.id,
            title="购物九五折",
            kind="discount",
            terms="凭志愿服务证购物享九五折，每人每日一次。",
            per_day_limit=1,
        )
    )
    login.staff("partner", "示例超市收银员", Role.partner, partner_id=partner.id)


def _ensure_running_activity(db: Session) -> bool:
    """An activity of the captain's team that runs now: an hour ago to two hours on."""
    captain = db.exec(select(User).where(User.username == "captain")).one()
    project = db.exec(
        select(Project)
        .join(Team, Team.project_id == Project.id)
        .where(Team.captain_user_id == captain.id)
    ).first()
    now = utcnow()
    running = db.exec(
        select(Activity).where(
            Activity.project_id == project.id,
            Activity.starts_at <= now,
            Activity.ends_at > now + timedelta(minutes=30),
        )
    ).first()
    if running is not None:
        return False
    start = now.replace(second=0, microsecond=0) - timedelta(hours=1)
    _activity(db, project, RUNNING_TITLE, start, 3)
    return True
