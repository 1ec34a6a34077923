"""A server killed (SIGKILL) in the middle of a large batch loses nothing: after a
restart, the same batch sent again ends with every record applied exactly once.

The app runs under uvicorn in a subprocess on 127.0.0.1, on a committed database of
the same engine as `engine` (a SQLite file, or a PostgreSQL database of its own).
"""

import contextlib
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import func, select
from sqlmodel import Session

from server.db import utcnow
from server.settings import ROOT
from server.visits.models import Visit
from sync.models import SyncRecord
from tests.factories import TEST_PASSWORD
from tests.sync.builders import Phone, live_minutes, make_field, new_id

RECORDS = 500
HEADERS = {"X-Requested-With": "sync", "Accept": "application/json"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """The app under uvicorn, started and killed by this test only."""

    def __init__(self, database_url: str, port: int) -> None:
        self.url = f"http://127.0.0.1:{port}"
        env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "APP_ENV": "test",
            "LOG_FORMAT": "json",
        }
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "server.asgi:app",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.1)
        self.kill()
        pytest.fail("the app did not start")

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def login(self, username: str) -> httpx.Client:
        client = httpx.Client(base_url=self.url, timeout=120)
        client.get("/login")
        response = client.post(
            "/login",
            data={
                "_csrf_token": client.cookies["csrftoken"],
                "username": username,
                "password": TEST_PASSWORD,
            },
        )
        assert response.status_code in (302, 303), response.text
        return client


@pytest.fixture
def database_url(committed_engine) -> str:
    return committed_engine.url.render_as_string(hide_password=False)


def big_batch(engine):
    with Session(engine, expire_on_commit=False) as db:
        field = make_field(db, volunteers=3)
        db.commit()
    phone = Phone()
    start = utcnow().replace(second=0, microsecond=0) - timedelta(days=30)
    records = [
        phone.visit(
            "create",
            new_id(),
            field,
            start=start + timedelta(minutes=61 * n),
            minutes=60,
            volunteers=field.volunteers,
        )
        for n in range(RECORDS)
    ]
    return field, phone, records


def stored(engine, records) -> int:
    """How many of `records` the server has committed, read without waiting.

    On SQLite the app's engine begins every transaction IMMEDIATE, so a reader
    through it would queue behind the server's writes; a plain connection reads
    the committed state of the WAL at once instead.
    """
    ids = [r["id"] for r in records]
    if engine.dialect.name == "sqlite":
        with contextlib.closing(sqlite3.connect(engine.url.database)) as raw:
            marks = ",".join("?" * len(ids))
            query = f"SELECT count(*) FROM syncrecord WHERE id IN ({marks})"
            return raw.execute(query, ids).fetchone()[0]
    with Session(engine) as db:
        return db.scalar(
            select(func.count()).select_from(SyncRecord).where(SyncRecord.id.in_(ids))
        )


def test_a_server_killed_mid_batch_loses_and_doubles_nothing(
    committed_engine, database_url
):
    field, phone, records = big_batch(committed_engine)
    server = Server(database_url, free_port())
    try:
        client = server.login(field.captain.username)
        body = phone.batch(records, sent=utcnow())

        def send() -> None:
            # Killed: the phone gets no answer, as in the field.
            with contextlib.suppress(httpx.TransportError):
                client.post("/api/sync/push", json=body, headers=HEADERS)

        sender = threading.Thread(target=send)
        sender.start()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and stored(committed_engine, records) == 0:
            time.sleep(0.01)
        server.kill()
        sender.join(timeout=30)
    finally:
        server.kill()

    before = stored(committed_engine, records)
    assert 0 < before < RECORDS, "the kill should land in the middle of the batch"

    server = Server(database_url, free_port())
    try:
        client = server.login(field.captain.username)
        body = phone.batch(records, sent=utcnow())
        response = client.post("/api/sync/push", json=body, headers=HEADERS)
    finally:
        server.kill()

    assert response.status_code == 200, response.text
    results = response.json()["results"]
    statuses = [r["status"] for r in results]
    assert statuses.count("duplicate") == before
    assert statuses.count("accepted") == RECORDS - before
    assert all(r.get("first_status", "accepted") == "accepted" for r in results)

    assert stored(committed_engine, records) == RECORDS
    with Session(committed_engine) as db:
        visits = db.scalar(
            select(func.count())
            .select_from(Visit)
            .where(Visit.station_id == field.station.id)
        )
        assert visits == RECORDS
        credited = live_minutes(db, field)
    for volunteer in field.volunteers:
        mine = sum(m for (v, _day), m in credited.items() if v == volunteer.id)
        assert mine == 60 * RECORDS
