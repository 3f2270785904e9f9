"""The migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from apiflask import APIFlask

from server import database
from server.extensions import db


def test_models_and_migrations_agree(app: APIFlask) -> None:
    script = ScriptDirectory.from_config(database.alembic_config("sqlite://"))
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert set(context.get_current_heads()) == set(script.get_heads())
        assert compare_metadata(context, db.metadata) == []
