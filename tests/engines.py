"""The database engines the suite runs on, each migrated once per test session.

SQLite always runs. PostgreSQL runs when TEST_POSTGRES_URL reaches a server; in CI
(TEST_REQUIRE_ALL=1) an unreachable one fails the run rather than being skipped.
"""

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from server.scratch import (
    CITY_CODE,
    DIVISIONS_CSV,
    ScratchUnavailable,
    scratch_database,
)

DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
__all__ = ["CITY_CODE", "DIVISIONS_CSV", "fresh_database", "missing", "require_all"]


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
    admin_url = os.environ.get("TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL)
    try:
        with scratch_database(name, tmp_dir, admin_url, prefix="vs_test") as engine:
            yield engine
    except ScratchUnavailable as error:
        missing(f"PostgreSQL at {error}")
