"""Settings from the environment, with embedded defaults that need no setup.

Every setting has a default that serves the whole marketplace on one machine (SQLite under
``var/``). Secrets come from the environment only; in production a missing secret refuses
to start instead of falling back to a development value.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any


class ConfigurationError(RuntimeError):
    """The configuration cannot serve safely (raised at start-up, never per request)."""


def var_dir(environ: Mapping[str, str]) -> Path:
    return Path(environ.get("SKOLEHYLDE_VAR_DIR", "var")).resolve()


def settings_from_env(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Flask config keys read from ``environ`` (``os.environ`` by default)."""
    env = os.environ if environ is None else environ
    mode = env.get("SKOLEHYLDE_ENV", "development")
    if mode not in {"development", "test", "production"}:
        raise ConfigurationError(
            f"SKOLEHYLDE_ENV must be development, test or production, not {mode!r}"
        )
    secret = env.get("SECRET_KEY")
    if not secret:
        if mode == "production":
            raise ConfigurationError("SECRET_KEY must be set when SKOLEHYLDE_ENV=production")
        secret = secrets.token_urlsafe(32)  # development: a fresh key per process is enough
    database_url = env.get("DATABASE_URL") or f"sqlite:///{var_dir(env) / 'skolehylde.db'}"
    return {
        "SKOLEHYLDE_ENV": mode,
        "SECRET_KEY": secret,
        "SQLALCHEMY_DATABASE_URI": normalise_database_url(database_url),
        "PUBLIC_BASE_URL": env.get("PUBLIC_BASE_URL", "http://127.0.0.1:8000").rstrip("/"),
    }


def normalise_database_url(url: str) -> str:
    """Use psycopg 3 for PostgreSQL whatever scheme the operator wrote."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url
