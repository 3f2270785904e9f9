"""The offline cache: JSON files under the app's data folder.

What a pupil or teacher needs without a network is small and read whole: the goal
frameworks and their trees, my materials and assignments, the last products seen. One JSON
file per entry, written atomically (temp file + rename), so a crash mid-write never leaves a
broken cache; a broken file reads as missing.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from pathlib import Path
from typing import Any

RECENT_LIMIT = 50
_SAFE = re.compile(r"[^A-Za-z0-9_.-]")


class OfflineCache:
    def __init__(self, folder: str | os.PathLike[str]) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)

    def _path(self, key: str) -> Path:
        return self.folder / (_SAFE.sub("_", key) + ".json")

    def get(self, key: str) -> Any | None:
        try:
            return json.loads(self._path(key).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None

    def put(self, key: str, value: Any) -> None:
        target = self._path(key)
        handle, temp = tempfile.mkstemp(dir=self.folder, prefix=".tmp-", suffix=".json")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                json.dump(value, out, ensure_ascii=False, default=str)
            os.replace(temp, target)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise

    def remove(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    # -- recently seen products (most recent first, at most RECENT_LIMIT) ---------------------

    def remember_product(self, product: dict[str, Any]) -> None:
        product_id = str(product["id"])
        self.put(f"product-{product_id}", product)
        recent = [pid for pid in self.recent_product_ids() if pid != product_id]
        recent.insert(0, product_id)
        for dropped in recent[RECENT_LIMIT:]:
            self.remove(f"product-{dropped}")
        self.put("recent-products", recent[:RECENT_LIMIT])

    def recent_product_ids(self) -> list[str]:
        value = self.get("recent-products")
        return [str(v) for v in value] if isinstance(value, list) else []

    def product(self, product_id: str) -> dict[str, Any] | None:
        value = self.get(f"product-{product_id}")
        return value if isinstance(value, dict) else None

    def clear_personal(self) -> None:
        """On sign-out: forget what belongs to the user (goal trees are public and stay)."""
        for key in ("materials", "assignments", "me"):
            self.remove(key)
