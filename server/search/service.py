"""The search index inside the app: adapter from config, outbox, product search endpoint."""

from __future__ import annotations

from apiflask import APIFlask


def init_app(app: APIFlask) -> None:
    """Build the configured search index and register the search endpoints."""
