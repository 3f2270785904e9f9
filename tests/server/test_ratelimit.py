"""Rate limits count per login name, user or client — not per IP — and are shared via Redis."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from apiflask import APIFlask
from flask.testing import FlaskClient

from conftest import missing_component
from conftest import test_config as app_config
from redisserver import RedisServer, RedisUnavailable
from server.app import create_app
from server.extensions import db
from server.ratelimit import limiter, login_key


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    try:
        server = RedisServer.start()
    except RedisUnavailable as error:
        missing_component(str(error))
    yield server
    server.stop()


def limited_app(database_url: str, storage: str = "memory://") -> APIFlask:
    """The real app, plus one sign-in-shaped route limited like the real sign-in endpoints."""
    app = create_app({**app_config(database_url), "RATELIMIT_STORAGE_URI": storage})

    @app.post("/_limited/sign-in")
    @app.doc(hide=True)
    @limiter.limit("3 per minute", key_func=login_key)
    def _sign_in() -> dict[str, bool]:
        return {"ok": True}

    return app


def attempt(client: FlaskClient, username: str) -> int:
    return client.post("/_limited/sign-in", data={"username": username}).status_code


def test_limit_counts_per_login_name_not_per_address(database_url: str) -> None:
    app = limited_app(database_url)
    client = app.test_client()  # every request comes from the same address, like a school
    assert [attempt(client, "anna") for _ in range(4)] == [200, 200, 200, 429]
    assert attempt(client, "bent") == 200
    assert attempt(client, "ANNA ") == 429  # the same login name, however typed
    response = client.post("/_limited/sign-in", data={"username": "anna"})
    body = response.get_json()
    assert body["error"]["code"] == "too_many_requests"
    assert response.headers["Retry-After"]
    with app.app_context():
        db.engine.dispose()


def test_workers_share_counts_through_redis(database_url: str, redis_server: RedisServer) -> None:
    """Two app instances (two gunicorn workers) see one count when REDIS_URL is set."""
    first = limited_app(database_url, redis_server.url).test_client()
    second = limited_app(database_url, redis_server.url).test_client()
    name = f"carl-{uuid.uuid4()}"  # the Redis server outlives one test
    assert [attempt(first, name), attempt(second, name), attempt(first, name)] == [
        200,
        200,
        200,
    ]
    assert attempt(second, name) == 429


def test_redis_url_selects_redis_storage() -> None:
    from server.config import settings_from_env

    assert (
        settings_from_env({"REDIS_URL": "redis://127.0.0.1:6390/0"})["RATELIMIT_STORAGE_URI"]
        == "redis://127.0.0.1:6390/0"
    )
    assert settings_from_env({})["RATELIMIT_STORAGE_URI"] == "inprocess://"
