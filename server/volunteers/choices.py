"""Where a person can register: the city's stations by county and township."""

from dataclasses import dataclass

from sqlalchemy import exists
from sqlalchemy.orm import aliased
from sqlmodel import Session, select

from server.divisions.models import Division
from server.stations.models import Station


@dataclass(frozen=True)
class StationGroup:
    """The stations of one township, for a select grouped by county and township."""

    county_code: str
    county: str
    township_code: str
    township: str
    stations: list[tuple[int, str]]


def station_groups(
    db: Session, county_code: str = "", township_code: str = ""
) -> list[StationGroup]:
    """Stations grouped by county and township, optionally narrowed to one of them."""
    county = aliased(Division)
    township = aliased(Division)
    query = (
        select(
            Station.id,
            Station.name,
            county.code,
            county.name,
            township.code,
            township.name,
        )
        .join(county, county.code == Station.county_code)
        .join(township, township.code == Station.township_code)
        .order_by(county.code, township.code, Station.name)
    )
    if county_code:
        query = query.where(Station.county_code == county_code)
    if township_code:
        query = query.where(Station.township_code == township_code)

    groups: list[StationGroup] = []
    for station_id, name, c_code, c_name, t_code, t_name in db.exec(query):
        if not groups or groups[-1].township_code != t_code:
            groups.append(StationGroup(c_code, c_name, t_code, t_name, []))
        groups[-1].stations.append((station_id, name))
    return groups


def counties_with_stations(db: Session) -> list[Division]:
    """The counties that have at least one station, to narrow the station list."""
    query = (
        select(Division)
        .where(Division.level == "county")
        .where(exists().where(Station.county_code == Division.code))
        .order_by(Division.code)
    )
    return list(db.exec(query))


def townships_with_stations(db: Session, county_code: str) -> list[Division]:
    query = (
        select(Division)
        .where(Division.parent_code == county_code)
        .where(exists().where(Station.township_code == Division.code))
        .order_by(Division.code)
    )
    return list(db.exec(query))
