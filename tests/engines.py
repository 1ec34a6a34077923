"""The database engines the suite runs on, each migrated once per test session.

SQLite always runs. PostgreSQL runs when TEST_POSTGRES_URL reaches a server; in CI
(TEST_REQUIRE_ALL=1) an unreachable one fails the run rather than being skipped.
"""

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session

from server.db import make_engine
from server.divisions.service import load_divisions
from server.migrate import upgrade
from server.settings import ROOT

DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
DIVISIONS_CSV = ROOT / "data" / "puer-divisions.csv"
CITY_CODE = "530800"


def require_all() -> bool:
    return os.environ.get("TEST_REQUIRE_ALL") == "1"


def missing(what: str) -> None:
    """Skip locally, fail in CI: a missing engine or browser never passes there."""
    if require_all():
        pytest.fail(f"{what} is required in CI but is not available", pytrace=False)
    pytest.skip(f"{what} is not available here")


@contextmanager
def fresh_database(name: str, tmp_dir: Path) -> Iterator[Engine]:
    """A new, empty, migrated database with the city's divisions loaded."""
    if name == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_dir / 'test.db'}")
        yield _prepared(engine)
        engine.dispose()
        return

    admin_url = os.environ.get("TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL)
    admin = make_engine(admin_url, isolation_level="AUTOCOMMIT")
    database = f"vs_test_{uuid.uuid4().hex[:10]}"
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{database}"'))
    except Exception as error:
        admin.dispose()
        missing(
            f"PostgreSQL at {make_url(admin_url).host} ({error.__class__.__name__})"
        )

    url = make_url(admin_url).set(database=database)
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
