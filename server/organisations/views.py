"""HTTP API for organisations: schools, classes, rosters, badges, users, publishers."""

from __future__ import annotations

from apiflask import APIFlask


def init_app(app: APIFlask) -> None:
    """Register the organisation endpoints."""
