"""Demo data for ``make run``: everything a newcomer needs to see the marketplace work."""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy.orm import Session

from learning_goals.faelles_maal import load_shipped_frameworks
from server.goals.operations import import_package


def load_demo(session: Session) -> Iterator[str]:
    """Load (or refresh in place) the demo data, yielding one line per step."""
    for package in load_shipped_frameworks():
        report = import_package(session, package)
        yield (
            f"{'loaded' if report.created else 'refreshed'} {report.title}:"
            f" {report.items} goals, {len(package.framework.gaps)} known gaps"
        )
