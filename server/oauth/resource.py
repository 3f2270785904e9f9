"""Bearer tokens on API requests: ``Authorization: Bearer <access token>`` → ``Principal``.

Views that need a signed-in caller use ``auth_required``::

    @bp.get("/api/v1/schools/<uuid:school_id>")
    @auth_required            # right under the route: 401 comes before input validation
    @bp.output(SchoolOut)
    def get_school(school_id):
        principal = require_principal()  # cached for the request; never None here
        ...

It answers 401 (our JSON error body, with ``WWW-Authenticate: Bearer …``) when no valid
token came, and marks the operation with the ``bearerAuth`` security scheme in the OpenAPI
document. ``bearer_doc`` is the same mark for views that check the principal themselves
(``@bp.doc(**bearer_doc)``).
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, Response, g, request

from server.extensions import db
from server.identity.current import principal_for_user, register_loader, require_principal
from server.identity.principal import Principal
from server.oauth.tokens import active_grant

BEARER_SCHEME = "bearerAuth"
bearer_doc: dict[str, Any] = {"security": BEARER_SCHEME}
SECURITY_SCHEMES = {
    BEARER_SCHEME: {
        "type": "http",
        "scheme": "bearer",
        "description": "An opaque access token from /oauth/token (10 minutes).",
    },
    "oauth2": {
        "type": "oauth2",
        "description": "How to get a token: our app by code + PKCE, publishers by client"
        " credentials.",
        "flows": {
            "authorizationCode": {
                "authorizationUrl": "/oauth/authorize",
                "tokenUrl": "/oauth/token",
                "refreshUrl": "/oauth/token",
                "scopes": {
                    "openid": "Who you are (OpenID Connect)",
                    "profile": "Your name",
                    "email": "Your e-mail address (adults)",
                    "api": "The Skolehylde API as yourself",
                },
            },
            "clientCredentials": {
                "tokenUrl": "/oauth/token",
                "scopes": {"publisher": "A publisher's own data"},
            },
        },
    },
}

F = TypeVar("F", bound=Callable[..., Any])


def auth_required(view: F) -> F:
    """Require a principal (401 otherwise) and document the operation as bearer-protected."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        require_principal()
        return view(*args, **kwargs)

    spec = dict(getattr(view, "_spec", {}))
    spec["security"] = BEARER_SCHEME
    wrapper._spec = spec  # type: ignore[attr-defined]  # APIFlask reads its annotations here
    return wrapper  # type: ignore[return-value]


def bearer_token_from_request() -> str | None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        return None
    return token


def load_bearer_principal() -> Principal | None:
    """The principal of the request's access token; None (and a note why) when it has none."""
    token = bearer_token_from_request()
    if token is None:
        return None
    row = active_grant(db.session(), token)
    if row is None:
        g.bearer_error = "invalid_token"
        return None
    scopes = frozenset(row.scope.split())
    if row.user_id is None:
        return Principal(
            user_id=None,
            client_id=row.client_id,
            client_publisher_id=row.publisher_id,
            scopes=scopes,
            method="client_credentials",
        )
    principal = principal_for_user(
        db.session(), row.user_id, client_id=row.client_id, scopes=scopes, method=row.method
    )
    if principal is None:  # the user was deactivated after the token was issued
        g.bearer_error = "invalid_token"
        return None
    if row.method == "badge":  # a badge grants nothing beyond the pupil's own access
        principal = dataclasses.replace(
            principal, roles=tuple(r for r in principal.roles if r.role == "pupil")
        )
    return principal


def www_authenticate() -> str:
    error = g.get("bearer_error")
    if error:
        return f'Bearer realm="skolehylde", error="{error}"'
    return 'Bearer realm="skolehylde"'


def _challenge(response: Response) -> Response:
    """RFC 6750 §3: every 401 says how to authenticate (and why the token failed)."""
    if response.status_code == 401 and "WWW-Authenticate" not in response.headers:
        response.headers["WWW-Authenticate"] = www_authenticate()
    return response


def _forget(_error: BaseException | None) -> None:
    """Drop the request's principal at its end: an app context (and its ``g``) can outlive
    one request, as under the test client, and must not carry a principal to the next."""
    for name in ("principal", "bearer_error", "oauth_refusal", "revoked_kind"):
        g.pop(name, None)


def init_app(app: Flask) -> None:
    register_loader(load_bearer_principal)
    app.teardown_request(_forget)
    schemes = dict(app.config.get("SECURITY_SCHEMES") or {})
    schemes.update(SECURITY_SCHEMES)
    app.config["SECURITY_SCHEMES"] = schemes
    app.after_request(_challenge)
