"""OAuth 2 / OpenID Connect authorization server (Authlib), sign-in pages and bearer tokens.

- ``init_app(app)``: keys, the authorization server, its endpoints, the bearer-token loader;
- ``register_client`` / ``ensure_default_clients``: clients for demo data and tests;
- ``auth_required`` / ``bearer_doc``: how API views require a signed-in caller.
"""

from __future__ import annotations

from flask import Flask

from server.oauth.models import (
    APP_CLIENT_ID,
    BADGE_GRANT,
    ensure_default_clients,
    register_client,
)
from server.oauth.resource import auth_required, bearer_doc

__all__ = [
    "APP_CLIENT_ID",
    "BADGE_GRANT",
    "auth_required",
    "bearer_doc",
    "ensure_default_clients",
    "init_app",
    "register_client",
]


def init_app(app: Flask) -> None:
    """Register the authorization server, its endpoints and the bearer-token loader."""
    from server.oauth import keys, resource, server, views

    app.config.setdefault("SESSION_COOKIE_SAMESITE", "Lax")
    app.config.setdefault(
        "SESSION_COOKIE_SECURE", str(app.config.get("PUBLIC_BASE_URL", "")).startswith("https:")
    )
    keys.init_app(app)
    server.init_app(app)
    resource.init_app(app)
    app.register_blueprint(views.bp)
