"""HTTP API for the catalogue (publisher listings, review workflow, reviews)."""

from __future__ import annotations

from apiflask import APIFlask


def init_app(app: APIFlask) -> None:
    """Register the catalogue endpoints."""
