"""Federated sign-in through the school's identity provider (OpenID Connect, Authlib)."""

from __future__ import annotations

from apiflask import APIFlask


def init_app(app: APIFlask) -> None:
    """Register the federated sign-in routes when IDENTITY_BACKEND=oidc."""
