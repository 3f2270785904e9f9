"""OAuth/OIDC endpoints and the sign-in pages.

JSON (in the OpenAPI document): ``/oauth/token``, ``/oauth/revoke``, ``/oauth/userinfo``,
``/.well-known/openid-configuration``, ``/.well-known/jwks.json``. Their errors are RFC 6749
bodies (``{"error": "invalid_grant", "error_description": "…"}``), as OAuth clients expect.
HTML (hidden from the document): ``/oauth/authorize``, ``/login``, ``/logout``. Page text is
Danish first; English when chosen with ``?lang=en`` (remembered for the session).
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable
from typing import Any, TypeVar, cast
from urllib.parse import parse_qs, quote, urlencode, urlsplit
from zoneinfo import ZoneInfo

from apiflask import APIBlueprint, Schema, fields
from authlib.oauth2 import OAuth2Error
from flask import Response, current_app, g, jsonify, redirect, render_template, request, session
from flask.typing import ResponseReturnValue

from server.extensions import db
from server.identity import audit
from server.identity.current import (
    current_principal,
    session_user_id,
    sign_in_session,
    sign_out_session,
)
from server.identity.passwords import SignInResult, authenticate
from server.oauth import keys
from server.oauth.models import BADGE_GRANT, OAuthClientRow
from server.oauth.resource import BEARER_SCHEME, www_authenticate
from server.oauth.server import (
    CLIENT_AUTH_METHODS,
    SCOPES,
    active_user,
    authorization_server,
    printable,
    query_client,
    user_claims,
)
from server.ratelimit import client_key, limiter, login_key

F = TypeVar("F", bound=Callable[..., Any])
bp = APIBlueprint("oauth", __name__, template_folder="templates", tag="OAuth and OpenID Connect")

LOCAL_TIME = ZoneInfo("Europe/Copenhagen")
TEXT: dict[str, dict[str, str]] = {
    "da": {
        "sign_in": "Log ind",
        "to_continue": "for at fortsætte til",
        "username": "Brugernavn",
        "password": "Adgangskode",
        "school_login": "Log ind med skolens login",
        "wrong": "Forkert brugernavn eller adgangskode.",
        "locked": "Kontoen er låst efter for mange forkerte forsøg. Prøv igen kl. {time}.",
        "expired_form": "Siden var udløbet. Prøv igen.",
        "signed_in_title": "Du er logget ind",
        "signed_in": "Du er logget ind som {name}.",
        "sign_out": "Log ud",
        "sign_out_ask": "Vil du logge ud af Skolehylde?",
        "signed_out_title": "Du er logget ud",
        "signed_out": "Du er nu logget ud.",
        "error_title": "Det lykkedes ikke",
        "error": "Programmet, der sendte dig hertil, bad om noget, vi ikke kan give.",
        "consent_title": "Giv adgang",
        "consent_asks": "vil gerne have adgang til:",
        "allow": "Giv adgang",
        "deny": "Afvis",
    },
    "en": {
        "sign_in": "Sign in",
        "to_continue": "to continue to",
        "username": "User name",
        "password": "Password",
        "school_login": "Sign in with your school login",
        "wrong": "Wrong user name or password.",
        "locked": "The account is locked after too many failed attempts. Try again at {time}.",
        "expired_form": "The page had expired. Please try again.",
        "signed_in_title": "You are signed in",
        "signed_in": "You are signed in as {name}.",
        "sign_out": "Sign out",
        "sign_out_ask": "Do you want to sign out of Skolehylde?",
        "signed_out_title": "You are signed out",
        "signed_out": "You are now signed out.",
        "error_title": "That did not work",
        "error": "The program that sent you here asked for something we cannot give.",
        "consent_title": "Grant access",
        "consent_asks": "would like access to:",
        "allow": "Allow",
        "deny": "Deny",
    },
}
SCOPE_TEXT = {
    "da": {"openid": "at vide hvem du er", "profile": "dit navn", "email": "din e-mailadresse",
           "api": "dine materialer og klasser i Skolehylde", "publisher": "forlagets data"},
    "en": {"openid": "who you are", "profile": "your name", "email": "your e-mail address",
           "api": "your materials and classes in Skolehylde", "publisher": "the publisher's data"},
}  # fmt: skip


# -- page helpers ---------------------------------------------------------------------------


def page_language() -> str:
    """Danish first: English only when the person chose it (remembered for the session).

    The browser's Accept-Language is not enough: shared school tablets often run an English
    system language for Danish children.
    """
    asked = request.values.get("lang")
    if asked in TEXT:
        session["lang"] = asked
        return asked
    remembered = session.get("lang")
    return remembered if remembered in TEXT else "da"


def csrf_token() -> str:
    token = session.get("csrf_token")
    if not token:
        token = session["csrf_token"] = secrets.token_urlsafe(32)
    return str(token)


def csrf_valid() -> bool:
    sent, kept = request.form.get("csrf_token", ""), session.get("csrf_token", "")
    return bool(sent and kept) and hmac.compare_digest(str(sent), str(kept))


def safe_next(target: str | None) -> str | None:
    """``target`` if it is a relative URL on this site (no open redirects), else None."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target or any(ord(char) < 0x20 or ord(char) == 0x7F for char in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def _with_lang(url: str, lang: str) -> str:
    parts = urlsplit(url)
    query = [(k, v) for k, vs in parse_qs(parts.query).items() for v in vs if k != "lang"]
    query.append(("lang", lang))
    return parts._replace(query=urlencode(query)).geturl()


def render_page(template: str, status: int = 200, **context: Any) -> Response:
    lang = context.pop("lang", None) or page_language()
    other = "en" if lang == "da" else "da"
    body = render_template(
        template,
        lang=lang,
        t=TEXT[lang],
        csrf_token=csrf_token(),
        other_lang_url=_with_lang(request.full_path, other),
        **context,
    )
    response = Response(body, status=status, mimetype="text/html")
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'"
    )
    return response


def sign_in_page(next_url: str | None, status: int = 200, **context: Any) -> Response:
    school_login_url = None
    if current_app.config.get("IDENTITY_BACKEND") == "oidc":
        school_login_url = "/auth/school/login?next=" + quote(next_url or "/login", safe="")
    client_name = None
    if next_url and urlsplit(next_url).path == "/oauth/authorize":
        client_id = parse_qs(urlsplit(next_url).query).get("client_id", [None])[0]
        client = query_client(client_id) if client_id else None
        client_name = client.name if client is not None else None
    context.setdefault("username", "")
    return render_page(
        "oauth_sign_in.html",
        status,
        title=TEXT[page_language()]["sign_in"],
        next=next_url or "",
        school_login_url=school_login_url,
        client_name=client_name,
        **context,
    )


def message_page(title_key: str, message: str, status: int = 200, **context: Any) -> Response:
    return render_page(
        "oauth_message.html", status, title=TEXT[page_language()][title_key], message=message,
        **context,
    )  # fmt: skip


# -- /oauth/authorize -------------------------------------------------------------------------


def _authorize_error(error: OAuth2Error) -> Response:
    """RFC 6749 §4.1.2.1: redirect only to a redirect URI checked against the client."""
    if error.redirect_uri:
        response: Response = authorization_server().handle_error_response(None, error)
        return response
    return message_page(
        "error_title", TEXT[page_language()]["error"], 400, error=True,
        code=f"{error.error}: {error.description or ''}".strip(": "),
    )  # fmt: skip


@bp.get("/oauth/authorize")
@bp.doc(hide=True)
def authorize() -> ResponseReturnValue:
    server = authorization_server()
    user = active_user(session_user_id())
    try:
        grant = server.get_consent_grant(end_user=user)
    except OAuth2Error as error:
        return _authorize_error(error)
    except ValueError:  # a parameter Authlib cannot even quote back (control characters…)
        return message_page("error_title", TEXT[page_language()]["error"], 400, error=True)
    if user is None:
        return sign_in_page(request.full_path)
    client: OAuthClientRow = grant.request.client
    if client.first_party:
        return cast(Response, server.create_authorization_response(grant=grant, grant_user=user))
    lang = page_language()
    return render_page(
        "oauth_consent.html",
        title=TEXT[lang]["consent_title"],
        client_name=client.name,
        scopes=[SCOPE_TEXT[lang].get(s, s) for s in (grant.request.scope or "").split()],
        action=request.full_path,
    )


@bp.post("/oauth/authorize")
@bp.doc(hide=True)
def authorize_decision() -> ResponseReturnValue:
    """The consent form of a client that is not ours (first-party clients skip it)."""
    server = authorization_server()
    user = active_user(session_user_id())
    if user is None:
        return sign_in_page(request.full_path, 401)
    if not csrf_valid():
        return message_page("error_title", TEXT[page_language()]["expired_form"], 400, error=True)
    try:
        grant = server.get_consent_grant(end_user=user)
    except OAuth2Error as error:
        return _authorize_error(error)
    except ValueError:
        return message_page("error_title", TEXT[page_language()]["error"], 400, error=True)
    granted = user if request.form.get("decision") == "allow" else None
    return cast(Response, server.create_authorization_response(grant=grant, grant_user=granted))


# -- sign-in pages ----------------------------------------------------------------------------


@bp.get("/login")
@bp.doc(hide=True)
def login() -> ResponseReturnValue:
    next_url = safe_next(request.args.get("next"))
    user = active_user(session_user_id())
    if user is not None:
        if next_url:
            return redirect(next_url, 303)
        return message_page(
            "signed_in_title",
            TEXT[page_language()]["signed_in"].format(name=user.display_name),
            sign_out=True, next="",
        )  # fmt: skip
    return sign_in_page(next_url)


@bp.post("/login")
@bp.doc(hide=True)
@limiter.limit("10 per minute", key_func=login_key)
def login_submit() -> ResponseReturnValue:
    next_url = safe_next(request.form.get("next"))
    username = request.form.get("username", "")
    text = TEXT[page_language()]
    if not csrf_valid():
        return sign_in_page(next_url, 400, error=text["expired_form"], username=username)
    client_id = None
    if next_url:
        client_id = parse_qs(urlsplit(next_url).query).get("client_id", [None])[0]
    result = authenticate(
        db.session(), printable(username, 100), request.form.get("password", ""),
        client_id=printable(client_id, 100) if client_id else None,
    )  # fmt: skip
    if result.result is SignInResult.OK and result.user_id is not None:
        sign_in_session(result.user_id, "password")
        if next_url:
            return redirect(next_url, 303)
        return redirect("/login", 303)
    if result.result is SignInResult.LOCKED and result.locked_until is not None:
        until = result.locked_until.astimezone(LOCAL_TIME)
        return sign_in_page(
            next_url, 401, error=text["locked"].format(time=f"{until:%H:%M}"),
            username=username, locked_until=until.isoformat(),
        )  # fmt: skip
    return sign_in_page(next_url, 401, error=text["wrong"], username=username)


@bp.get("/logout")
@bp.doc(hide=True)
def logout() -> ResponseReturnValue:
    next_url = safe_next(request.args.get("next")) or ""
    if session_user_id() is None:
        if next_url:
            return redirect(next_url, 303)
        return message_page("signed_out_title", TEXT[page_language()]["signed_out"])
    return message_page(
        "sign_out", TEXT[page_language()]["sign_out_ask"], sign_out=True, next=next_url
    )


@bp.post("/logout")
@bp.doc(hide=True)
def logout_submit() -> ResponseReturnValue:
    lang = page_language()
    if not csrf_valid():
        return message_page("error_title", TEXT[lang]["expired_form"], 400, error=True)
    next_url = safe_next(request.form.get("next"))
    user_id = session_user_id()
    sign_out_session()
    if user_id is not None:
        audit.record(
            db.session(), "sign_out", "success", actor_user_id=user_id, subject_user_id=user_id,
            detail={"method": "session"},
        )  # fmt: skip
        db.session().commit()
    if next_url:
        return redirect(next_url, 303)
    return message_page("signed_out_title", TEXT[lang]["signed_out"], lang=lang)


# -- token, revocation, userinfo (JSON) ------------------------------------------------------


def _form_body(schema: dict[str, Any]) -> Callable[[F], F]:
    """Document a form-encoded request body without validating it here.

    Authlib validates, and answers in RFC 6749 terms (400 invalid_request), which a
    marshmallow 422 would not.
    """

    def decorate(view: F) -> F:
        spec = view.__dict__.setdefault("_spec", {})
        spec.update(body=schema, body_example=None, body_examples=None,
                    content_type="application/x-www-form-urlencoded")  # fmt: skip
        return view

    return decorate


def _string(description: str, **extra: Any) -> dict[str, Any]:
    return {"type": "string", "description": description, **extra}


OAUTH_ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": _string("RFC 6749 §5.2 error code", example="invalid_grant"),
        "error_description": _string("What went wrong, for the developer"),
        "error_uri": _string("A page about the error"),
    },
}


def _oauth_errors(*statuses: int) -> Any:
    return {
        status: {
            "description": "An OAuth error (RFC 6749 §5.2 / RFC 6750 §3.1)",
            "content": {"application/json": {"schema": OAUTH_ERROR}},
        }
        for status in statuses
    }


TOKEN_RESPONSE = {
    "type": "object",
    "required": ["access_token", "token_type", "expires_in"],
    "properties": {
        "access_token": _string("Opaque; send as 'Authorization: Bearer …'"),
        "token_type": _string("Always Bearer", enum=["Bearer"]),
        "expires_in": {"type": "integer", "description": "Seconds the access token lives"},
        "refresh_token": _string("Single use: each refresh returns a new one"),
        "scope": _string("Space-separated scopes granted"),
        "id_token": _string("OpenID Connect ID token (RS256), when scope has openid"),
    },
}
TOKEN_REQUEST = {
    "type": "object",
    "required": ["grant_type"],
    "properties": {
        "grant_type": _string(
            "The grant",
            enum=["authorization_code", "refresh_token", "client_credentials", BADGE_GRANT],
        ),
        "code": _string("authorization_code: the code from /oauth/authorize"),
        "redirect_uri": _string("authorization_code: as sent to /oauth/authorize"),
        "code_verifier": _string("authorization_code: the PKCE verifier"),
        "refresh_token": _string("refresh_token: the current refresh token"),
        "badge": _string("badge grant: the code read from a pupil's QR badge"),
        "scope": _string("Space-separated scopes (a subset of the client's)"),
        "client_id": _string("Public clients, or client_secret_post"),
        "client_secret": _string("client_secret_post (or use HTTP Basic)"),
    },
}
REVOKE_REQUEST = {
    "type": "object",
    "required": ["token"],
    "properties": {
        "token": _string("An access or refresh token"),
        "token_type_hint": _string("Where to look first", enum=["access_token", "refresh_token"]),
        "client_id": _string("Public clients, or client_secret_post"),
        "client_secret": _string("client_secret_post (or use HTTP Basic)"),
    },
}


def _audit_refusal(response: Response) -> None:
    body = response.get_json(silent=True) or {}
    client = client_key().removeprefix("client:")
    db.session().rollback()
    audit.record(
        db.session(), "token_refused", "failure",
        client_id=None if client == "-" else printable(client, 100) or None,
        detail={
            "grant_type": printable(request.form.get("grant_type", ""), 100),
            "error": printable(body.get("error", ""), 100),
            "reason": g.get("oauth_refusal") or printable(body.get("error_description", ""), 200),
        },
    )  # fmt: skip
    db.session().commit()


def _oauth_error(status: int, error: str, description: str) -> Response:
    response = jsonify(error=error, error_description=description)
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/oauth/token")
@bp.doc(
    summary="Token endpoint",
    description=(
        "RFC 6749 token endpoint: `authorization_code` (with PKCE S256), `refresh_token`"
        " (rotated; a reused refresh token revokes its family), `client_credentials`"
        f" (publisher integrations), and `{BADGE_GRANT}` (a pupil's QR badge, our app only)."
        " Access tokens live 10 minutes. Errors are RFC 6749 §5.2 bodies."
    ),
    responses={
        200: {
            "description": "Tokens",
            "content": {"application/json": {"schema": TOKEN_RESPONSE}},
        },
        **_oauth_errors(400, 401),
        429: "Too many requests from this client (60 a minute)",
    },
)
@_form_body(TOKEN_REQUEST)
@limiter.limit("60 per minute", key_func=client_key)
def token() -> ResponseReturnValue:
    g.pop("oauth_refusal", None)
    try:
        response: Response = authorization_server().create_token_response()
    except ValueError:  # an error description Authlib refuses to build from the input
        response = _oauth_error(400, "invalid_request", "The request is malformed.")
    if response.status_code >= 400:
        _audit_refusal(response)
    return response


@bp.post("/oauth/revoke")
@bp.doc(
    summary="Revoke a token (RFC 7009)",
    description=(
        "Revoking an access token ends that token; revoking a refresh token ends its whole"
        " family (every access and refresh token of the sign-in). An unknown token is 200."
    ),
    responses={
        200: {
            "description": "Revoked (or unknown)",
            "content": {"application/json": {"schema": {"type": "object"}}},
        },
        **_oauth_errors(400, 401),
        429: "Too many requests from this client (60 a minute)",
    },
)
@_form_body(REVOKE_REQUEST)
@limiter.limit("60 per minute", key_func=client_key)
def revoke() -> ResponseReturnValue:
    try:
        response: Response = authorization_server().create_endpoint_response("revocation")
    except ValueError:
        response = _oauth_error(400, "invalid_request", "The request is malformed.")
    return response


class RoleOut(Schema):
    role = fields.String(required=True)
    municipality_code = fields.String(allow_none=True)
    school_id = fields.String(allow_none=True)
    class_id = fields.String(allow_none=True)
    publisher_id = fields.String(allow_none=True)


class UserInfoOut(Schema):
    sub = fields.String(required=True, metadata={"description": "Our user id"})
    name = fields.String()
    email = fields.String(metadata={"description": "Adults only, with scope email"})
    roles = fields.List(fields.Nested(RoleOut), required=True)


def _userinfo() -> ResponseReturnValue:
    principal = current_principal()
    if principal is None:
        response = _oauth_error(401, "invalid_token", "Send a valid access token as Bearer.")
        response.headers["WWW-Authenticate"] = www_authenticate()
        return response
    user = active_user(principal.user_id)
    if user is None or "openid" not in principal.scopes:
        response = _oauth_error(403, "insufficient_scope", "The token has no 'openid' scope.")
        response.headers["WWW-Authenticate"] = (
            'Bearer realm="skolehylde", error="insufficient_scope", scope="openid"'
        )
        return response
    claims = user_claims(user, " ".join(sorted(principal.scopes)))
    claims["roles"] = [
        {
            "role": r.role,
            "municipality_code": r.municipality_code,
            "school_id": str(r.school_id) if r.school_id else None,
            "class_id": str(r.class_id) if r.class_id else None,
            "publisher_id": str(r.publisher_id) if r.publisher_id else None,
        }
        for r in principal.roles
    ]
    response = jsonify(UserInfoOut().dump(claims))
    response.headers["Cache-Control"] = "no-store"
    return response


_USERINFO_DOC: dict[str, Any] = {
    "summary": "OpenID Connect userinfo",
    "description": "Who the access token is for: `sub`, `name`, `email` (adults), roles.",
    "security": BEARER_SCHEME,
    "responses": {
        200: {
            "description": "Claims",
            "content": {"application/json": {"schema": UserInfoOut}},
        },
        **_oauth_errors(401, 403),
    },
}


@bp.get("/oauth/userinfo")
@bp.doc(**_USERINFO_DOC)
def userinfo() -> ResponseReturnValue:
    return _userinfo()


@bp.post("/oauth/userinfo")
@bp.doc(**_USERINFO_DOC)
def userinfo_post() -> ResponseReturnValue:
    return _userinfo()


# -- discovery and keys -----------------------------------------------------------------------


class DiscoveryOut(Schema):
    issuer = fields.String(required=True)
    authorization_endpoint = fields.String(required=True)
    token_endpoint = fields.String(required=True)
    revocation_endpoint = fields.String(required=True)
    userinfo_endpoint = fields.String(required=True)
    jwks_uri = fields.String(required=True)
    scopes_supported = fields.List(fields.String(), required=True)
    response_types_supported = fields.List(fields.String(), required=True)
    response_modes_supported = fields.List(fields.String(), required=True)
    grant_types_supported = fields.List(fields.String(), required=True)
    subject_types_supported = fields.List(fields.String(), required=True)
    id_token_signing_alg_values_supported = fields.List(fields.String(), required=True)
    token_endpoint_auth_methods_supported = fields.List(fields.String(), required=True)
    revocation_endpoint_auth_methods_supported = fields.List(fields.String(), required=True)
    code_challenge_methods_supported = fields.List(fields.String(), required=True)
    claims_supported = fields.List(fields.String(), required=True)
    ui_locales_supported = fields.List(fields.String(), required=True)


class JwkOut(Schema):
    kty = fields.String(required=True)
    kid = fields.String(required=True)
    use = fields.String()
    alg = fields.String()
    n = fields.String(required=True)
    e = fields.String(required=True)


class JwksOut(Schema):
    keys = fields.List(fields.Nested(JwkOut), required=True)


@bp.get("/.well-known/openid-configuration")
@bp.output(DiscoveryOut)
@bp.doc(summary="OpenID Connect discovery")
def discovery() -> dict[str, Any]:
    base = current_app.config["PUBLIC_BASE_URL"]
    return {
        "issuer": base,
        "authorization_endpoint": f"{base}/oauth/authorize",
        "token_endpoint": f"{base}/oauth/token",
        "revocation_endpoint": f"{base}/oauth/revoke",
        "userinfo_endpoint": f"{base}/oauth/userinfo",
        "jwks_uri": f"{base}/.well-known/jwks.json",
        "scopes_supported": list(SCOPES),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": [
            "authorization_code", "refresh_token", "client_credentials", BADGE_GRANT,
        ],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": [keys.ALGORITHM],
        "token_endpoint_auth_methods_supported": CLIENT_AUTH_METHODS,
        "revocation_endpoint_auth_methods_supported": CLIENT_AUTH_METHODS,
        "code_challenge_methods_supported": ["S256"],
        "claims_supported": [
            "sub", "name", "email", "iss", "aud", "exp", "iat", "auth_time", "nonce", "at_hash",
        ],
        "ui_locales_supported": ["da", "en"],
    }  # fmt: skip


@bp.get("/.well-known/jwks.json")
@bp.output(JwksOut)
@bp.doc(summary="Signing keys (JWKS)", description="Every key in a rollover, public parts only.")
def jwks() -> dict[str, Any]:
    return keys.jwks()
