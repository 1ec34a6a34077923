"""Fixtures: each database test runs on SQLite and PostgreSQL, inside a transaction
that is rolled back, so no test sees another's rows.
"""

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from litestar.testing import TestClient
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session

from server.app import create_app
from server.db import Database
from server.settings import Settings
from tests.engines import fresh_database

ENGINES = ["sqlite", "postgresql"]


@pytest.fixture(scope="session", params=ENGINES)
def engine(request: pytest.FixtureRequest, tmp_path_factory) -> Iterator[Engine]:
    with fresh_database(request.param, tmp_path_factory.mktemp(request.param)) as e:
        yield e


@pytest.fixture
def connection(engine: Engine) -> Iterator[Connection]:
    with engine.connect() as connection:
        transaction = connection.begin()
        yield connection
        transaction.rollback()


class RolledBackDatabase(Database):
    """Sessions that commit into savepoints of one test-owned transaction."""

    def __init__(self, connection: Connection) -> None:
        super().__init__(connection.engine)
        self.connection = connection

    @contextmanager
    def session(self) -> Iterator[Session]:
        with Session(
            bind=self.connection,
            join_transaction_mode="create_savepoint",
            expire_on_commit=False,
        ) as session:
            yield session


@pytest.fixture
def database(connection: Connection) -> RolledBackDatabase:
    return RolledBackDatabase(connection)


@pytest.fixture
def db(database: RolledBackDatabase) -> Iterator[Session]:
    with database.session() as session:
        yield session


@pytest.fixture
def settings() -> Settings:
    return Settings.from_env({}, environment="test")


@pytest.fixture
def app(settings: Settings, database: RolledBackDatabase):
    return create_app(settings, database=database)


@pytest.fixture
def client(app) -> Iterator["WebClient"]:
    with WebClient(app=app) as client:
        yield client


class WebClient(TestClient):
    """A test client that fills in the CSRF token the way the layout does."""

    def csrf(self) -> str:
        if "csrftoken" not in self.cookies:
            self.get("/login")
        return self.cookies["csrftoken"]

    def submit(self, url: str, data: dict | None = None, **kwargs):
        form = {"_csrf_token": self.csrf(), **(data or {})}
        return self.post(url, data=form, **kwargs)

    def login(self, username: str, password: str = "test-password") -> None:
        response = self.submit(
            "/login",
            {"username": username, "password": password},
            follow_redirects=False,
        )
        assert response.status_code in (302, 303), response.text
