"""Fixtures shared by the whole suite.

Every test that uses ``app`` runs twice: on SQLite and on PostgreSQL (a throwaway cluster
started once per session). Each test gets a fresh database copied from a migrated template,
so migrations are exercised and tests cannot see each other's rows. Off CI, a machine without
PostgreSQL skips the PostgreSQL half with the reason; with ``CI=true`` that is a failure.
"""

from __future__ import annotations

import itertools
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from apiflask import APIFlask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from pgcluster import PostgresCluster, PostgresUnavailable
from server import database
from server.app import create_app
from server.extensions import db

IN_CI = os.environ.get("CI", "").lower() == "true"
# Development secrets the app keeps under var/ go to a scratch folder, not the work tree.
os.environ["SKOLEHYLDE_VAR_DIR"] = tempfile.mkdtemp(prefix="skolehylde-test-var-")
REPO = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
BASE_URL = "http://skolehylde.test"
_counter = itertools.count()


def pytest_report_header(config: pytest.Config) -> list[str]:
    if os.environ.get("MEILISEARCH_URL"):
        return [f"search contract: tantivy and Meilisearch at {os.environ['MEILISEARCH_URL']}"]
    return [
        "search contract: tantivy only (MEILISEARCH_URL not set; no Meilisearch server can be"
        " obtained on this machine, so the Meilisearch adapter runs its unit tests only)"
    ]


def missing_component(reason: str) -> None:
    """Skip on a developer's machine; fail in CI, where every component must be there."""
    if IN_CI:
        pytest.fail(f"CI=true and a component is missing: {reason}", pytrace=False)
    pytest.skip(reason)


def test_config(database_url: str) -> dict[str, object]:
    return {
        "TESTING": True,
        "SKOLEHYLDE_ENV": "test",
        "SECRET_KEY": "test-secret-not-for-production",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "PUBLIC_BASE_URL": BASE_URL,
    }


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[PostgresCluster]:
    try:
        cluster = PostgresCluster.start()
    except PostgresUnavailable as error:
        missing_component(str(error))
    yield cluster
    cluster.stop()


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="session")
def template_database(
    database_kind: str, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> str:
    """A migrated, empty database to copy per test: a file (SQLite) or a template (PostgreSQL)."""
    if database_kind == "sqlite":
        path = tmp_path_factory.mktemp("template") / "template.db"
        url = f"sqlite:///{path}"
    else:
        cluster: PostgresCluster = request.getfixturevalue("postgres_cluster")
        cluster.execute("CREATE DATABASE skolehylde_template")
        url = cluster.url("skolehylde_template")
    app = create_app(test_config(url))
    database.upgrade(app)
    with app.app_context():
        db.engine.dispose()
    return str(path) if database_kind == "sqlite" else "skolehylde_template"


@pytest.fixture
def database_url(
    database_kind: str, template_database: str, request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[str]:
    if database_kind == "sqlite":
        target = tmp_path / "test.db"
        shutil.copyfile(template_database, target)
        yield f"sqlite:///{target}"
        return
    cluster: PostgresCluster = request.getfixturevalue("postgres_cluster")
    name = f"test_{os.getpid()}_{next(_counter)}"
    cluster.execute(f"CREATE DATABASE {name} TEMPLATE {template_database}")
    yield cluster.url(name)
    cluster.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture
def app(database_url: str) -> Iterator[APIFlask]:
    app = create_app(test_config(database_url))
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app: APIFlask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def session(app: APIFlask) -> Session:
    return db.session  # type: ignore[return-value]


@pytest.fixture
def token_for(session: Session) -> Callable[[Any], str]:
    """A real access token (our OAuth code, first-party app client) for a user row."""
    from server.oauth import ensure_default_clients
    from server.oauth.tokens import issue_access_token

    ensure_default_clients(session)
    return lambda user: issue_access_token(session, user.id)


@pytest.fixture(scope="session")
def localstripe() -> Iterator[Any]:
    """localstripe in its own process on 127.0.0.1 and a free port (see localstripeserver.py).

    ``.url``, ``.api_key``, ``.webhook_secret``, ``.register_webhook(url)``, ``.events()``.
    """
    from localstripeserver import LocalStripe, LocalStripeUnavailable

    try:
        server = LocalStripe.start()
    except LocalStripeUnavailable as error:
        missing_component(str(error))
    yield server
    server.stop()
