"""The demo: made-up communities and stations under real townships of the city,
with staff, volunteers, a partner and activities to walk the whole path.

Every person here is invented and named so that nobody could mistake them for real
(示例…). Running it twice changes nothing.
"""

from sqlmodel import Session, select

from server.accounts.models import Role, User
from server.accounts.passwords import hash_password
from server.settings import Settings
from server.stations.models import Community, Station

DEMO_PASSWORD = "demo1234"
# Made-up communities under real townships (思茅区思茅街道 and 南屏镇).
DEMO_COMMUNITIES = [
    ("示例红旗社区", "530802001", "530802"),
    ("示例南屏社区", "530802102", "530802"),
]


def load_demo(db: Session, settings: Settings) -> bool:
    """Create the demo once; False when it is already there."""
    if db.exec(select(User).where(User.username == "head")).first():
        return False

    stations = [_station(db, *community) for community in DEMO_COMMUNITIES]
    password = hash_password(DEMO_PASSWORD)
    db.add(
        User(
            username="head",
            password_hash=password,
            display_name="示例站长",
            role=Role.head,
            station_id=stations[0].id,
        )
    )
    db.commit()
    return True


def _station(db: Session, name: str, township: str, county: str) -> Station:
    community = Community(name=name, township_code=township)
    db.add(community)
    db.flush()
    station = Station(
        name=f"{name}志愿者服务站",
        community_id=community.id,
        county_code=county,
        township_code=township,
    )
    db.add(station)
    db.flush()
    return station
