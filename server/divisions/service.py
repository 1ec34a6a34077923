"""Loading the national division codes for the configured city."""

import csv
from pathlib import Path

from sqlmodel import Session, select

from server.divisions.models import Division

LEVELS = ("city", "county", "township")


class DivisionFileError(ValueError):
    """The divisions CSV is missing columns or names a level we do not know."""


def read_divisions(path: Path, city_code: str) -> list[Division]:
    """The city's own row and every county and township under it, from `path`."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    if not rows or not {"code", "name", "level", "parent_code"} <= rows[0].keys():
        raise DivisionFileError(f"{path}: expected columns code,name,level,parent_code")

    by_code = {row["code"]: row for row in rows}
    if city_code not in by_code:
        raise DivisionFileError(f"{path}: city {city_code} is not in the file")

    kept = []
    for row in rows:
        if row["level"] not in LEVELS:
            raise DivisionFileError(f"{path}: unknown level {row['level']!r}")
        if _belongs_to(row, city_code, by_code):
            kept.append(Division(**{key: row[key] for key in Division.model_fields}))
    return kept


def _belongs_to(row: dict, city_code: str, by_code: dict) -> bool:
    code: str | None = row["code"]
    while code:
        if code == city_code:
            return True
        parent = by_code.get(code)
        code = parent["parent_code"] if parent else None
    return False


def load_divisions(db: Session, path: Path, city_code: str) -> int:
    """Insert the divisions not yet present; running it again changes nothing."""
    divisions = read_divisions(path, city_code)
    known = set(db.exec(select(Division.code)).all())
    fresh = [division for division in divisions if division.code not in known]
    db.add_all(fresh)
    db.commit()
    return len(fresh)


def counties(db: Session) -> list[Division]:
    return list(
        db.exec(
            select(Division).where(Division.level == "county").order_by(Division.code)
        )
    )


def townships(db: Session, county_code: str) -> list[Division]:
    query = select(Division).where(Division.parent_code == county_code)
    return list(db.exec(query.order_by(Division.code)))
