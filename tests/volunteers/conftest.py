"""The shared `connection` fixture, made to roll back on SQLite too.

pysqlite sends no BEGIN when SQLAlchemy begins a transaction, so the first SAVEPOINT
a session makes starts the real transaction, and a service's `db.commit()` on the
test session RELEASEs it: the rows stay in the database after the test. An
explicit BEGIN makes every later savepoint nest inside a transaction that the
fixture rolls back. (Reported for tests/conftest.py, which all features share.)
"""

from collections.abc import Iterator

import pytest
from sqlalchemy.engine import Connection, Engine


@pytest.fixture
def connection(engine: Engine) -> Iterator[Connection]:
    with engine.connect() as connection:
        transaction = connection.begin()
        if connection.dialect.name == "sqlite":
            connection.exec_driver_sql("BEGIN")
        yield connection
        transaction.rollback()
