"""Opaque tokens: how they are made, stored (as digests), found and revoked.

Access tokens are 32 random bytes (URL-safe base64), refresh tokens 48; only their SHA-256
digests are stored. An access token lives ``OAUTH_ACCESS_TOKEN_TTL`` seconds (10 minutes by
default), a refresh token ``OAUTH_REFRESH_TOKEN_TTL`` (30 days), renewed by each rotation.
"""

from __future__ import annotations

import functools
import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import Select, bindparam, func, or_, select, update
from sqlalchemy.orm import Session

if TYPE_CHECKING:
    from server.oauth.models import OAuthTokenRow

ACCESS_TOKEN_BYTES = 32
REFRESH_TOKEN_BYTES = 48
DEFAULT_ACCESS_TOKEN_TTL = 600
DEFAULT_REFRESH_TOKEN_TTL = 30 * 24 * 3600


def hash_secret(value: str) -> str:
    """The stored form of a client secret, code or token."""
    return hashlib.sha256(value.encode()).hexdigest()


def new_access_token() -> str:
    return secrets.token_urlsafe(ACCESS_TOKEN_BYTES)


def new_refresh_token() -> str:
    return secrets.token_urlsafe(REFRESH_TOKEN_BYTES)


def bearer_token(access_ttl: int, *, scope: str, include_refresh_token: bool) -> dict[str, Any]:
    """The token response body (RFC 6749 §5.1) for fresh random tokens."""
    token: dict[str, Any] = {
        "token_type": "Bearer",
        "access_token": new_access_token(),
        "expires_in": access_ttl,
        "scope": scope,
    }
    if include_refresh_token:
        token["refresh_token"] = new_refresh_token()
    return token


def find_by_access_token(session: Session, access_token: str) -> OAuthTokenRow | None:
    from server.oauth.models import OAuthTokenRow

    return session.scalar(
        select(OAuthTokenRow).where(OAuthTokenRow.access_token_hash == hash_secret(access_token))
    )


def find_by_refresh_token(session: Session, refresh_token: str) -> OAuthTokenRow | None:
    from server.oauth.models import OAuthTokenRow

    return session.scalar(
        select(OAuthTokenRow).where(OAuthTokenRow.refresh_token_hash == hash_secret(refresh_token))
    )


def active_access_token(session: Session, access_token: str) -> OAuthTokenRow | None:
    """The token row if the access token is known, unrevoked and unexpired."""
    row = find_by_access_token(session, access_token)
    if row is None or not row.access_active(datetime.now(UTC)):
        return None
    return row


@dataclass(frozen=True, slots=True)
class BearerGrant:
    """What a live access token grants: the columns a request's principal is built from."""

    user_id: uuid.UUID | None
    client_id: str
    publisher_id: uuid.UUID | None
    scope: str
    method: str


@functools.cache
def _grant_statement() -> Select[Any]:
    """Built once: a plain select of the few columns (no ORM object per bearer request)."""
    from server.oauth.models import OAuthTokenRow

    table = OAuthTokenRow.__table__
    return select(
        table.c.user_id, table.c.client_id, table.c.publisher_id, table.c.scope,
        table.c.method, table.c.access_expires_at, table.c.access_revoked_at,
    ).where(table.c.access_token_hash == bindparam("digest"))  # fmt: skip


def active_grant(session: Session, access_token: str) -> BearerGrant | None:
    """What the access token grants if it is known, unrevoked and unexpired (as
    ``active_access_token``, without loading the row as an object)."""
    from server.oauth.models import aware

    row = session.execute(_grant_statement(), {"digest": hash_secret(access_token)}).first()
    if row is None or row.access_revoked_at is not None:
        return None
    expires = aware(row.access_expires_at)
    if expires is None or expires <= datetime.now(UTC):
        return None
    return BearerGrant(row.user_id, row.client_id, row.publisher_id, row.scope, row.method)


def revoke_family(session: Session, family_id: uuid.UUID) -> int:
    """Revoke every access and refresh token of a family (the caller commits)."""
    from server.oauth.models import OAuthTokenRow

    now = datetime.now(UTC)
    result = session.execute(
        update(OAuthTokenRow)
        .where(
            OAuthTokenRow.family_id == family_id,
            or_(
                OAuthTokenRow.access_revoked_at.is_(None),
                OAuthTokenRow.refresh_revoked_at.is_(None),
            ),
        )
        .values(
            access_revoked_at=func.coalesce(OAuthTokenRow.access_revoked_at, now),
            refresh_revoked_at=func.coalesce(OAuthTokenRow.refresh_revoked_at, now),
        )
        .execution_options(synchronize_session="fetch")
    )
    return int(getattr(result, "rowcount", 0) or 0)


def revoke_from_code(session: Session, code_id: uuid.UUID) -> int:
    """Revoke every token issued from an authorization code (it was replayed)."""
    from server.oauth.models import OAuthTokenRow

    families = set(
        session.scalars(
            select(OAuthTokenRow.family_id).where(OAuthTokenRow.authorization_code_id == code_id)
        )
    )
    return sum(revoke_family(session, family) for family in families)


def revoke_access_token(session: Session, row: OAuthTokenRow) -> None:
    if row.access_revoked_at is None:
        row.access_revoked_at = datetime.now(UTC)


def issue_access_token(
    session: Session,
    user_id: uuid.UUID | None,
    *,
    client_id: str = "skolehylde-app",
    scope: str = "openid profile api",
    method: str = "password",
    ttl: int = DEFAULT_ACCESS_TOKEN_TTL,
) -> str:
    """An access token issued directly, without a sign-in (tests, demo data, the CLI); commits.

    The client must exist (``ensure_default_clients`` makes the default one). With
    ``user_id=None`` the token is a client-credentials token of the client's publisher.
    """
    from server.oauth.models import OAuthClientRow, OAuthTokenRow

    client = session.get(OAuthClientRow, client_id)
    if client is None:
        raise LookupError(f"no OAuth client {client_id!r}")
    token = new_access_token()
    now = datetime.now(UTC)
    session.add(
        OAuthTokenRow(
            id=uuid.uuid4(),
            client_id=client_id,
            user_id=user_id,
            publisher_id=client.publisher_id if user_id is None else None,
            family_id=uuid.uuid4(),
            scope=scope,
            method="client_credentials" if user_id is None else method,
            access_token_hash=hash_secret(token),
            issued_at=now,
            access_expires_at=now + timedelta(seconds=ttl),
        )
    )
    session.commit()
    return token
