"""The PostgreSQL half is skipped off CI with a reason, and fails the run in CI."""

from __future__ import annotations

from pathlib import Path

import pytest

import conftest
from pgcluster import PostgresCluster, PostgresUnavailable


def test_missing_binaries_are_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PG_BINDIR", str(tmp_path))
    with pytest.raises(PostgresUnavailable, match="server binaries not found"):
        PostgresCluster.start()


def test_missing_component_fails_in_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(conftest, "IN_CI", True)
    with pytest.raises(pytest.fail.Exception, match="CI=true and a component is missing: x"):
        conftest.missing_component("x")


def test_missing_component_skips_off_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(conftest, "IN_CI", False)
    with pytest.raises(pytest.skip.Exception, match=r"^x$"):
        conftest.missing_component("x")
