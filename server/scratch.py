"""Throwaway databases for the test suite and the benchmarks: a new database on
either engine, migrated, with the city's divisions loaded, removed afterwards.
"""

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session

from server.db import make_engine
from server.divisions.service import load_divisions
from server.migrate import upgrade
from server.settings import ROOT

DIVISIONS_CSV = ROOT / "data" / "puer-divisions.csv"
CITY_CODE = "530800"


class ScratchUnavailable(RuntimeError):
    """No PostgreSQL server answered at the admin URL."""


@contextmanager
def scratch_database(
    name: str, tmp_dir: Path, postgres_admin_url: str, prefix: str = "vs_scratch"
) -> Iterator[Engine]:
    """A fresh database: a SQLite file in `tmp_dir`, or a new PostgreSQL database
    made through `postgres_admin_url` and dropped on the way out."""
    if name == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_dir / f'{prefix}.db'}")
        yield _prepared(engine)
        engine.dispose()
        return

    admin = make_engine(postgres_admin_url, isolation_level="AUTOCOMMIT")
    database = f"{prefix}_{uuid.uuid4().hex[:10]}"
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{database}"'))
    except Exception as error:
        admin.dispose()
        host = make_url(postgres_admin_url).host
        raise ScratchUnavailable(f"{host} ({error.__class__.__name__})") from error

    url = make_url(postgres_admin_url).set(database=database)
    engine = make_engine(url.render_as_string(hide_password=False))
    try:
        yield _prepared(engine)
    finally:
        engine.dispose()
        with admin.connect() as connection:
            connection.execute(
                text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
            )
        admin.dispose()


def _prepared(engine: Engine) -> Engine:
    with engine.begin() as connection:
        upgrade(connection)
    with Session(engine) as db:
        load_divisions(db, DIVISIONS_CSV, CITY_CODE)
    return engine
