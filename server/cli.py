"""The ``skolehylde`` command line."""

from __future__ import annotations

import gc
import json
import sys
import uuid
from pathlib import Path
from typing import Any

import click
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext

from server import database
from server.app import create_app
from server.extensions import db


def cli_app() -> Any:
    """The app for one command: its connections close when the command's app context ends."""
    app = create_app()

    @app.teardown_appcontext
    def _release(_error: BaseException | None) -> None:
        db.session.remove()
        db.engine.dispose()

    return app


@click.group(cls=FlaskGroup, create_app=cli_app, add_default_commands=True)
def main() -> None:
    """Skolehylde: digital learning materials for Danish public schools."""


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=2, show_default=True, type=int)
@click.option("--threads", default=4, show_default=True, type=int)
def serve(host: str, port: int, workers: int, threads: int) -> None:
    """Serve the marketplace with gunicorn (the production WSGI server)."""
    from gunicorn.app.base import BaseApplication

    class Server(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            self.cfg.set("bind", f"{host}:{port}")
            self.cfg.set("workers", workers)
            self.cfg.set("threads", threads)
            self.cfg.set("worker_class", "gthread")
            self.cfg.set("accesslog", "-")
            self.cfg.set("preload_app", True)

        def load(self) -> Any:
            app = create_app()
            # The app's long-lived objects never become garbage: keep the collector's full
            # passes off them (they were the p99 of every request in bench/goals.py).
            gc.freeze()
            return app

    base = f"http://{host}:{port}"
    click.echo(
        "\nSkolehylde is starting. Open:\n"
        f"  {base}/api/docs                      the API, to try in the browser\n"
        f"  {base}/api/v1/frameworks             Fælles Mål frameworks (JSON)\n"
        f"  {base}/api/v1/goals?q=læse            goal search in Danish\n"
        f"  {base}/ims/case/v1p0/CFDocuments     the CASE provider\n"
        f"  {base}/ready                         readiness\n"
    )
    Server().run()


@main.command()
@with_appcontext
def demo() -> None:
    """Load the demo data (Fælles Mål, demo schools and accounts). Safe to run again."""
    from server.demo import DemoRefused, load_demo

    try:
        for line in load_demo(db.session(), environment=current_app.config["SKOLEHYLDE_ENV"]):
            click.echo(line)
    except DemoRefused as refused:
        click.echo(f"error: {refused}", err=True)
        sys.exit(1)


@main.group(name="db")
def db_group() -> None:
    """Database schema."""


@db_group.command("upgrade")
@click.argument("revision", default="head")
def db_upgrade(revision: str) -> None:
    """Migrate the database to REVISION (default: the newest)."""
    app = cli_app()
    database.upgrade(app, revision)
    click.echo(f"database at {database.current_revision(app)}")


@main.group()
def goals() -> None:
    """Learning-goal frameworks (CASE import and export)."""


@goals.command("import-case")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def import_case(file: Path) -> None:
    """Import a CASE 1.0/1.1 package (JSON). Importing it again updates it in place."""
    from learning_goals.case import read_case_package
    from learning_goals.model import GoalFrameworkError
    from server.goals.operations import import_package

    try:
        package = read_case_package(file.read_bytes())
        report = import_package(db.session(), package)
    except GoalFrameworkError as error:
        click.echo(f"error: {error}", err=True)
        click.echo("nothing was imported", err=True)
        sys.exit(1)
    verb = "created" if report.created else "updated"
    click.echo(f"{verb} framework {report.framework_id}: {report.title}")
    click.echo(f"  items: {report.items}  associations: {report.associations}")
    click.echo(
        f"  goals added: {report.goals_added}  updated: {report.goals_updated}"
        f"  removed: {report.goals_removed}"
    )
    for warning in report.warnings:
        click.echo(f"  warning: {warning}")


@goals.command("export-case")
@click.argument("document_id", type=click.UUID)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None)
@with_appcontext
def export_case(document_id: uuid.UUID, output: Path | None) -> None:
    """Export a framework as a CASE 1.1 package (validated against the 1EdTech schema)."""
    from learning_goals.case import package_to_case
    from server.goals.queries import GoalNotFound, load_package

    try:
        package = load_package(db.session(), document_id)
    except GoalNotFound:
        click.echo(f"error: no framework with id {document_id}", err=True)
        sys.exit(1)
    text = json.dumps(
        package_to_case(package, current_app.config["PUBLIC_BASE_URL"]),
        ensure_ascii=False,
        indent=2,
    )
    if output is None:
        click.echo(text)
    else:
        output.write_text(text + "\n", encoding="utf-8")
        click.echo(f"wrote {output} ({len(package.goals)} items)", err=True)
