"""A PostgreSQL-only app for the tests about concurrency and long random runs."""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator

import pytest
from apiflask import APIFlask

from pgcluster import PostgresCluster
from server import database
from server.app import create_app
from server.extensions import db

_numbers = itertools.count()


@pytest.fixture
def pg_app(postgres_cluster: PostgresCluster) -> Iterator[APIFlask]:
    """The app on a fresh, migrated PostgreSQL database of its own."""
    name = f"purchasing_{os.getpid()}_{next(_numbers)}"
    postgres_cluster.execute(f"CREATE DATABASE {name}")
    app = create_app(
        {
            "TESTING": True,
            "SKOLEHYLDE_ENV": "test",
            "SECRET_KEY": "test-secret-not-for-production",
            "SQLALCHEMY_DATABASE_URI": postgres_cluster.url(name),
            "PUBLIC_BASE_URL": "http://skolehylde.test",
        }
    )
    database.upgrade(app)
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()
    postgres_cluster.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
