"""A committed database for tests where several connections or processes must see
each other's work: a fresh one of the same engine as `engine`, dropped afterwards
(the ledger refuses DELETE, so dropping the database is the only clean-up)."""

from collections.abc import Iterator

import pytest
from sqlalchemy.engine import Engine

from tests.engines import fresh_database


@pytest.fixture
def committed_engine(engine: Engine, tmp_path) -> Iterator[Engine]:
    with fresh_database(engine.dialect.name, tmp_path) as own:
        yield own
