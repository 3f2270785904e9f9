"""The authorization server (Authlib) and its grants.

- authorization code + PKCE: S256 only, and required of public clients already at the
  authorize step; codes live 60 s, are single-use, and a replayed code revokes what it issued;
- OpenID Connect on the code grant: ``id_token`` (RS256, ``kid``), nonce, ``auth_time``;
- refresh tokens rotated on every use; a rotated token presented again revokes its family;
- client credentials for publisher integrations;
- ``urn:skolehylde:params:oauth:grant-type:badge``: a pupil's QR badge on a shared tablet.

Writes go through ``db.session()`` and commit here: a code is claimed (and the claim committed)
before anything else is checked, so two racing redemptions cannot both succeed.
"""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.integrations.flask_oauth2.requests import FlaskOAuth2Payload
from authlib.oauth2.rfc6749 import (
    InvalidClientError,
    InvalidGrantError,
    InvalidRequestError,
    InvalidScopeError,
    OAuth2Request,
    UnauthorizedClientError,
    grants,
)
from authlib.oauth2.rfc6749.authenticate_client import (
    authenticate_client_secret_basic,
    authenticate_client_secret_post,
)
from authlib.oauth2.rfc7009 import RevocationEndpoint
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oidc.core import UserInfo
from authlib.oidc.core.grants import OpenIDCode
from flask import Flask, current_app, g
from flask import request as flask_request
from flask import session as browser_session
from sqlalchemy import select, update

from server.extensions import db
from server.identity import audit
from server.identity.badges import authenticate_badge
from server.oauth import keys
from server.oauth.models import (
    BADGE_GRANT,
    OAuthAuthorizationCodeRow,
    OAuthClientRow,
    OAuthTokenRow,
)
from server.oauth.tokens import (
    DEFAULT_ACCESS_TOKEN_TTL,
    DEFAULT_REFRESH_TOKEN_TTL,
    bearer_token,
    find_by_access_token,
    find_by_refresh_token,
    hash_secret,
    revoke_access_token,
    revoke_family,
    revoke_from_code,
)
from server.organisations.models import UserRow

SCOPES = ("openid", "profile", "email", "api", "publisher")
CODE_TTL = timedelta(seconds=60)
ID_TOKEN_TTL = 600
REFRESH_HINT = "refresh_token"  # a token type name, not a secret
CLIENT_AUTH_METHODS = ["none", "client_secret_basic", "client_secret_post"]


def refuse(reason: str) -> None:
    """Remember why a token request was refused, for the audit entry the view writes."""
    g.oauth_refusal = reason


def _now() -> datetime:
    return datetime.now(UTC)


def _access_ttl() -> int:
    return int(current_app.config.get("OAUTH_ACCESS_TOKEN_TTL", DEFAULT_ACCESS_TOKEN_TTL))


def _refresh_ttl() -> int:
    return int(current_app.config.get("OAUTH_REFRESH_TOKEN_TTL", DEFAULT_REFRESH_TOKEN_TTL))


def active_user(user_id: uuid.UUID | None) -> UserRow | None:
    user = db.session().get(UserRow, user_id) if user_id is not None else None
    return user if user is not None and user.active else None


# -- client authentication ---------------------------------------------------------------------
# Authlib's built-ins answer an unknown client_id with 400 on some paths; RFC 6749 §5.2 lets us
# answer invalid_client with 401 throughout, so these return None and let the registry do so.


def _authenticate_none(query_client: Any, request: OAuth2Request) -> OAuthClientRow | None:
    client_id = request.payload.client_id
    if not client_id or request.payload.data.get("client_secret"):
        return None
    client: OAuthClientRow | None = query_client(client_id)
    return client


def _quiet(method: Any) -> Any:
    def authenticate(query_client: Any, request: OAuth2Request) -> Any:
        try:
            return method(query_client, request)
        except InvalidClientError:
            return None

    return authenticate


# -- the OAuth2 request over the app's public URL ----------------------------------------------


class _OAuth2Request(OAuth2Request):  # type: ignore[misc]
    """Authlib's Flask request, checked for TLS against the public URL only in production.

    Development and tests serve plain HTTP on purpose; behind the production load balancer
    the app sees HTTP too, so the check uses ``PUBLIC_BASE_URL``, which must be https.
    """

    def __init__(self, request: Any, uri: str) -> None:
        super().__init__(method=request.method, uri=uri, headers=request.headers)
        self._request = request
        self.payload = FlaskOAuth2Payload(request)

    @property
    def args(self) -> Any:
        return self._request.args

    @property
    def form(self) -> Any:
        return self._request.form


class SkolehyldeAuthorizationServer(AuthorizationServer):  # type: ignore[misc]
    def create_oauth2_request(self, request: Any) -> OAuth2Request:
        config = current_app.config
        if config.get("SKOLEHYLDE_ENV") == "production":
            uri = config["PUBLIC_BASE_URL"] + flask_request.full_path
        else:
            uri = "https://" + flask_request.url.split("://", 1)[-1]
        return _OAuth2Request(flask_request, uri)


def printable(value: object, limit: int) -> str:
    """``value`` as text fit for a column: no control characters (PostgreSQL refuses NUL)."""
    text = "".join(char for char in str(value) if char.isprintable())
    return text[:limit]


def query_client(client_id: str) -> OAuthClientRow | None:
    if not client_id or len(client_id) > 100 or printable(client_id, 100) != client_id:
        return None
    return db.session().get(OAuthClientRow, client_id)


def save_token(token: dict[str, Any], request: OAuth2Request) -> None:
    """Store a freshly generated token (digests only) in its family, then commit."""
    client: OAuthClientRow = request.client
    grant_type = request.payload.grant_type
    user: UserRow | None = request.user
    now = _now()
    previous: OAuthTokenRow | None = request.refresh_token
    code: OAuthAuthorizationCodeRow | None = request.authorization_code
    if previous is not None:
        family_id, code_id, method = (
            previous.family_id,
            previous.authorization_code_id,
            previous.method,
        )
    else:
        family_id, code_id = uuid.uuid4(), code.id if code is not None else None
        method = {
            "authorization_code": code.method if code is not None else "password",
            "client_credentials": "client_credentials",
            BADGE_GRANT: "badge",
        }.get(grant_type, grant_type)
    refresh = token.get("refresh_token")
    row = OAuthTokenRow(
        id=uuid.uuid4(),
        client_id=client.client_id,
        user_id=user.id if user is not None else None,
        publisher_id=client.publisher_id if user is None else None,
        family_id=family_id,
        authorization_code_id=code_id,
        scope=token.get("scope", ""),
        method=method,
        access_token_hash=hash_secret(token["access_token"]),
        refresh_token_hash=hash_secret(refresh) if refresh else None,
        issued_at=now,
        access_expires_at=now + timedelta(seconds=int(token["expires_in"])),
        refresh_expires_at=now + timedelta(seconds=_refresh_ttl()) if refresh else None,
    )
    db.session().add(row)
    audit.record(
        db.session(), "token_issued", "success", actor_user_id=row.user_id,
        subject_user_id=row.user_id, client_id=client.client_id,
        detail={"grant_type": grant_type, "method": method, "scope": row.scope},
    )  # fmt: skip
    db.session().commit()


def generate_token(
    grant_type: str,
    client: OAuthClientRow,
    user: Any = None,
    scope: str | None = None,
    expires_in: int | None = None,
    include_refresh_token: bool = True,
) -> dict[str, Any]:
    allowed = client.get_allowed_scope(scope)
    if allowed is None:
        raise InvalidScopeError()
    return bearer_token(
        expires_in or _access_ttl(), scope=allowed, include_refresh_token=include_refresh_token
    )


# -- authorization code + PKCE + OpenID Connect ------------------------------------------------


class S256CodeChallenge(CodeChallenge):  # type: ignore[misc]
    """PKCE with S256 only; a public client without it is refused at /oauth/authorize."""

    SUPPORTED_CODE_CHALLENGE_METHOD: ClassVar[list[str]] = ["S256"]
    DEFAULT_CODE_CHALLENGE_METHOD = "S256"

    def validate_code_challenge(self, grant: Any, redirect_uri: str) -> None:
        data = grant.request.payload.data
        client: OAuthClientRow = grant.request.client
        challenge, method = data.get("code_challenge"), data.get("code_challenge_method")
        if client.is_public and not challenge:
            raise InvalidRequestError("Public clients must send 'code_challenge' (PKCE, S256).")
        if challenge and method != "S256":
            raise InvalidRequestError("'code_challenge_method' must be S256.")
        super().validate_code_challenge(grant, redirect_uri)


class AuthorizationCodeGrant(grants.AuthorizationCodeGrant):  # type: ignore[misc]
    TOKEN_ENDPOINT_AUTH_METHODS = CLIENT_AUTH_METHODS
    AUTHORIZATION_CODE_LENGTH = 43

    def save_authorization_code(self, code: str, request: OAuth2Request) -> None:
        data = request.payload.data
        now = _now()
        db.session().add(
            OAuthAuthorizationCodeRow(
                id=uuid.uuid4(),
                code_hash=hash_secret(code),
                client_id=request.client.client_id,
                user_id=request.user.id,
                redirect_uri=request.payload.redirect_uri,
                scope=request.scope or "",
                nonce=data.get("nonce"),
                code_challenge=data.get("code_challenge"),
                code_challenge_method=data.get("code_challenge_method"),
                auth_time=int(browser_session.get("auth_time") or now.timestamp()),
                method=str(browser_session.get("method") or "password"),
                created_at=now,
                expires_at=now + CODE_TTL,
            )
        )
        db.session().commit()

    def query_authorization_code(
        self, code: str, client: OAuthClientRow
    ) -> OAuthAuthorizationCodeRow | None:
        row: OAuthAuthorizationCodeRow | None = db.session().scalar(
            select(OAuthAuthorizationCodeRow).where(
                OAuthAuthorizationCodeRow.code_hash == hash_secret(code)
            )
        )
        if row is None or row.client_id != client.client_id:
            refuse("unknown_code")
            return None
        now = _now()
        claimed = db.session().execute(
            update(OAuthAuthorizationCodeRow)
            .where(
                OAuthAuthorizationCodeRow.id == row.id, OAuthAuthorizationCodeRow.used_at.is_(None)
            )
            .values(used_at=now)
            .execution_options(synchronize_session=False)
        )
        if getattr(claimed, "rowcount", 0) != 1:
            # RFC 6749 §4.1.2: refuse, and revoke what the first redemption got.
            revoked = revoke_from_code(db.session(), row.id)
            refuse(f"code_replayed; {revoked} token(s) revoked")
            db.session().commit()
            return None
        db.session().commit()
        if row.is_expired(now):
            refuse("code_expired")
            return None
        return row

    def delete_authorization_code(self, authorization_code: OAuthAuthorizationCodeRow) -> None:
        """Nothing to do: the code was claimed (``used_at``) when it was redeemed."""

    def authenticate_user(self, authorization_code: OAuthAuthorizationCodeRow) -> UserRow | None:
        return active_user(authorization_code.user_id)


def user_claims(user: UserRow, scope: str) -> dict[str, Any]:
    """Claims about a user for id_tokens and userinfo. Never a CPR number (none is stored)."""
    from server.organisations.models import MembershipRow

    scopes = set(scope.split())
    claims: dict[str, Any] = {"sub": str(user.id)}
    if "profile" in scopes or "openid" in scopes:
        claims["name"] = user.display_name
    roles = list(
        db.session().scalars(
            select(MembershipRow).where(MembershipRow.user_id == user.id, MembershipRow.active)
        )
    )
    adult = any(m.role != "pupil" for m in roles)
    if "email" in scopes and adult and user.email:
        claims["email"] = user.email
    claims["roles"] = [
        {
            "role": m.role,
            "municipality_code": m.municipality_code,
            "school_id": str(m.school_id) if m.school_id else None,
            "class_id": str(m.class_id) if m.class_id else None,
            "publisher_id": str(m.publisher_id) if m.publisher_id else None,
        }
        for m in roles
    ]
    return claims


class SkolehyldeOpenIDCode(OpenIDCode):  # type: ignore[misc]
    DEFAULT_EXPIRES_IN = ID_TOKEN_TTL

    def exists_nonce(self, nonce: str, request: OAuth2Request) -> bool:
        found = db.session().scalar(
            select(OAuthAuthorizationCodeRow.id).where(
                OAuthAuthorizationCodeRow.client_id == request.payload.client_id,
                OAuthAuthorizationCodeRow.nonce == nonce,
            )
        )
        return found is not None

    def resolve_client_private_key(self, client: OAuthClientRow) -> Any:
        return keys.signing_key()

    def get_client_algorithm(self, client: OAuthClientRow) -> str:
        return keys.ALGORITHM

    def get_encode_header(self, client: OAuthClientRow) -> dict[str, str]:
        return {"alg": keys.ALGORITHM, "kid": str(keys.signing_key().kid), "typ": "JWT"}

    def get_client_claims(self, client: OAuthClientRow) -> dict[str, Any]:
        now = int(time.time())
        return {
            "iss": current_app.config["PUBLIC_BASE_URL"],
            "aud": client.client_id,
            "iat": now,
            "exp": now + ID_TOKEN_TTL,
        }

    def generate_user_info(self, user: UserRow, scope: str) -> UserInfo:
        claims = user_claims(user, scope)
        claims.pop("roles")
        return UserInfo(claims)


# -- refresh tokens: rotation and reuse detection ---------------------------------------------


class RefreshTokenGrant(grants.RefreshTokenGrant):  # type: ignore[misc]
    TOKEN_ENDPOINT_AUTH_METHODS = CLIENT_AUTH_METHODS
    INCLUDE_NEW_REFRESH_TOKEN = True

    def authenticate_refresh_token(self, refresh_token: str) -> OAuthTokenRow | None:
        row = find_by_refresh_token(db.session(), refresh_token)
        if row is None:
            refuse("unknown_refresh_token")
            return None
        if row.refresh_rotated_at is not None:
            self._reused(row)
            return None
        if not row.refresh_active(_now()):
            refuse("refresh_token_revoked_or_expired")
            return None
        if active_user(row.user_id) is None:
            refuse("user_inactive")
            return None
        return row

    def _reused(self, row: OAuthTokenRow) -> None:
        """A rotated refresh token came back: someone holds a copy. Revoke the family."""
        revoked = revoke_family(db.session(), row.family_id)
        audit.record(
            db.session(), "refresh_token_reused", "failure", actor_user_id=row.user_id,
            subject_user_id=row.user_id, client_id=row.client_id,
            detail={"family_id": str(row.family_id), "revoked": revoked},
        )  # fmt: skip
        db.session().commit()
        refuse("refresh_token_reused")

    def authenticate_user(self, refresh_token: OAuthTokenRow) -> UserRow | None:
        return active_user(refresh_token.user_id)

    def create_token_response(self) -> Any:
        old: OAuthTokenRow = self.request.refresh_token
        claimed = db.session().execute(
            update(OAuthTokenRow)
            .where(OAuthTokenRow.id == old.id, OAuthTokenRow.refresh_rotated_at.is_(None))
            .values(refresh_rotated_at=_now())
            .execution_options(synchronize_session=False)
        )
        if getattr(claimed, "rowcount", 0) != 1:  # a concurrent refresh won: that is reuse
            db.session().rollback()
            self._reused(old)
            raise InvalidGrantError()
        db.session().commit()
        return super().create_token_response()

    def revoke_old_credential(self, refresh_token: OAuthTokenRow) -> None:
        """Nothing to do: the old token was marked rotated before the new one was made."""


# -- client credentials -----------------------------------------------------------------------


class ClientCredentialsGrant(grants.ClientCredentialsGrant):  # type: ignore[misc]
    """A publisher's integration; its tokens act for that publisher only."""

    TOKEN_ENDPOINT_AUTH_METHODS: ClassVar[list[str]] = ["client_secret_basic", "client_secret_post"]

    def validate_token_request(self) -> None:
        super().validate_token_request()
        client: OAuthClientRow = self.request.client
        if client.is_public or client.publisher_id is None:
            raise UnauthorizedClientError("Only a publisher's confidential client may do this.")
        if client.get_allowed_scope(self.request.payload.scope) is None:
            raise InvalidScopeError()


# -- QR badges --------------------------------------------------------------------------------


class BadgeGrant(grants.BaseGrant, grants.TokenEndpointMixin):  # type: ignore[misc]
    """``grant_type=urn:skolehylde:params:oauth:grant-type:badge&badge=<code>&client_id=…``.

    Only our own public app may use it. The token acts for the pupil alone (method "badge":
    the resource loader keeps only their pupil roles).
    """

    GRANT_TYPE = BADGE_GRANT
    TOKEN_ENDPOINT_AUTH_METHODS: ClassVar[list[str]] = ["none"]

    def validate_token_request(self) -> None:
        client: OAuthClientRow = self.authenticate_token_endpoint_client()
        if not (client.is_public and client.first_party and client.check_grant_type(BADGE_GRANT)):
            raise UnauthorizedClientError(f"The client may not use 'grant_type={BADGE_GRANT}'.")
        code = self.request.form.get("badge")
        if not code:
            raise InvalidRequestError("Missing 'badge' in request.")
        self.validate_requested_scope()
        scope = client.get_allowed_scope(self.request.payload.scope)
        if scope is None:
            raise InvalidScopeError()
        user = active_user(authenticate_badge(db.session(), code, client_id=client.client_id))
        if user is None:
            refuse("badge_unknown_or_revoked")
            raise InvalidGrantError("The badge is not valid.")
        self.request.client = client
        self.request.user = user
        self.request.scope = scope

    def create_token_response(self) -> tuple[int, dict[str, Any], list[tuple[str, str]]]:
        client: OAuthClientRow = self.request.client
        token = self.generate_token(
            user=self.request.user,
            scope=self.request.scope,
            include_refresh_token=client.check_grant_type("refresh_token"),
        )
        self.save_token(token)
        return 200, token, self.TOKEN_RESPONSE_HEADER


# -- revocation (RFC 7009) -------------------------------------------------------------------


class Revocation(RevocationEndpoint):  # type: ignore[misc]
    CLIENT_AUTH_METHODS = CLIENT_AUTH_METHODS

    def query_token(self, token_string: str, token_type_hint: str | None) -> Any:
        """(row, kind) for a known token of either kind; the hint only sets the search order."""
        finders = [("access_token", find_by_access_token), ("refresh_token", find_by_refresh_token)]
        if token_type_hint == REFRESH_HINT:
            finders.reverse()
        for kind, find in finders:
            row = find(db.session(), token_string)
            if row is not None:
                g.revoked_kind = kind
                return row
        return None

    def revoke_token(self, token: OAuthTokenRow, request: OAuth2Request) -> None:
        """An access token alone; a refresh token with its whole family."""
        kind = g.get("revoked_kind", "access_token")
        if kind == "refresh_token":
            revoke_family(db.session(), token.family_id)
        else:
            revoke_access_token(db.session(), token)
        audit.record(
            db.session(), "token_revoked", "success", actor_user_id=token.user_id,
            subject_user_id=token.user_id, client_id=token.client_id, detail={"kind": kind},
        )  # fmt: skip
        db.session().commit()


_EXTENSION = "skolehylde.oauth_server"


def authorization_server() -> SkolehyldeAuthorizationServer:
    """The current app's authorization server."""
    server: SkolehyldeAuthorizationServer = current_app.extensions[_EXTENSION]
    return server


def init_app(app: Flask) -> None:
    app.config.setdefault("OAUTH_ACCESS_TOKEN_TTL", DEFAULT_ACCESS_TOKEN_TTL)
    app.config.setdefault("OAUTH_REFRESH_TOKEN_TTL", DEFAULT_REFRESH_TOKEN_TTL)
    app.config.setdefault("OAUTH2_SCOPES_SUPPORTED", list(SCOPES))
    server = SkolehyldeAuthorizationServer()
    server.init_app(app, query_client=query_client, save_token=save_token)
    server.register_token_generator("default", generate_token)
    server.register_client_auth_method("none", _authenticate_none)
    server.register_client_auth_method(
        "client_secret_basic", _quiet(authenticate_client_secret_basic)
    )
    server.register_client_auth_method(
        "client_secret_post", _quiet(authenticate_client_secret_post)
    )
    server.register_grant(
        AuthorizationCodeGrant, [S256CodeChallenge(required=True), SkolehyldeOpenIDCode()]
    )
    server.register_grant(RefreshTokenGrant)
    server.register_grant(ClientCredentialsGrant)
    server.register_grant(BadgeGrant)
    server.register_endpoint(Revocation)
    app.extensions[_EXTENSION] = server
