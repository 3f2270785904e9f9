"""Database schema management: Alembic migrations run from code (``skolehylde db upgrade``)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from flask import Flask

from server.extensions import db

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(app: Flask, revision: str = "heads") -> None:
    """Bring the app's database to ``revision`` (creating it if it is empty), then bring the
    reference data (municipalities) up to date."""
    with app.app_context():
        engine = db.engine
        with engine.begin() as connection:
            config = alembic_config(engine.url.render_as_string(hide_password=False))
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
        if revision in ("head", "heads"):
            from server.organisations.reference import sync_reference_data

            sync_reference_data(db.session())


def current_revision(app: Flask) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with app.app_context(), db.engine.connect() as connection:
        heads = MigrationContext.configure(connection).get_current_heads()
        return ",".join(sorted(heads)) or None
