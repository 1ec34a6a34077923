"""Two app processes share sessions and the login throttle through Redis.

This is what lets a city run several stateless app processes behind one address:
a login made on one is honoured by the other, and failed logins are counted across
all of them. Every key goes under a namespace of its own, removed afterwards.
"""

import os
import uuid
from collections.abc import Iterator

import pytest
import redis

from server.accounts.models import Role
from server.accounts.service import MAX_FAILURES
from server.app import create_app
from server.settings import Settings
from tests.conftest import WebClient
from tests.engines import missing
from tests.factories import TEST_PASSWORD, make_user

DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture
def redis_settings() -> Iterator[Settings]:
    url = os.environ.get("TEST_REDIS_URL", DEFAULT_REDIS_URL)
    client = redis.Redis.from_url(url, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as error:
        client.close()
        missing(f"Redis at {url} ({error.__class__.__name__})")

    namespace = f"vs-test-{uuid.uuid4().hex[:12]}"
    yield Settings.from_env(
        {}, environment="test", redis_url=url, redis_namespace=namespace
    )

    for key in client.scan_iter(match=f"{namespace}*"):
        client.delete(key)
    client.close()


@pytest.fixture
def two_clients(redis_settings, database) -> Iterator[tuple[WebClient, WebClient]]:
    first = create_app(redis_settings, database=database)
    second = create_app(redis_settings, database=database)
    with WebClient(app=first) as a, WebClient(app=second) as b:
        yield a, b


def keys_under(settings: Settings) -> list[bytes]:
    client = redis.Redis.from_url(settings.redis_url)
    try:
        return list(client.scan_iter(match=f"{settings.redis_namespace}*"))
    finally:
        client.close()


def test_a_login_on_one_process_is_honoured_by_the_other(
    two_clients, db, redis_settings
):
    a, b = two_clients
    make_user(db, Role.head, username="shared-head", display_name="测试共享站长")
    db.commit()

    assert "测试共享站长" not in b.get("/").text
    # `next` lands on the home page, whatever page each role's home is.
    login = {"username": "shared-head", "password": TEST_PASSWORD, "next": "/"}
    assert a.submit("/login", login, follow_redirects=False).status_code == 302
    b.cookies.set("session", a.cookies["session"])

    assert "测试共享站长" in b.get("/").text
    assert any(b"sessions" in key for key in keys_under(redis_settings))


def test_failed_logins_are_counted_across_processes(two_clients, db, redis_settings):
    a, b = two_clients
    make_user(db, Role.head, username="throttled-head")
    db.commit()

    for attempt in range(MAX_FAILURES):
        client = (a, b)[attempt % 2]
        wrong = {"username": "throttled-head", "password": "wrong"}
        assert client.submit("/login", wrong).status_code == 400

    right = {"username": "throttled-head", "password": TEST_PASSWORD}
    assert a.submit("/login", right).status_code == 429
    assert b.submit("/login", right).status_code == 429
    assert any(b"login_throttle" in key for key in keys_under(redis_settings))
