"""Alembic environment: runs against the app's database (or a connection given by the caller)."""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

# Register every table on the metadata.
import server.budgets.models
import server.catalogue.models
import server.goals.models
import server.identity.models
import server.launch.models
import server.ledger.models
import server.licensing.models
import server.oauth.models
import server.organisations.models
import server.purchasing.models
import server.search.models  # noqa: F401
from server.extensions import db

config = context.config
target_metadata = db.metadata


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    from sqlalchemy import create_engine

    url = config.get_main_option("sqlalchemy.url")
    if not url:
        raise SystemExit("no database URL; run `skolehylde db upgrade`")
    engine = create_engine(url)
    with engine.connect() as conn:
        _run(conn)
    engine.dispose()


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,  # SQLite needs batch mode for ALTER TABLE
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("offline migrations are not supported; run `skolehylde db upgrade`")
run_migrations_online()
