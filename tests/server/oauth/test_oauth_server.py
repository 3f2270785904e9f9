"""The authorization server through the Flask test client: sign-in, code + PKCE, tokens, keys.

Every failure path asserts the precise OAuth error, that nothing was issued, and the audit
entry the issue asks for.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from apiflask import APIFlask
from flask.testing import FlaskClient
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from conftest import BASE_URL
from conftest import test_config as app_config
from factories import make_class, make_publisher, make_school, make_user
from server.app import create_app
from server.extensions import db
from server.identity.badges import issue_badge, revoke_badge
from server.identity.current import current_principal, require_principal
from server.identity.models import AuditEventRow
from server.oauth import APP_CLIENT_ID, BADGE_GRANT, ensure_default_clients, register_client
from server.oauth.models import OAuthAuthorizationCodeRow, OAuthClientRow, OAuthTokenRow
from server.oauth.resource import auth_required
from server.oauth.tokens import hash_secret

PASSWORD = "korrekt hest batteri"
LOOPBACK = "http://127.0.0.1:53682/callback"


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def csrf_of(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found is not None, page
    return found.group(1)


def audit_events(session: Session, event: str) -> list[AuditEventRow]:
    session.expire_all()
    return list(session.scalars(select(AuditEventRow).where(AuditEventRow.event == event)))


def token_count(session: Session) -> int:
    session.expire_all()
    return int(session.scalar(select(func.count()).select_from(OAuthTokenRow)) or 0)


@dataclass
class World:
    app: APIFlask
    client: FlaskClient
    session: Session
    pupil_id: uuid.UUID
    teacher_id: uuid.UUID
    school_id: uuid.UUID
    class_id: uuid.UUID

    def sign_in(self, username: str = "lærer", password: str = PASSWORD, next_url: str = "") -> str:
        page = self.client.get("/login", query_string={"next": next_url} if next_url else {})
        response = self.client.post(
            "/login",
            data={
                "username": username,
                "password": password,
                "next": next_url,
                "csrf_token": csrf_of(page.get_data(as_text=True)),
            },
        )
        return response.headers.get("Location", "")

    def authorize_url(self, challenge: str | None, **extra: str) -> str:
        params = {
            "response_type": "code",
            "client_id": APP_CLIENT_ID,
            "redirect_uri": LOOPBACK,
            "scope": "openid profile api",
            "state": "st4te",
            "nonce": secrets.token_urlsafe(8),
        }
        if challenge is not None:
            params |= {"code_challenge": challenge, "code_challenge_method": "S256"}
        params |= extra
        return "/oauth/authorize?" + urlencode(params)

    def code(self, challenge: str) -> str:
        self.sign_in()
        response = self.client.get(self.authorize_url(challenge))
        assert response.status_code == 302, response.get_data(as_text=True)
        query = parse_qs(urlsplit(response.headers["Location"]).query)
        assert query["state"] == ["st4te"]
        return query["code"][0]

    def exchange(self, code: str, verifier: str, redirect_uri: str = LOOPBACK) -> dict[str, object]:
        response = self.client.post(
            "/oauth/token",
            data={
                "grant_type": "authorization_code",
                "code": code,
                "code_verifier": verifier,
                "redirect_uri": redirect_uri,
                "client_id": APP_CLIENT_ID,
            },
        )
        body: dict[str, object] = response.get_json()
        body["_status"] = response.status_code
        return body

    def tokens(self) -> dict[str, object]:
        verifier, challenge = pkce()
        body = self.exchange(self.code(challenge), verifier)
        assert body["_status"] == 200, body
        return body

    def refresh(self, refresh_token: object) -> dict[str, object]:
        response = self.client.post(
            "/oauth/token",
            data={
                "grant_type": "refresh_token",
                "refresh_token": str(refresh_token),
                "client_id": APP_CLIENT_ID,
            },
        )
        body: dict[str, object] = response.get_json()
        body["_status"] = response.status_code
        return body

    def userinfo(self, access_token: object) -> tuple[int, dict[str, object], str]:
        response = self.client.get(
            "/oauth/userinfo", headers={"Authorization": f"Bearer {access_token}"}
        )
        return (
            response.status_code,
            response.get_json(),
            response.headers.get("WWW-Authenticate", ""),
        )


@pytest.fixture
def world(app: APIFlask, client: FlaskClient, session: Session) -> World:
    ensure_default_clients(session)
    school = make_school(session)
    school_class = make_class(session, school)
    pupil = make_user(
        session, "pupil", school_class=school_class, name="Ida Elev", username="ida",
        password=PASSWORD,
    )  # fmt: skip
    teacher = make_user(
        session, "teacher", school=school, name="Lars Lærer", username="lærer",
        password=PASSWORD, email="lars@skole.dk",
    )  # fmt: skip
    return World(app, client, session, pupil.id, teacher.id, school.id, school_class.id)


# -- sign-in page -----------------------------------------------------------------------------


def test_authorize_shows_the_danish_sign_in_page_when_signed_out(world: World) -> None:
    _, challenge = pkce()
    url = world.authorize_url(challenge)
    response = world.client.get(url)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    assert "<h1>Log ind</h1>" in page
    assert ">Brugernavn</label>" in page and ">Adgangskode</label>" in page
    assert "Log ind med skolens login" not in page  # IDENTITY_BACKEND=local
    assert 'name="next" value="/oauth/authorize?' in page
    assert "Skolehylde" in page  # the client's name


def test_sign_in_page_in_english_and_with_the_school_login_link(
    database_url: str, session: Session
) -> None:
    app = create_app(
        {
            **app_config(database_url),
            "IDENTITY_BACKEND": "oidc",
            "SCHOOL_IDP_ISSUER": "http://127.0.0.1:9/idp",
            "SCHOOL_IDP_CLIENT_ID": "skolehylde",
            "SCHOOL_IDP_CLIENT_SECRET": "not-used-here",
        }
    )
    with app.app_context():
        client = app.test_client()
        accept = client.get("/login", headers={"Accept-Language": "en-GB,en;q=0.9"})
        assert "<h1>Log ind</h1>" in accept.get_data(as_text=True)  # Danish first
        english = client.get("/login?lang=en").get_data(as_text=True)
        assert "<h1>Sign in</h1>" in english and "User name" in english
        remembered = client.get("/login").get_data(as_text=True)
        assert "<h1>Sign in</h1>" in remembered
        client.get("/login?lang=da")
        target = "/oauth/authorize?client_id=skolehylde-app&response_type=code"
        danish = client.get("/login", query_string={"next": target}).get_data(as_text=True)
        assert "Log ind med skolens login" in danish
        assert (
            'href="/auth/school/login?next=%2Foauth%2Fauthorize%3Fclient_id%3Dskolehylde-app'
            "%26response_type%3Dcode" in danish
        )
        db.session.remove()
        db.engine.dispose()


def test_sign_in_returns_to_next_and_refuses_open_redirects(world: World) -> None:
    assert world.sign_in(next_url="/oauth/authorize?x=1") == "/oauth/authorize?x=1"
    for evil in ("https://evil.example/", "//evil.example/", "/\\evil.example", "javascript:x"):
        world.client.post("/logout", data={"csrf_token": csrf_of(
            world.client.get("/logout").get_data(as_text=True))})  # fmt: skip
        assert world.sign_in(next_url=evil) == "/login"


def test_wrong_password_no_session_and_audited(world: World) -> None:
    page = world.client.get("/login").get_data(as_text=True)
    response = world.client.post(
        "/login",
        data={"username": "lærer", "password": "forkert kodeord", "csrf_token": csrf_of(page)},
    )
    assert response.status_code == 401
    assert "Forkert brugernavn eller adgangskode." in response.get_data(as_text=True)
    with world.client.session_transaction() as browser:
        assert "user_id" not in browser
    failures = audit_events(world.session, "sign_in_failed")
    assert [(f.subject_user_id, f.detail["reason"]) for f in failures] == [
        (world.teacher_id, "wrong password")
    ]


def test_missing_csrf_token_is_refused_without_checking_the_password(world: World) -> None:
    response = world.client.post("/login", data={"username": "lærer", "password": PASSWORD})
    assert response.status_code == 400
    assert "Siden var udløbet" in response.get_data(as_text=True)
    assert audit_events(world.session, "sign_in") == []
    with world.client.session_transaction() as browser:
        assert "user_id" not in browser


def test_lockout_after_five_failures_shows_when_it_unlocks(world: World) -> None:
    for _ in range(5):
        world.sign_in(password="forkert kodeord")
    page = world.client.get("/login").get_data(as_text=True)
    response = world.client.post(
        "/login", data={"username": "lærer", "password": PASSWORD, "csrf_token": csrf_of(page)}
    )
    text = response.get_data(as_text=True)
    assert response.status_code == 401
    assert "Kontoen er låst efter for mange forkerte forsøg. Prøv igen kl. " in text
    assert re.search(r"Prøv igen kl\. \d\d:\d\d\.", text)
    with world.client.session_transaction() as browser:
        assert "user_id" not in browser
    assert len(audit_events(world.session, "account_locked")) == 1


def test_logout_clears_the_session_and_is_audited(world: World) -> None:
    world.sign_in()
    page = world.client.get("/logout").get_data(as_text=True)
    assert "Log ud" in page
    response = world.client.post("/logout", data={"csrf_token": csrf_of(page)})
    assert response.status_code == 200
    assert "Du er nu logget ud." in response.get_data(as_text=True)
    with world.client.session_transaction() as browser:
        assert "user_id" not in browser
    assert [e.actor_user_id for e in audit_events(world.session, "sign_out")] == [world.teacher_id]


# -- authorize --------------------------------------------------------------------------------


def test_public_client_without_code_challenge_is_refused_at_authorize(world: World) -> None:
    world.sign_in()
    response = world.client.get(world.authorize_url(None))
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == LOOPBACK
    query = parse_qs(location.query)
    assert query["error"] == ["invalid_request"]
    assert query["state"] == ["st4te"]
    assert "code" not in query
    assert world.session.scalar(select(func.count()).select_from(OAuthAuthorizationCodeRow)) == 0


def test_plain_code_challenge_is_refused(world: World) -> None:
    world.sign_in()
    url = world.authorize_url(None, code_challenge="a" * 43, code_challenge_method="plain")
    query = parse_qs(urlsplit(world.client.get(url).headers["Location"]).query)
    assert query["error"] == ["invalid_request"]
    assert query["error_description"] == ["'code_challenge_method' must be S256."]


def test_unregistered_redirect_uri_gets_an_error_page_never_a_redirect(world: World) -> None:
    world.sign_in()
    _, challenge = pkce()
    for uri in ("https://evil.example/callback", "http://127.0.0.1:8000/other",
                "http://localhost:8000/callback"):  # fmt: skip
        response = world.client.get(world.authorize_url(challenge, redirect_uri=uri))
        assert response.status_code == 400
        assert "Location" not in response.headers
        assert "invalid_request" in response.get_data(as_text=True)


def test_unknown_client_gets_an_error_page(world: World) -> None:
    _, challenge = pkce()
    response = world.client.get(world.authorize_url(challenge, client_id="nobody"))
    assert response.status_code == 400
    assert "Location" not in response.headers
    assert "invalid_client" in response.get_data(as_text=True)


def test_loopback_redirect_accepts_any_port(world: World) -> None:
    world.sign_in()
    _, challenge = pkce()
    for uri in ("http://127.0.0.1/callback", "http://127.0.0.1:1/callback",
                "http://127.0.0.1:65000/callback"):  # fmt: skip
        response = world.client.get(world.authorize_url(challenge, redirect_uri=uri))
        assert response.status_code == 302
        assert response.headers["Location"].startswith(uri + "?code=")


# -- code exchange ----------------------------------------------------------------------------


def test_code_exchange_issues_tokens_and_an_id_token(world: World) -> None:
    verifier, challenge = pkce()
    body = world.exchange(world.code(challenge), verifier)
    assert body["_status"] == 200
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 600
    assert body["scope"] == "openid profile api"
    assert len(str(body["access_token"])) >= 43
    header = json.loads(base64.urlsafe_b64decode(str(body["id_token"]).split(".")[0] + "=="))
    assert header["alg"] == "RS256" and header["kid"]
    keyset = KeySet.import_key_set(world.client.get("/.well-known/jwks.json").get_json())
    claims = jwt.decode(str(body["id_token"]), keyset, algorithms=["RS256"]).claims
    assert claims["iss"] == BASE_URL
    assert claims["aud"] == APP_CLIENT_ID
    assert claims["sub"] == str(world.teacher_id)
    assert isinstance(claims["nonce"], str) and claims["nonce"]
    assert claims["name"] == "Lars Lærer"
    assert isinstance(claims["auth_time"], int)
    row = world.session.scalar(select(OAuthTokenRow))
    assert row is not None
    assert row.access_token_hash == hash_secret(str(body["access_token"]))
    assert row.method == "password"
    issued = audit_events(world.session, "token_issued")
    assert [(e.subject_user_id, e.client_id) for e in issued] == [(world.teacher_id, APP_CLIENT_ID)]


def test_wrong_pkce_verifier_is_invalid_grant(world: World) -> None:
    _, challenge = pkce()
    body = world.exchange(world.code(challenge), secrets.token_urlsafe(48))
    assert (body["_status"], body["error"]) == (400, "invalid_grant")
    assert token_count(world.session) == 0
    refused = audit_events(world.session, "token_refused")
    assert [(e.detail["grant_type"], e.detail["error"]) for e in refused] == [
        ("authorization_code", "invalid_grant")
    ]


def test_replayed_code_is_refused_and_revokes_what_it_issued(world: World) -> None:
    verifier, challenge = pkce()
    code = world.code(challenge)
    first = world.exchange(code, verifier)
    assert first["_status"] == 200
    second = world.exchange(code, verifier)
    assert (second["_status"], second["error"]) == (400, "invalid_grant")
    assert token_count(world.session) == 1
    status, _, header = world.userinfo(first["access_token"])
    assert status == 401
    assert header == 'Bearer realm="skolehylde", error="invalid_token"'
    assert world.refresh(first["refresh_token"])["error"] == "invalid_grant"
    reasons = [e.detail["reason"] for e in audit_events(world.session, "token_refused")]
    assert reasons[0] == "code_replayed; 1 token(s) revoked"


def test_expired_code_is_invalid_grant(world: World) -> None:
    verifier, challenge = pkce()
    code = world.code(challenge)
    row = world.session.scalar(select(OAuthAuthorizationCodeRow))
    assert row is not None
    row.expires_at = datetime.now(UTC) - timedelta(seconds=1)
    world.session.commit()
    body = world.exchange(code, verifier)
    assert (body["_status"], body["error"]) == (400, "invalid_grant")
    assert token_count(world.session) == 0
    assert [e.detail["reason"] for e in audit_events(world.session, "token_refused")] == [
        "code_expired"
    ]


def test_code_is_bound_to_the_redirect_uri(world: World) -> None:
    verifier, challenge = pkce()
    body = world.exchange(world.code(challenge), verifier, "http://127.0.0.1:9/callback")
    assert (body["_status"], body["error"]) == (400, "invalid_grant")
    assert token_count(world.session) == 0


def test_code_is_stored_only_as_a_digest(world: World) -> None:
    _, challenge = pkce()
    code = world.code(challenge)
    row = world.session.scalar(select(OAuthAuthorizationCodeRow))
    assert row is not None
    assert row.code_hash == hash_secret(code)
    assert code not in repr(row.__dict__)
    assert row.expires_at.replace(tzinfo=UTC) - row.created_at.replace(tzinfo=UTC) == timedelta(
        seconds=60
    )


# -- refresh, revocation, userinfo ------------------------------------------------------------


def test_refresh_rotates_and_reuse_revokes_the_family(world: World) -> None:
    first = world.tokens()
    second = world.refresh(first["refresh_token"])
    assert second["_status"] == 200
    assert second["refresh_token"] != first["refresh_token"]
    assert world.userinfo(second["access_token"])[0] == 200
    reused = world.refresh(first["refresh_token"])
    assert (reused["_status"], reused["error"]) == (400, "invalid_grant")
    assert world.userinfo(second["access_token"])[0] == 401
    assert world.refresh(second["refresh_token"])["error"] == "invalid_grant"
    events = audit_events(world.session, "refresh_token_reused")
    assert [(e.subject_user_id, e.client_id, e.detail["revoked"]) for e in events] == [
        (world.teacher_id, APP_CLIENT_ID, 2)
    ]


def test_revoke_access_token_then_refused(world: World) -> None:
    body = world.tokens()
    response = world.client.post(
        "/oauth/revoke",
        data={"token": body["access_token"], "client_id": APP_CLIENT_ID},
    )
    assert (response.status_code, response.get_json()) == (200, {})
    assert world.userinfo(body["access_token"])[0] == 401
    assert world.refresh(body["refresh_token"])["_status"] == 200  # only the access token ended
    assert [e.detail["kind"] for e in audit_events(world.session, "token_revoked")] == [
        "access_token"
    ]


def test_revoke_refresh_token_ends_the_family(world: World) -> None:
    body = world.tokens()
    response = world.client.post(
        "/oauth/revoke",
        data={
            "token": body["refresh_token"],
            "token_type_hint": "refresh_token",
            "client_id": APP_CLIENT_ID,
        },
    )
    assert response.status_code == 200
    assert world.userinfo(body["access_token"])[0] == 401
    assert world.refresh(body["refresh_token"])["error"] == "invalid_grant"


def test_revoke_unknown_token_is_200_and_unknown_client_401(world: World) -> None:
    ok = world.client.post("/oauth/revoke", data={"token": "nope", "client_id": APP_CLIENT_ID})
    assert (ok.status_code, ok.get_json()) == (200, {})
    bad = world.client.post("/oauth/revoke", data={"token": "nope", "client_id": "nobody"})
    assert (bad.status_code, bad.get_json()["error"]) == (401, "invalid_client")


def test_userinfo_claims(world: World) -> None:
    body = world.tokens()
    status, claims, _ = world.userinfo(body["access_token"])
    assert status == 200, claims
    assert claims == {
        "sub": str(world.teacher_id),
        "name": "Lars Lærer",
        "roles": [
            {
                "role": "teacher",
                "municipality_code": None,
                "school_id": str(world.school_id),
                "class_id": None,
                "publisher_id": None,
            }
        ],
    }


def test_tampered_expired_and_missing_tokens(world: World) -> None:
    body = world.tokens()
    token = str(body["access_token"])
    tampered = token[:-1] + ("A" if token[-1] != "A" else "B")
    status, error, header = world.userinfo(tampered)
    assert (status, error["error"]) == (401, "invalid_token")
    assert header == 'Bearer realm="skolehylde", error="invalid_token"'
    row = world.session.scalar(select(OAuthTokenRow))
    assert row is not None
    row.access_expires_at = datetime.now(UTC) - timedelta(seconds=1)
    world.session.commit()
    assert world.userinfo(token)[0] == 401
    missing = world.client.get("/oauth/userinfo")
    assert missing.status_code == 401
    assert missing.headers["WWW-Authenticate"] == 'Bearer realm="skolehylde"'


def test_auth_required_gives_401_with_a_bearer_challenge(world: World) -> None:
    app = world.app

    @app.get("/_oauth_test/me")
    @auth_required
    def _me() -> dict[str, str]:
        return {"user": str(require_principal().user_id)}

    body = world.tokens()
    ok = world.client.get(
        "/_oauth_test/me", headers={"Authorization": f"Bearer {body['access_token']}"}
    )
    assert (ok.status_code, ok.get_json()) == (200, {"user": str(world.teacher_id)})
    bad = world.client.get("/_oauth_test/me", headers={"Authorization": "Bearer nope"})
    assert bad.status_code == 401
    assert bad.get_json()["error"]["code"] == "unauthenticated"
    assert bad.headers["WWW-Authenticate"] == 'Bearer realm="skolehylde", error="invalid_token"'
    spec = world.client.get("/api/openapi.json").get_json()
    assert spec["paths"]["/_oauth_test/me"]["get"]["security"] == [{"bearerAuth": []}]
    assert spec["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "An opaque access token from /oauth/token (10 minutes).",
    }


# -- client credentials -----------------------------------------------------------------------


def test_client_credentials_for_a_publisher(world: World) -> None:
    publisher = make_publisher(world.session)
    row, secret = register_client(
        world.session, name="Forlagets integration", grant_types=("client_credentials",),
        scope="publisher", publisher_id=publisher.id,
    )  # fmt: skip
    world.session.commit()
    assert secret is not None and row.client_secret_hash == hash_secret(secret)
    basic = base64.b64encode(f"{row.client_id}:{secret}".encode()).decode()
    response = world.client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        headers={"Authorization": f"Basic {basic}"},
    )
    body = response.get_json()
    assert response.status_code == 200
    assert body["scope"] == "publisher" and "refresh_token" not in body
    with world.app.test_request_context(
        headers={"Authorization": f"Bearer {body['access_token']}"}
    ):
        principal = current_principal()
    assert principal is not None
    assert (principal.user_id, principal.client_id, principal.client_publisher_id) == (
        None, row.client_id, publisher.id,
    )  # fmt: skip
    assert principal.method == "client_credentials"
    assert principal.publishers("publisher_admin") == {publisher.id}
    wrong_scope = world.client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials", "scope": "api"},
        headers={"Authorization": f"Basic {basic}"},
    )
    assert (wrong_scope.status_code, wrong_scope.get_json()["error"]) == (400, "invalid_scope")
    wrong_secret = base64.b64encode(f"{row.client_id}:nope".encode()).decode()
    refused = world.client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        headers={"Authorization": f"Basic {wrong_secret}"},
    )
    assert (refused.status_code, refused.get_json()["error"]) == (401, "invalid_client")
    public = world.client.post(
        "/oauth/token", data={"grant_type": "client_credentials", "client_id": APP_CLIENT_ID}
    )
    assert public.get_json()["error"] in {"invalid_client", "unauthorized_client"}
    assert token_count(world.session) == 1


# -- badges -----------------------------------------------------------------------------------


def test_badge_grant_signs_the_pupil_in_with_pupil_access_only(world: World) -> None:
    badge, code = issue_badge(world.session, world.pupil_id, world.teacher_id)
    world.session.commit()
    response = world.client.post(
        "/oauth/token",
        data={"grant_type": BADGE_GRANT, "badge": code, "client_id": APP_CLIENT_ID},
    )
    body = response.get_json()
    assert response.status_code == 200, body
    headers = {"Authorization": f"Bearer {body['access_token']}"}
    with world.app.test_request_context(headers=headers):
        principal = current_principal()
    assert principal is not None
    assert principal.user_id == world.pupil_id and principal.method == "badge"
    assert {r.role for r in principal.roles} == {"pupil"}
    assert principal.classes("pupil") == {world.class_id}
    row = world.session.scalar(select(OAuthTokenRow))
    assert row is not None and row.method == "badge"
    revoke_badge(world.session, badge, world.teacher_id)
    world.session.commit()
    again = world.client.post(
        "/oauth/token",
        data={"grant_type": BADGE_GRANT, "badge": code, "client_id": APP_CLIENT_ID},
    )
    assert (again.status_code, again.get_json()["error"]) == (400, "invalid_grant")
    assert token_count(world.session) == 1
    missing = world.client.post(
        "/oauth/token", data={"grant_type": BADGE_GRANT, "client_id": APP_CLIENT_ID}
    )
    assert (missing.status_code, missing.get_json()["error"]) == (400, "invalid_request")


def test_badge_grant_is_only_for_our_app(world: World) -> None:
    row, _ = register_client(
        world.session, name="Andet program", confidential=False,
        redirect_uris=("http://127.0.0.1/cb",), grant_types=("authorization_code", BADGE_GRANT),
    )  # fmt: skip
    world.session.commit()
    _, code = issue_badge(world.session, world.pupil_id, world.teacher_id)
    world.session.commit()
    response = world.client.post(
        "/oauth/token", data={"grant_type": BADGE_GRANT, "badge": code, "client_id": row.client_id}
    )
    assert (response.status_code, response.get_json()["error"]) == (400, "unauthorized_client")
    assert token_count(world.session) == 0


# -- clients, discovery, keys -----------------------------------------------------------------


def test_ensure_default_clients_is_idempotent(world: World) -> None:
    ensure_default_clients(world.session)
    ensure_default_clients(world.session)
    clients = list(world.session.scalars(select(OAuthClientRow)))
    assert [(c.client_id, c.client_secret_hash, c.first_party) for c in clients] == [
        (APP_CLIENT_ID, None, True)
    ]
    assert clients[0].redirect_uris == [
        "http://127.0.0.1/callback",
        "dk.skolehylde.app:/oauth/callback",
    ]


def test_discovery_document(world: World) -> None:
    doc = world.client.get("/.well-known/openid-configuration").get_json()
    assert doc["issuer"] == BASE_URL
    assert doc["authorization_endpoint"] == f"{BASE_URL}/oauth/authorize"
    assert doc["token_endpoint"] == f"{BASE_URL}/oauth/token"
    assert doc["revocation_endpoint"] == f"{BASE_URL}/oauth/revoke"
    assert doc["userinfo_endpoint"] == f"{BASE_URL}/oauth/userinfo"
    assert doc["jwks_uri"] == f"{BASE_URL}/.well-known/jwks.json"
    assert doc["code_challenge_methods_supported"] == ["S256"]
    assert doc["grant_types_supported"] == [
        "authorization_code", "refresh_token", "client_credentials", BADGE_GRANT,
    ]  # fmt: skip


def _rsa(kid: str) -> dict[str, object]:
    return dict(RSAKey.generate_key(2048, {"kid": kid}).as_dict(private=True))


def test_key_rotation_publishes_both_and_signs_with_the_first(
    database_url: str, session: Session
) -> None:
    new, old = _rsa("2026-02"), _rsa("2025-08")
    app = create_app({**app_config(database_url), "OAUTH_SIGNING_KEYS": json.dumps([new, old])})
    with app.app_context():
        client = app.test_client()
        published = client.get("/.well-known/jwks.json").get_json()["keys"]
        assert [k["kid"] for k in published] == ["2026-02", "2025-08"]
        assert all("d" not in k and "p" not in k for k in published)
        world = World(
            app, client, db.session(), uuid.uuid4(), uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
        )
        ensure_default_clients(world.session)
        make_user(world.session, "teacher", school=make_school(world.session), username="lærer",
                  password=PASSWORD)  # fmt: skip
        id_token = str(world.tokens()["id_token"])
        header = json.loads(base64.urlsafe_b64decode(id_token.split(".")[0] + "=="))
        assert header["kid"] == "2026-02"
        jwt.decode(id_token, RSAKey.import_key(new), algorithms=["RS256"])
        db.session.remove()
        db.engine.dispose()


def test_development_key_is_generated_once_with_mode_0600(app: APIFlask) -> None:
    from pathlib import Path

    path = Path(app.config["VAR_DIR"]) / "secrets" / "oauth-signing-key.json"
    assert path.stat().st_mode & 0o777 == 0o600
    kid = json.loads(path.read_text())["kid"]
    again = create_app({**app_config(app.config["SQLALCHEMY_DATABASE_URI"])})
    with again.app_context():
        assert again.test_client().get("/.well-known/jwks.json").get_json()["keys"][0]["kid"] == kid
        db.session.remove()
        db.engine.dispose()


def test_issue_access_token_for_tests_and_demo_data(world: World) -> None:
    from server.oauth.tokens import issue_access_token

    token = issue_access_token(world.session, world.pupil_id, method="badge")
    with world.app.test_request_context(headers={"Authorization": f"Bearer {token}"}):
        principal = current_principal()
    assert principal is not None
    assert (principal.user_id, principal.method, principal.client_id) == (
        world.pupil_id, "badge", APP_CLIENT_ID,
    )  # fmt: skip
    assert principal.scopes == frozenset({"openid", "profile", "api"})
    with pytest.raises(LookupError):
        issue_access_token(world.session, world.pupil_id, client_id="nobody")
