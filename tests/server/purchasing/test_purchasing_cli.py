"""The purchasing commands: ``ledger check``, ``purchasing release-abandoned``,
``licences rollover`` — against the demo data on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import text
from sqlalchemy.orm import Session

from server.cli import main


@pytest.fixture
def cli(database_url: str, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("PUBLIC_BASE_URL", "http://skolehylde.test")
    monkeypatch.delenv("SKOLEHYLDE_ENV", raising=False)
    return CliRunner()


def run(cli: CliRunner, *args: str) -> Result:
    return cli.invoke(main, list(args), catch_exceptions=False)


def test_ledger_check_release_and_rollover(cli: CliRunner, session: Session) -> None:
    assert run(cli, "demo").exit_code == 0
    checked = run(cli, "ledger", "check")
    assert (checked.exit_code, checked.output) == (0, "the ledger balances\n")
    released = run(cli, "purchasing", "release-abandoned", "--older-than", "1h")
    assert (released.exit_code, released.output) == (0, "released: 0\n")
    bad = cli.invoke(main, ["purchasing", "release-abandoned", "--older-than", "soon"])
    assert bad.exit_code == 2
    rolled = run(cli, "licences", "rollover", "990001", "--from-year", "2026/27")
    assert rolled.exit_code == 0, rolled.output
    assert rolled.output == (
        "Bakkeskolen (demo): 2026/27 → 2027/28, 3 classes promoted, 0 graduated,"
        " 1 class licences moved\n"
    )


def test_ledger_check_fails_when_a_cached_balance_drifts(cli: CliRunner, session: Session) -> None:
    run(cli, "demo")
    session.execute(text("UPDATE ledger_accounts SET balance_ore = balance_ore + 1"))
    session.commit()
    checked = cli.invoke(main, ["ledger", "check"])
    assert checked.exit_code == 1
    assert "cached balance" in checked.output
