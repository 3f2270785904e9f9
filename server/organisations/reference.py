"""Reference data every database holds: the 98 municipalities with their kommunekoder."""

from __future__ import annotations

import csv
from importlib.resources import files

from sqlalchemy.orm import Session

from server.organisations.models import MunicipalityRow


def municipalities() -> list[dict[str, str]]:
    text = (files("server.organisations") / "data" / "kommuner.csv").read_text(encoding="utf-8")
    return [
        {"code": row["kommunekode"], "name": row["navn"], "region": row["region"]}
        for row in csv.DictReader(text.splitlines())
    ]


def sync_reference_data(session: Session) -> int:
    """Insert or update the municipalities; return how many there are. Commits."""
    rows = municipalities()
    for row in rows:
        existing = session.get(MunicipalityRow, row["code"])
        if existing is None:
            session.add(MunicipalityRow(**row))
        else:
            existing.name, existing.region = row["name"], row["region"]
    session.commit()
    return len(rows)
