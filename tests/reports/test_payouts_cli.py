"""``skolehylde payouts statements --month``: the publishers' statements from the database."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from report_world import build
from sqlalchemy.orm import Session

from server.cli import main


@pytest.fixture
def cli(database_url: str, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.delenv("SKOLEHYLDE_ENV", raising=False)
    monkeypatch.setenv("PLATFORM_FEE_BPS", "1000")
    return CliRunner()


def test_statements_for_september(cli: CliRunner, session: Session) -> None:
    world = build(session)

    result = cli.invoke(main, ["payouts", "statements", "--month", "2026-09"])

    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == [
        {
            "publisher_id": str(world.fjord.id), "publisher": "Fjordforlaget", "month": "2026-09",
            "sales_ore": 5_499_00, "refunds_ore": 1_500_00, "gross_ore": 3_999_00,
            "fee_bps": 1000, "fee_ore": 399_90, "net_ore": 3_599_10, "lines": 4,
        }
    ]  # fmt: skip


def test_bad_month_is_a_usage_error(cli: CliRunner) -> None:
    result = cli.invoke(main, ["payouts", "statements", "--month", "september"])

    assert result.exit_code == 2
    assert "YYYY-MM" in result.output
