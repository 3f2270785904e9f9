"""The ``skolehylde`` command line."""

from __future__ import annotations

import gc
import json
import sys
import uuid
from datetime import timedelta
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
@click.option(
    "--demo-tool/--no-demo-tool",
    default=None,
    help="Also serve the demo LTI tool on 127.0.0.1:8001 (default: yes, except in production).",
)
def serve(host: str, port: int, workers: int, threads: int, demo_tool: bool | None) -> None:
    """Serve the marketplace with gunicorn (the production WSGI server)."""
    from gunicorn.app.base import BaseApplication

    if demo_tool is None:
        from server.config import settings_from_env

        demo_tool = settings_from_env()["SKOLEHYLDE_ENV"] != "production"
    if demo_tool:
        _start_demo_tool()

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
        f"  {base}/api/v1/products?q=brøkker      product search (typos welcome)\n"
        f"  {base}/ims/case/v1p0/CFDocuments     the CASE provider\n"
        f"  {base}/ready                         readiness\n"
        + (
            "  http://127.0.0.1:8001/lti/login       the demo LTI tool (sign in as elev and"
            " open a Lærkereden material)\n"
            if demo_tool
            else ""
        )
    )
    Server().run()


def _start_demo_tool() -> None:
    """The demo LTI tool as a child process; it ends with the server."""
    import atexit
    import subprocess

    child = subprocess.Popen([sys.executable, "-m", "server.demo_tool"])
    atexit.register(child.terminate)


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
@click.argument("revision", default="heads")
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


@main.group()
def catalogue() -> None:
    """The product catalogue (bulk import of listings)."""


@catalogue.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--publisher", "cvr", default=None, help="CVR of the publisher of every line.")
@click.option("--dry-run", is_flag=True, help="Check and report; store nothing.")
@with_appcontext
def catalogue_import(file: Path, cvr: str | None, dry_run: bool) -> None:
    """Import products from FILE.jsonl (one product per line). ALL OR NOTHING.

    Every line is checked; if any line is bad, nothing is stored and each problem is
    printed with its line and field. Importing the same file again updates the products in
    place (key: publisher + external_id). Without --publisher each line names its
    publisher_cvr. The command acts as the operator (a platform admin): lines may say
    "status": "published".
    """
    from sqlalchemy import select

    from server.catalogue.importer import ImportRejected, import_catalogue
    from server.organisations.models import PublisherRow

    session = db.session()
    publisher = None
    if cvr is not None:
        publisher = session.scalar(select(PublisherRow).where(PublisherRow.cvr == cvr))
        if publisher is None:
            click.echo(f"error: no publisher has CVR {cvr}", err=True)
            sys.exit(1)
    try:
        report = import_catalogue(
            session,
            file.read_bytes(),
            publisher=publisher,
            principal=None,
            may_publish=True,
            dry_run=dry_run,
        )
    except ImportRejected as rejected:
        for problem in rejected.report.problems:
            where = f"line {problem.line}" if problem.line else "file"
            click.echo(f"{file.name}: {where}: {problem.field}: {problem.message}", err=True)
        click.echo(
            f"{len(rejected.report.problems)} problem(s): nothing was imported (all or nothing)",
            err=True,
        )
        sys.exit(1)
    for line in report.lines:
        pending = " (revision pending review)" if line.pending_revision else ""
        click.echo(
            f"line {line.line}: {line.outcome} {line.external_id} → {line.product_id}"
            f" [{line.status}]{pending}"
        )
    counts = ", ".join(f"{report.count(k)} {k}" for k in ("created", "updated", "unchanged"))
    if dry_run:
        click.echo(f"dry run: {counts}; nothing was stored")
    else:
        click.echo(f"imported {len(report.lines)} product(s): {counts}")


@main.group()
def payouts() -> None:
    """Publisher payouts: monthly statements (gross, platform fee, net)."""


@payouts.command("statements")
@click.option("--month", required=True, help="YYYY-MM (Copenhagen calendar month)")
@with_appcontext
def payouts_statements(month: str) -> None:
    """Print every publisher's statement for MONTH as JSON (amounts in øre, excl. VAT)."""
    from server.organisations.models import PublisherRow
    from server.payments.payouts import Month, statements_for_month
    from server.reports.queries import sale_lines

    try:
        parsed = Month.parse(month)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--month") from error
    session = db.session()
    fee_bps = int(current_app.config["PLATFORM_FEE_BPS"])
    statements = statements_for_month(parsed, sale_lines(session, parsed), fee_bps=fee_bps)
    out = []
    for statement in statements:
        publisher = session.get(PublisherRow, statement.publisher_id)
        out.append(
            {
                "publisher_id": str(statement.publisher_id),
                "publisher": publisher.name if publisher else None,
                "month": str(statement.month),
                "sales_ore": statement.sales_ore,
                "refunds_ore": statement.refunds_ore,
                "gross_ore": statement.gross_ore,
                "fee_bps": statement.fee_bps,
                "fee_ore": statement.fee_ore,
                "net_ore": statement.net_ore,
                "lines": len(statement.lines),
            }
        )
    click.echo(json.dumps(out, ensure_ascii=False, indent=2))


@main.group()
def search() -> None:
    """The product search index (rebuild, drift check, outbox)."""


@search.command("reindex")
@click.option("--batch", default=1000, show_default=True, type=click.IntRange(1, 10_000))
@with_appcontext
def search_reindex(batch: int) -> None:
    """Rebuild the whole index from the database (every published product); clears the outbox."""
    from server.search.interfaces import SearchUnavailable
    from server.search.service import reindex, search_service

    service = search_service()
    try:
        report = reindex(db.engine, service.index, service.documents_for, batch=batch)
    except SearchUnavailable as error:
        click.echo(f"error: the search index is unavailable: {error}", err=True)
        sys.exit(1)
    click.echo(
        f"indexed {report.documents} published products in {report.seconds:.1f} s"
        f" ({service.index.backend}); outbox rows cleared: {report.outbox_rows_cleared}"
    )


@search.command("check")
@with_appcontext
def search_check() -> None:
    """Compare the index with the database: missing, stale, extra. Exit 1 if they differ."""
    from server.search.interfaces import SearchUnavailable
    from server.search.service import check_drift, search_service

    try:
        report = check_drift(db.session(), search_service().index)
    except SearchUnavailable as error:
        click.echo(f"error: the search index is unavailable: {error}", err=True)
        sys.exit(1)
    click.echo(f"published: {report.published}  indexed: {report.indexed}")
    for name in ("missing", "stale", "extra"):
        ids: tuple[str, ...] = getattr(report, name)
        shown = ", ".join(ids[:20]) + (" …" if len(ids) > 20 else "")
        click.echo(f"{name}: {len(ids)}" + (f"  {shown}" if ids else ""))
    click.echo(f"outbox: {report.backlog.describe()}")
    if report.diverged:
        click.echo(
            "the index differs from the database: `skolehylde search sync` writes the outbox,"
            " `skolehylde search reindex` rebuilds",
            err=True,
        )
        sys.exit(1)
    click.echo("index and database agree")


@search.command("sync")
@with_appcontext
def search_sync() -> None:
    """Write the pending outbox rows to the index once. Exit 1 if the index is unavailable."""
    from server.search.service import search_service

    report = search_service().flush_pending(wait=True)
    click.echo(
        f"outbox rows: {report.rows}  upserted: {report.upserted}  deleted: {report.deleted}"
        f"  still pending: {report.pending}"
    )
    for product_id in report.invalid:
        click.echo(f"  refused by the index (fix the product): {product_id}", err=True)
    if report.error:
        click.echo(f"error: the search index is unavailable: {report.error}", err=True)
        sys.exit(1)


@main.group()
def ledger() -> None:
    """The budget ledger (double-entry, append-only)."""


@ledger.command("check")
@with_appcontext
def ledger_check() -> None:
    """Cached balances = sums of entries, transactions sum to zero. Exit 1 if not."""
    from server.ledger.postings import check_ledger

    problems = check_ledger(db.session())
    for problem in problems:
        click.echo(problem, err=True)
    if problems:
        sys.exit(1)
    click.echo("the ledger balances")


def _duration(text: str) -> timedelta:
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    value, unit = text[:-1], text[-1:]
    if unit not in units or not value.isascii() or not value.isdigit():
        raise click.BadParameter("a whole number and s, m, h or d (e.g. 24h)")
    return timedelta(seconds=int(value) * units[unit])


@main.group()
def purchasing() -> None:
    """Purchase requests and orders."""


@purchasing.command("release-abandoned")
@click.option("--older-than", default="24h", show_default=True, help="e.g. 30m, 24h, 2d")
@with_appcontext
def purchasing_release_abandoned(older_than: str) -> None:
    """Release the reservations of card orders whose payment never came."""
    from server.purchasing.operations import release_abandoned

    count = release_abandoned(
        db.session(), current_app.extensions.get("payments"), older_than=_duration(older_than)
    )
    click.echo(f"released: {count}")


@main.group()
def licences() -> None:
    """Licences."""


@licences.command("rollover")
@click.argument("institution_number")
@click.option("--from-year", required=True, help="the school's current year, e.g. 2026/27")
@with_appcontext
def licences_rollover(institution_number: str, from_year: str) -> None:
    """Roll a school into the next school year; its class licences move with their classes."""
    from sqlalchemy import select

    from server.identity.principal import Principal, Role
    from server.licensing.operations import rollover_licences
    from server.organisations.models import SchoolRow
    from server.organisations.operations import rollover_school_year

    session = db.session()
    school = session.scalar(
        select(SchoolRow).where(SchoolRow.institution_number == institution_number)
    )
    if school is None:
        click.echo(f"error: no school with institution number {institution_number}", err=True)
        sys.exit(1)
    operator = Principal(user_id=None, roles=(Role("platform_admin"),), client_id="cli")
    report = rollover_school_year(session, operator, school.id, from_school_year=from_year)
    moved = rollover_licences(session, school.id)
    click.echo(
        f"{school.name}: {report.from_year} → {report.to_year}, {len(report.promoted)} classes"
        f" promoted, {len(report.graduated)} graduated, {moved} class licences moved"
    )
