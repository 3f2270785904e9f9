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

#: The EU threshold for supply and service contracts of regional and municipal authorities in
#: 2024–2025: 1.644.638 kr. (EUR 221,000), as Konkurrence- og Forbrugerstyrelsen publishes it
#: for the procurement act ("Tærskelværdier 2024 og 2025", after the Commission's delegated
#: regulations (EU) 2023/2495 ff. and communication C/2023/902). The thresholds are revised
#: every two years: set PROCUREMENT_THRESHOLD_ORE to the amount in force.
DEFAULT_PROCUREMENT_THRESHOLD_ORE = 1_644_638_00


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
    identity_backend = env.get("IDENTITY_BACKEND", "local")
    if identity_backend not in {"local", "oidc"}:
        raise ConfigurationError(
            f"IDENTITY_BACKEND must be local or oidc, not {identity_backend!r}"
        )
    redis_url = env.get("REDIS_URL")
    return {
        "SKOLEHYLDE_ENV": mode,
        "SECRET_KEY": secret,
        "SQLALCHEMY_DATABASE_URI": normalise_database_url(database_url),
        "PUBLIC_BASE_URL": env.get("PUBLIC_BASE_URL", "http://127.0.0.1:8000").rstrip("/"),
        "VAR_DIR": str(var_dir(env)),
        # Pairwise pseudonyms per publisher (see server/identity/pseudonyms.py).
        "PSEUDONYM_KEY": _secret(env, mode, "PSEUDONYM_KEY"),
        # OAuth/OIDC signing keys: a JSON list of private JWKs, newest (active) first. Older
        # keys stay in the JWKS during a rollover. Development generates one under var/.
        "OAUTH_SIGNING_KEYS": _required_in_production(env, mode, "OAUTH_SIGNING_KEYS"),
        "OAUTH_ACCESS_TOKEN_TTL": _positive_int(env, "OAUTH_ACCESS_TOKEN_TTL", 600),
        "IDENTITY_BACKEND": identity_backend,
        "SCHOOL_IDP_ISSUER": env.get("SCHOOL_IDP_ISSUER"),
        "SCHOOL_IDP_CLIENT_ID": env.get("SCHOOL_IDP_CLIENT_ID"),
        "SCHOOL_IDP_CLIENT_SECRET": env.get("SCHOOL_IDP_CLIENT_SECRET"),
        # Rate limits: in-process by default (server.ratelimit.InProcessStorage), shared
        # across workers through Redis when set.
        "REDIS_URL": redis_url,
        "RATELIMIT_STORAGE_URI": redis_url or "inprocess://",
        # Launch events are queued per worker and written in batches this often (seconds).
        "LAUNCH_EVENTS_FLUSH_SECONDS": _positive_int(env, "LAUNCH_EVENTS_FLUSH_SECONDS", 1),
        # Product search (server/search): embedded tantivy under var/search by default, a
        # real mode in production too; Meilisearch when SEARCH_BACKEND=meilisearch.
        **_search_settings(env),
        # Payments (server/payments): invoice by EAN/OIOUBL by default, Stripe when asked.
        **_payments_settings(env, mode),
    }


def _payments_settings(env: Mapping[str, str], mode: str) -> dict[str, Any]:
    backend = env.get("PAYMENTS_BACKEND", "invoice").strip().lower()
    if backend not in {"invoice", "stripe"}:
        raise ConfigurationError(f"PAYMENTS_BACKEND must be invoice or stripe, not {backend!r}")
    api_key = env.get("STRIPE_API_KEY") or None
    webhook_secret = env.get("STRIPE_WEBHOOK_SECRET") or None
    if backend == "stripe" and mode == "production":
        for name, value in (("STRIPE_API_KEY", api_key), ("STRIPE_WEBHOOK_SECRET", webhook_secret)):
            if not value:
                raise ConfigurationError(f"PAYMENTS_BACKEND=stripe needs {name} in production")
    fee = env.get("PLATFORM_FEE_BPS", "1000")
    if not fee.isdigit() or int(fee) > 10_000:
        raise ConfigurationError(f"PLATFORM_FEE_BPS must be 0..10000 basis points, not {fee!r}")
    threshold = env.get("PROCUREMENT_THRESHOLD_ORE", str(DEFAULT_PROCUREMENT_THRESHOLD_ORE))
    if not threshold.isdigit() or int(threshold) == 0:
        raise ConfigurationError(
            f"PROCUREMENT_THRESHOLD_ORE must be whole øre > 0, not {threshold!r}"
        )
    payouts = env.get("PAYOUTS_BACKEND", "manual").strip().lower()
    if payouts not in {"manual", "stripe_connect"}:
        raise ConfigurationError(
            f"PAYOUTS_BACKEND must be manual or stripe_connect, not {payouts!r}"
        )
    if payouts == "stripe_connect" and not api_key:
        raise ConfigurationError("PAYOUTS_BACKEND=stripe_connect needs STRIPE_API_KEY")
    return {
        "PAYMENTS_BACKEND": backend,
        "PAYOUTS_BACKEND": payouts,
        "STRIPE_API_KEY": api_key,
        "STRIPE_API_BASE": env.get("STRIPE_API_BASE") or None,  # localstripe in tests
        "STRIPE_WEBHOOK_SECRET": webhook_secret,
        "STRIPE_PUBLISHABLE_KEY": env.get("STRIPE_PUBLISHABLE_KEY") or None,
        # Publisher payouts: the platform's fee in basis points (1000 = 10 %).
        "PLATFORM_FEE_BPS": int(fee),
        # Reports: warn when one publisher's spend reaches 80 % of this (see README).
        "PROCUREMENT_THRESHOLD_ORE": int(threshold),
    }


def _search_settings(env: Mapping[str, str]) -> dict[str, Any]:
    backend = env.get("SEARCH_BACKEND", "tantivy").strip().lower()
    if backend not in {"tantivy", "meilisearch"}:
        raise ConfigurationError(f"SEARCH_BACKEND must be tantivy or meilisearch, not {backend!r}")
    if backend == "meilisearch" and not env.get("MEILISEARCH_URL"):
        raise ConfigurationError("SEARCH_BACKEND=meilisearch needs MEILISEARCH_URL")
    settings: dict[str, Any] = {
        "SEARCH_BACKEND": backend,
        "SEARCH_INDEX_DIR": env.get("SEARCH_INDEX_DIR") or str(var_dir(env) / "search"),
        "MEILISEARCH_URL": env.get("MEILISEARCH_URL"),
        "MEILISEARCH_API_KEY": env.get("MEILISEARCH_API_KEY"),
        "MEILISEARCH_INDEX": env.get("MEILISEARCH_INDEX", "products"),
    }
    in_memory = env.get("SEARCH_IN_MEMORY")
    if in_memory is not None:  # unset: in memory only when SKOLEHYLDE_ENV=test
        settings["SEARCH_IN_MEMORY"] = in_memory.strip().lower() in {"1", "true", "yes"}
    return settings


def _positive_int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None:
        return default
    if not raw.isdigit() or int(raw) == 0:
        raise ConfigurationError(f"{name} must be a positive whole number of seconds, not {raw!r}")
    return int(raw)


def _required_in_production(env: Mapping[str, str], mode: str, name: str) -> str | None:
    value = env.get(name)
    if not value and mode == "production":
        raise ConfigurationError(f"{name} must be set when SKOLEHYLDE_ENV=production")
    return value or None


def _secret(env: Mapping[str, str], mode: str, name: str) -> str:
    """A secret from the environment; in development a random one kept under var/secrets/."""
    value = _required_in_production(env, mode, name)
    if value:
        return value
    path = var_dir(env) / "secrets" / name.lower()
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(32)
    path.write_text(value)
    path.chmod(0o600)
    return value


def normalise_database_url(url: str) -> str:
    """Use psycopg 3 for PostgreSQL whatever scheme the operator wrote."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url
