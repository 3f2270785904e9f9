"""OAuth tables: clients, authorization codes and tokens.

Client secrets, codes and tokens are never stored in the clear: each is a long random value,
so its SHA-256 digest (hex) is enough to look it up and useless to anyone who reads the table.
The row classes implement the small interfaces Authlib's grants call (``ClientMixin`` …).
"""

from __future__ import annotations

import hmac
import secrets
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Integer, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from server.extensions import db
from server.oauth.tokens import hash_secret

PUBLIC = "none"
CONFIDENTIAL_METHODS = frozenset({"client_secret_basic", "client_secret_post"})
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "[::1]"})
BADGE_GRANT = "urn:skolehylde:params:oauth:grant-type:badge"


def aware(moment: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; everything we store is UTC."""
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment


class OAuthClientRow(db.Model):  # type: ignore[name-defined,misc]
    """A registered OAuth client: our Kivy app (public), or a publisher's integration."""

    __tablename__ = "oauth_clients"

    client_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    #: SHA-256 hex of the secret; None for a public client
    client_secret_hash: Mapped[str | None] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    #: "none" (public) | "client_secret_basic" | "client_secret_post"
    token_endpoint_auth_method: Mapped[str] = mapped_column(String(40))
    redirect_uris: Mapped[list[str]] = mapped_column(JSON, default=list)
    grant_types: Mapped[list[str]] = mapped_column(JSON, default=list)
    response_types: Mapped[list[str]] = mapped_column(JSON, default=list)
    #: space-separated scopes the client may ask for
    scope: Mapped[str] = mapped_column(Text, default="")
    #: the publisher a client-credentials integration acts for
    publisher_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("publishers.id", ondelete="CASCADE"), index=True
    )
    #: our own apps: no consent screen
    first_party: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    # -- Authlib ClientMixin ------------------------------------------------------------------
    @property
    def is_public(self) -> bool:
        return self.token_endpoint_auth_method == PUBLIC

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> str | None:
        return self.redirect_uris[0] if len(self.redirect_uris) == 1 else None

    def get_allowed_scope(self, scope: str | None) -> str | None:
        """The requested scope, or the client's whole scope if none was asked for.

        None (Authlib answers ``invalid_scope``) when a scope outside the client's is asked for.
        """
        allowed = self.scope.split()
        if not scope:
            return " ".join(allowed)
        requested = scope.split()
        if not set(requested) <= set(allowed):
            return None
        return " ".join(dict.fromkeys(requested))

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        """Exact match, except that a loopback URI accepts any port (RFC 8252 §7.3)."""
        if redirect_uri in self.redirect_uris:
            return True
        try:
            asked = urlsplit(redirect_uri)
            port = asked.port
        except ValueError:
            return False
        if asked.scheme != "http" or port is None:
            return False
        host = asked.netloc.rsplit(":", 1)[0]
        if host not in LOOPBACK_HOSTS:
            return False
        for registered in self.redirect_uris:
            known = urlsplit(registered)
            if (
                known.scheme == "http"
                and known.netloc == host
                and (known.path, known.query) == (asked.path, asked.query)
                and not asked.fragment
            ):
                return True
        return False

    def check_client_secret(self, client_secret: str) -> bool:
        if self.client_secret_hash is None:
            return False
        return hmac.compare_digest(self.client_secret_hash, hash_secret(client_secret))

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        if self.is_public:
            return method == PUBLIC
        return method in CONFIDENTIAL_METHODS

    def check_response_type(self, response_type: str) -> bool:
        return response_type in self.response_types

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type in self.grant_types


class OAuthAuthorizationCodeRow(db.Model):  # type: ignore[name-defined,misc]
    """A code from /oauth/authorize: single use, 60 seconds, bound to client, URI and PKCE."""

    __tablename__ = "oauth_authorization_codes"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    client_id: Mapped[str] = mapped_column(
        ForeignKey("oauth_clients.client_id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    #: the redirect_uri of the authorize request (None when the client's only one was implied)
    redirect_uri: Mapped[str | None] = mapped_column(Text)
    scope: Mapped[str] = mapped_column(Text, default="")
    nonce: Mapped[str | None] = mapped_column(String(255))
    code_challenge: Mapped[str | None] = mapped_column(String(128))
    code_challenge_method: Mapped[str | None] = mapped_column(String(10))
    #: when the person signed in (unix seconds), and how ("password", "oidc")
    auth_time: Mapped[int] = mapped_column(Integer)
    method: Mapped[str] = mapped_column(String(30))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    #: set when the code is redeemed; a second redemption is a replay
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    # -- Authlib AuthorizationCodeMixin (OIDC flavour) ----------------------------------------
    def get_redirect_uri(self) -> str | None:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope

    def get_nonce(self) -> str | None:
        return self.nonce

    def get_auth_time(self) -> int:
        return self.auth_time

    def get_acr(self) -> str | None:
        return None

    def get_amr(self) -> list[str] | None:
        return ["pwd"] if self.method == "password" else None

    def is_expired(self, now: datetime) -> bool:
        expires = aware(self.expires_at)
        return expires is None or expires <= now


class OAuthTokenRow(db.Model):  # type: ignore[name-defined,misc]
    """An access token and (optionally) its refresh token.

    Tokens of one sign-in share a ``family_id``: a refresh creates a new row in the family and
    marks the old refresh token rotated. Presenting a rotated refresh token again means it
    leaked, so the whole family is revoked.
    """

    __tablename__ = "oauth_tokens"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    client_id: Mapped[str] = mapped_column(
        ForeignKey("oauth_clients.client_id", ondelete="CASCADE"), index=True
    )
    #: None for a client-credentials token
    user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    #: the publisher a client-credentials token acts for
    publisher_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    family_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    #: the code the family started from (revoked together when the code is replayed)
    authorization_code_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    scope: Mapped[str] = mapped_column(Text, default="")
    #: "password", "oidc", "badge", "client_credentials"
    method: Mapped[str] = mapped_column(String(30))
    access_token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    refresh_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    issued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    access_expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    refresh_expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    access_revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    refresh_revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    #: set when the refresh token was exchanged for the next one
    refresh_rotated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    # -- Authlib TokenMixin -------------------------------------------------------------------
    def check_client(self, client: Any) -> bool:
        return bool(self.client_id == client.get_client_id())

    def get_scope(self) -> str:
        return self.scope

    def get_expires_in(self) -> int:
        issued, expires = aware(self.issued_at), aware(self.access_expires_at)
        if issued is None or expires is None:
            return 0
        return int((expires - issued).total_seconds())

    def is_expired(self) -> bool:
        expires = aware(self.access_expires_at)
        return expires is None or expires <= datetime.now(UTC)

    def is_revoked(self) -> bool:
        return self.access_revoked_at is not None

    def access_active(self, now: datetime) -> bool:
        expires = aware(self.access_expires_at)
        return self.access_revoked_at is None and expires is not None and expires > now

    def refresh_active(self, now: datetime) -> bool:
        expires = aware(self.refresh_expires_at)
        return (
            self.refresh_token_hash is not None
            and self.refresh_revoked_at is None
            and self.refresh_rotated_at is None
            and expires is not None
            and expires > now
        )


# -- registering clients ----------------------------------------------------------------------

APP_CLIENT_ID = "skolehylde-app"
APP_REDIRECT_URIS = ("http://127.0.0.1/callback", "dk.skolehylde.app:/oauth/callback")
APP_SCOPE = "openid profile email api"
PUBLISHER_SCOPE = "publisher"


def register_client(
    session: Any,
    *,
    name: str,
    client_id: str | None = None,
    confidential: bool = True,
    redirect_uris: Sequence[str] = (),
    grant_types: Sequence[str] = ("authorization_code", "refresh_token"),
    scope: str = APP_SCOPE,
    publisher_id: uuid.UUID | None = None,
    first_party: bool = False,
    token_endpoint_auth_method: str = "client_secret_basic",  # noqa: S107  # a method name
) -> tuple[OAuthClientRow, str | None]:
    """Register a client; returns the row and its secret (shown once; None for public clients).

    The caller commits. A publisher integration: ``grant_types=("client_credentials",),
    scope="publisher", publisher_id=…``.
    """
    from server.identity import audit

    if not confidential:
        token_endpoint_auth_method = PUBLIC
    elif token_endpoint_auth_method not in CONFIDENTIAL_METHODS:
        raise ValueError(f"unknown token_endpoint_auth_method {token_endpoint_auth_method!r}")
    if "client_credentials" in grant_types and (not confidential or publisher_id is None):
        raise ValueError("client_credentials needs a confidential client with a publisher")
    secret = secrets.token_urlsafe(32) if confidential else None
    row = OAuthClientRow(
        client_id=client_id or f"c-{secrets.token_urlsafe(12)}",
        client_secret_hash=hash_secret(secret) if secret else None,
        name=name,
        token_endpoint_auth_method=token_endpoint_auth_method,
        redirect_uris=list(redirect_uris),
        grant_types=list(grant_types),
        response_types=["code"] if "authorization_code" in grant_types else [],
        scope=scope,
        publisher_id=publisher_id,
        first_party=first_party,
        created_at=datetime.now(UTC),
    )
    session.add(row)
    audit.record(
        session, "client_created", "success", client_id=row.client_id,
        detail={"name": name, "grant_types": list(grant_types)},
    )  # fmt: skip
    return row, secret


def ensure_default_clients(session: Any) -> OAuthClientRow:
    """Our Kivy app as a public first-party client (idempotent; commits when it adds it)."""
    existing: OAuthClientRow | None = session.get(OAuthClientRow, APP_CLIENT_ID)
    if existing is not None:
        return existing
    row, _ = register_client(
        session,
        name="Skolehylde",
        client_id=APP_CLIENT_ID,
        confidential=False,
        redirect_uris=APP_REDIRECT_URIS,
        grant_types=("authorization_code", "refresh_token", BADGE_GRANT),
        scope=APP_SCOPE,
        first_party=True,
    )
    session.commit()
    return row
