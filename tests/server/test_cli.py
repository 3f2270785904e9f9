"""The ``skolehylde`` command line against a real database (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from apiflask import APIFlask
from click.testing import CliRunner, Result
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from learning_goals.case import validate_case_package
from server.cli import main
from server.goals.models import AssociationRow, FrameworkRow, GoalRow

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "case"
SMARTLEVEL = FIXTURES / "opensalt_smartlevel-test.json"
WHAT_STANDARDS = FIXTURES / "opensalt_what-standards-could-be_20c5134f.json"


@pytest.fixture
def cli(database_url: str, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("PUBLIC_BASE_URL", "http://skolehylde.test")
    monkeypatch.delenv("SKOLEHYLDE_ENV", raising=False)
    return CliRunner()


def run(cli: CliRunner, *args: str) -> Result:
    return cli.invoke(main, list(args), catch_exceptions=False)


def counts(session: Session) -> tuple[int, int, int]:
    return tuple(  # type: ignore[return-value]
        session.scalar(select(func.count()).select_from(t)) or 0
        for t in (FrameworkRow, GoalRow, AssociationRow)
    )


def test_import_prints_counts_and_warnings(cli: CliRunner, session: Session) -> None:
    result = run(cli, "goals", "import-case", str(WHAT_STANDARDS))
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("created framework ")
    assert "  items: 16  associations: 39" in lines
    assert "  warning: 21 associations point outside the package (kept as external references)" in (
        lines
    )
    assert counts(session) == (1, 16, 39)


def test_import_again_updates_in_place(cli: CliRunner, session: Session) -> None:
    run(cli, "goals", "import-case", str(SMARTLEVEL))
    ids = set(session.scalars(select(GoalRow.id)))
    result = run(cli, "goals", "import-case", str(SMARTLEVEL))
    assert result.output.startswith("updated framework ")
    assert "  goals added: 0  updated: 14  removed: 0" in result.output.splitlines()
    session.expire_all()
    assert set(session.scalars(select(GoalRow.id))) == ids
    assert counts(session) == (1, 14, 14)


def test_broken_file_names_item_and_field_and_imports_nothing(
    cli: CliRunner, session: Session, tmp_path: Path
) -> None:
    doc = json.loads(SMARTLEVEL.read_text())
    del doc["CFItems"][3]["fullStatement"]
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps(doc))
    result = run(cli, "goals", "import-case", str(broken))
    assert result.exit_code == 1
    assert "CFItems[3] (identifier 00000000-0000-0000-0000-000000000004) fullStatement" in (
        result.output
    )
    assert "nothing was imported" in result.output
    assert counts(session) == (0, 0, 0)


def test_conflicting_ids_roll_back_the_whole_import(
    cli: CliRunner, session: Session, tmp_path: Path
) -> None:
    """An item that already belongs to another framework stops the import with nothing stored."""
    run(cli, "goals", "import-case", str(SMARTLEVEL))
    doc = json.loads(SMARTLEVEL.read_text())
    doc["CFDocument"]["identifier"] = "d0000000-0000-0000-0000-0000000000ff"
    other = tmp_path / "other.json"
    other.write_text(json.dumps(doc))
    result = run(cli, "goals", "import-case", str(other))
    assert result.exit_code == 1
    assert "already belongs to another framework" in result.output
    session.expire_all()
    assert counts(session) == (1, 14, 14)


def test_not_json_is_a_clear_error(cli: CliRunner, session: Session, tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    result = run(cli, "goals", "import-case", str(bad))
    assert result.exit_code == 1
    assert result.output.startswith("error: ")
    assert counts(session) == (0, 0, 0)


def test_export_writes_a_valid_case_package(
    cli: CliRunner, session: Session, tmp_path: Path
) -> None:
    run(cli, "goals", "import-case", str(WHAT_STANDARDS))
    document_id = str(session.scalar(select(FrameworkRow.id)))
    out = tmp_path / "out.json"
    result = run(cli, "goals", "export-case", document_id, "-o", str(out))
    assert result.exit_code == 0, result.output
    exported = json.loads(out.read_text(encoding="utf-8"))
    assert validate_case_package(exported) == []
    assert len(exported["CFItems"]) == 16
    assert exported["CFDocument"]["uri"] == (
        f"http://skolehylde.test/ims/case/v1p0/CFDocuments/{document_id}"
    )


def test_export_of_unknown_document(cli: CliRunner) -> None:
    result = run(cli, "goals", "export-case", "00000000-0000-0000-0000-000000000000")
    assert result.exit_code == 1
    assert "no framework with id" in result.output


def test_demo_loads_faelles_maal_and_is_repeatable(cli: CliRunner, session: Session) -> None:
    first = run(cli, "demo")
    assert first.exit_code == 0, first.output
    assert first.output.splitlines()[0].startswith("loaded Fælles Mål – ")
    before = counts(session)
    again = run(cli, "demo")
    assert again.output.splitlines()[0].startswith("refreshed Fælles Mål – ")
    session.expire_all()
    assert counts(session) == before
    assert before[0] == 2


def test_db_upgrade_on_an_empty_sqlite_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'fresh.db'}")
    result = CliRunner().invoke(main, ["db", "upgrade"], catch_exceptions=False)
    assert result.exit_code == 0
    from alembic.script import ScriptDirectory

    from server.database import alembic_config

    heads = ScriptDirectory.from_config(alembic_config("sqlite://")).get_heads()
    assert result.output.strip().endswith(f"database at {','.join(sorted(heads))}")


def test_demo_refuses_production(cli: CliRunner, app: APIFlask, session: Session) -> None:
    # The CLI runs inside the test app's context here, so its config is the one to change.
    app.config["SKOLEHYLDE_ENV"] = "production"
    result = run(cli, "demo")
    assert result.exit_code == 1, result.output
    assert "not in production" in result.output
    assert counts(session) == (0, 0, 0)


def test_demo_accounts_can_sign_in(cli: CliRunner, session: Session) -> None:
    from server.demo import DEMO_PASSWORD
    from server.identity.passwords import SignInResult, authenticate

    run(cli, "demo")
    for username in ("laerer", "elev", "indkoeber", "admin"):
        assert authenticate(session, username, DEMO_PASSWORD).result is SignInResult.OK
