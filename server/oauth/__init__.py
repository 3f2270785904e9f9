"""OAuth 2 / OpenID Connect authorization server (Authlib)."""

from __future__ import annotations

from apiflask import APIFlask


def init_app(app: APIFlask) -> None:
    """Register the authorization server, its endpoints and the bearer-token loader."""
