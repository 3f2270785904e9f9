"""Uploaded images on disk, addressed by content: ``<root>/<aa>/<sha256>`` and its thumbnail
``<root>/<aa>/<sha256>.thumb.webp`` (``aa``: the first two hex digits, so no folder grows
past 256 × a few thousand files).

The root is ``ASSET_DIR``, by default ``VAR_DIR/assets``. Files are written once, atomically
(a temporary file renamed into place), and never change: the same bytes always land in the
same place, so an upload repeated or raced by two workers ends in one file.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from flask import Flask

THUMBNAIL_PX = 400
THUMBNAIL_TYPE = "image/webp"


@dataclass(frozen=True, slots=True)
class AssetStore:
    root: Path

    @classmethod
    def for_app(cls, app: Flask) -> AssetStore:
        configured = app.config.get("ASSET_DIR")
        root = Path(configured) if configured else Path(app.config["VAR_DIR"]) / "assets"
        return cls(root)

    def path(self, sha256: str) -> Path:
        return self.root / sha256[:2] / sha256

    def thumbnail_path(self, sha256: str) -> Path:
        return self.root / sha256[:2] / f"{sha256}.thumb.webp"

    def put(self, sha256: str, data: bytes, thumbnail: bytes) -> None:
        """Store an image and its thumbnail (a no-op for files already there)."""
        _write_once(self.path(sha256), data)
        _write_once(self.thumbnail_path(sha256), thumbnail)

    def has(self, sha256: str) -> bool:
        return self.path(sha256).is_file() and self.thumbnail_path(sha256).is_file()


def _write_once(target: Path, data: bytes) -> None:
    if target.is_file():
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".upload-")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
