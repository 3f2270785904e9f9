"""Regenerate the newest Alembic migration from the models (while it has not shipped).

    .venv/bin/python tools/regen_migration.py 0002 "identity and organisations"

Deletes ``server/migrations/versions/<REV>_*.py``, migrates a scratch SQLite database to the
revision before it, and autogenerates ``<REV>`` again from the current models.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from alembic import command

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from server.database import MIGRATIONS, alembic_config


def main(rev: str, message: str) -> None:
    for old in (MIGRATIONS / "versions").glob(f"{rev}_*.py"):
        old.unlink()
    with tempfile.TemporaryDirectory() as scratch:
        config = alembic_config(f"sqlite:///{Path(scratch) / 'scratch.db'}")
        command.upgrade(config, "head")
        command.revision(config, message=message, autogenerate=True, rev_id=rev)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
