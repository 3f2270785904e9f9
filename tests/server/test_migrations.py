"""The migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from apiflask import APIFlask

from server.extensions import db


def test_models_and_migrations_agree(app: APIFlask) -> None:
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert context.get_current_revision() == "0003"
        assert compare_metadata(context, db.metadata) == []
