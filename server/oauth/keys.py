"""Signing keys for id_tokens (and, later, LTI launches): from configuration, with rotation.

``OAUTH_SIGNING_KEYS`` is a JSON list of private RSA JWKs, each with a ``kid``, newest first.
The first signs; every listed key is published in the JWKS (public parts only), so tokens
signed by the previous key stay verifiable during a rollover. Without the setting, outside
production, one RSA-2048 key is generated once and kept in
``VAR_DIR/secrets/oauth-signing-key.json`` (mode 0600).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from flask import Flask, current_app
from joserfc.jwk import RSAKey

from server.config import ConfigurationError

ALGORITHM = "RS256"
_EXTENSION = "skolehylde.oauth_keys"


def load_keys(config: Any) -> list[RSAKey]:
    """The configured signing keys, newest first (raises ConfigurationError if unusable)."""
    raw = config.get("OAUTH_SIGNING_KEYS")
    if raw:
        entries = json.loads(raw) if isinstance(raw, str) else raw
        if isinstance(entries, dict):
            entries = entries.get("keys", [entries])
    else:
        if config.get("SKOLEHYLDE_ENV") == "production":
            raise ConfigurationError(
                "OAUTH_SIGNING_KEYS must be set when SKOLEHYLDE_ENV=production"
            )
        entries = [_development_key(Path(config["VAR_DIR"]) / "secrets")]
    if not isinstance(entries, list) or not entries:
        raise ConfigurationError("OAUTH_SIGNING_KEYS must be a non-empty JSON list of JWKs")
    keys = []
    for entry in entries:
        if not isinstance(entry, dict) or entry.get("kty") != "RSA" or not entry.get("kid"):
            raise ConfigurationError("every OAUTH_SIGNING_KEYS entry must be an RSA JWK with a kid")
        if "d" not in entry:
            raise ConfigurationError(f"signing key {entry['kid']!r} has no private part")
        keys.append(RSAKey.import_key(entry, {"alg": ALGORITHM, "use": "sig"}))
    kids = [key.kid for key in keys]
    if len(set(kids)) != len(kids):
        raise ConfigurationError("OAUTH_SIGNING_KEYS has two keys with the same kid")
    return keys


def _development_key(folder: Path) -> dict[str, Any]:
    path = folder / "oauth-signing-key.json"
    if not path.exists():
        folder.mkdir(parents=True, exist_ok=True)
        key = RSAKey.generate_key(2048, {"alg": ALGORITHM, "use": "sig"}, auto_kid=True)
        try:  # create with 0600 from the start; another worker may win the race
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w") as file:
                json.dump(key.as_dict(private=True), file)
    loaded: dict[str, Any] = json.loads(path.read_text())
    return loaded


def init_app(app: Flask) -> None:
    app.extensions[_EXTENSION] = load_keys(app.config)


def signing_keys() -> list[RSAKey]:
    keys: list[RSAKey] = current_app.extensions[_EXTENSION]
    return keys


def signing_key() -> RSAKey:
    """The active signer (the first configured key)."""
    return signing_keys()[0]


def jwks() -> dict[str, list[dict[str, Any]]]:
    """Every configured key's public part, for ``/.well-known/jwks.json``."""
    return {"keys": [dict(key.as_dict(private=False)) for key in signing_keys()]}
