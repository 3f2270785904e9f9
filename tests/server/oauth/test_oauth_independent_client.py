"""An independent OAuth client (Authlib's requests client, plain requests) against the app
served over real HTTP on 127.0.0.1: discovery, code + PKCE S256, userinfo, id_token signature
against our JWKS, refresh with rotation and reuse detection, revocation, client credentials.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from apiflask import APIFlask
from authlib.integrations.requests_client import OAuth2Session
from joserfc import jwt
from joserfc.jwk import KeySet
from sqlalchemy.orm import Session
from werkzeug.serving import make_server

from conftest import test_config as app_config
from factories import make_publisher, make_school, make_user
from server.app import create_app
from server.extensions import db
from server.oauth import APP_CLIENT_ID, ensure_default_clients, register_client

PASSWORD = "korrekt hest batteri"
REDIRECT = "http://127.0.0.1:53682/callback"


@pytest.fixture
def served(database_url: str) -> Iterator[tuple[str, APIFlask]]:
    """The real app on a free loopback port, with its issuer set to that address."""
    probe = make_server("127.0.0.1", 0, lambda env, start: [])
    port = probe.server_port
    probe.server_close()
    base = f"http://127.0.0.1:{port}"
    app = create_app({**app_config(database_url), "PUBLIC_BASE_URL": base})
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield base, app
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
        with app.app_context():
            db.engine.dispose()


@pytest.fixture
def teacher(served: tuple[str, APIFlask]) -> str:
    _, app = served
    with app.app_context():
        session: Session = db.session()
        ensure_default_clients(session)
        user = make_user(
            session, "teacher", school=make_school(session), name="Lars Lærer",
            username="lærer", password=PASSWORD, email="lars@skole.dk",
        )  # fmt: skip
        user_id = str(user.id)
        db.session.remove()
    return user_id


def browser_sign_in_and_authorize(base: str, authorize_url: str) -> str:
    """Act as the browser: the sign-in form, then the redirect to the (unserved) loopback."""
    browser = requests.Session()
    page = browser.get(authorize_url, allow_redirects=False, timeout=10)
    assert page.status_code == 200 and "<h1>Log ind</h1>" in page.text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    next_url = re.search(r'name="next" value="([^"]+)"', page.text)
    assert csrf is not None and next_url is not None
    signed_in = browser.post(
        f"{base}/login",
        data={
            "username": "lærer",
            "password": PASSWORD,
            "csrf_token": csrf.group(1),
            "next": next_url.group(1).replace("&amp;", "&"),
        },
        allow_redirects=False,
        timeout=10,
    )
    assert signed_in.status_code == 303
    assert signed_in.headers["Location"].startswith("/oauth/authorize?")
    back = browser.get(base + signed_in.headers["Location"], allow_redirects=False, timeout=10)
    assert back.status_code == 302
    location = back.headers["Location"]
    assert location.startswith(REDIRECT + "?code=")
    return location


def test_code_pkce_refresh_revoke_against_our_discovery(
    served: tuple[str, APIFlask], teacher: str
) -> None:
    base, _ = served
    discovery = requests.get(f"{base}/.well-known/openid-configuration", timeout=10).json()
    assert discovery["issuer"] == base
    assert discovery["code_challenge_methods_supported"] == ["S256"]

    oauth = OAuth2Session(
        APP_CLIENT_ID,
        scope="openid profile email api",
        redirect_uri=REDIRECT,
        code_challenge_method="S256",
        token_endpoint_auth_method="none",
    )
    verifier = "v" * 20 + "erifier-0123456789-abcdefghijklmnop"
    url, state = oauth.create_authorization_url(
        discovery["authorization_endpoint"], code_verifier=verifier, nonce="nonce-1"
    )
    assert "code_challenge=" in url and "code_challenge_method=S256" in url
    location = browser_sign_in_and_authorize(base, url)
    assert parse_qs(urlsplit(location).query)["state"] == [state]

    token = oauth.fetch_token(
        discovery["token_endpoint"], authorization_response=location, code_verifier=verifier
    )
    assert token["token_type"] == "Bearer"
    assert token["expires_in"] == 600
    assert set(token["scope"].split()) == {"openid", "profile", "email", "api"}

    info = oauth.get(discovery["userinfo_endpoint"], timeout=10)
    assert info.status_code == 200
    assert info.json()["sub"] == teacher
    assert info.json()["email"] == "lars@skole.dk"

    keyset = KeySet.import_key_set(requests.get(discovery["jwks_uri"], timeout=10).json())
    claims = jwt.decode(token["id_token"], keyset, algorithms=["RS256"]).claims
    jwt.JWTClaimsRegistry(
        iss={"essential": True, "value": base},
        aud={"essential": True, "value": APP_CLIENT_ID},
        sub={"essential": True, "value": teacher},
        nonce={"essential": True, "value": "nonce-1"},
    ).validate(claims)

    old_refresh = token["refresh_token"]
    fresh = oauth.refresh_token(discovery["token_endpoint"], refresh_token=old_refresh)
    assert fresh["refresh_token"] != old_refresh
    assert oauth.get(discovery["userinfo_endpoint"], timeout=10).status_code == 200

    reused = requests.post(
        discovery["token_endpoint"],
        data={
            "grant_type": "refresh_token",
            "refresh_token": old_refresh,
            "client_id": APP_CLIENT_ID,
        },
        timeout=10,
    )
    assert (reused.status_code, reused.json()["error"]) == (400, "invalid_grant")
    # reuse revoked the family: the new pair is dead too
    dead = oauth.get(discovery["userinfo_endpoint"], timeout=10)
    assert dead.status_code == 401
    assert dead.headers["WWW-Authenticate"] == 'Bearer realm="skolehylde", error="invalid_token"'
    again = requests.post(
        discovery["token_endpoint"],
        data={
            "grant_type": "refresh_token",
            "refresh_token": fresh["refresh_token"],
            "client_id": APP_CLIENT_ID,
        },
        timeout=10,
    )
    assert again.json()["error"] == "invalid_grant"


def test_revocation_with_the_independent_client(served: tuple[str, APIFlask], teacher: str) -> None:
    base, _ = served
    oauth = OAuth2Session(
        APP_CLIENT_ID, scope="openid api", redirect_uri=REDIRECT, code_challenge_method="S256",
        token_endpoint_auth_method="none",
    )  # fmt: skip
    verifier = "x" * 64
    url, _ = oauth.create_authorization_url(f"{base}/oauth/authorize", code_verifier=verifier)
    location = browser_sign_in_and_authorize(base, url)
    token = oauth.fetch_token(
        f"{base}/oauth/token", authorization_response=location, code_verifier=verifier
    )
    response = oauth.revoke_token(
        f"{base}/oauth/revoke", token=token["access_token"], token_type_hint="access_token"
    )
    assert (response.status_code, response.json()) == (200, {})
    refused = requests.get(
        f"{base}/oauth/userinfo",
        headers={"Authorization": f"Bearer {token['access_token']}"},
        timeout=10,
    )
    assert (refused.status_code, refused.json()["error"]) == (401, "invalid_token")


def test_public_client_without_pkce_is_refused_at_authorize(
    served: tuple[str, APIFlask], teacher: str
) -> None:
    base, _ = served
    oauth = OAuth2Session(APP_CLIENT_ID, scope="openid", redirect_uri=REDIRECT)
    url, state = oauth.create_authorization_url(f"{base}/oauth/authorize")
    assert "code_challenge" not in url
    response = requests.get(url, allow_redirects=False, timeout=10)
    assert response.status_code == 302
    query = parse_qs(urlsplit(response.headers["Location"]).query)
    assert query["error"] == ["invalid_request"]
    assert query["state"] == [state]


def test_client_credentials_for_a_publisher(served: tuple[str, APIFlask]) -> None:
    base, app = served
    with app.app_context():
        session: Session = db.session()
        publisher = make_publisher(session)
        row, secret = register_client(
            session, name="Forlagets lager", grant_types=("client_credentials",),
            scope="publisher", publisher_id=publisher.id,
        )  # fmt: skip
        session.commit()
        client_id = row.client_id
        db.session.remove()
    oauth = OAuth2Session(client_id, secret, scope="publisher")
    token = oauth.fetch_token(f"{base}/oauth/token", grant_type="client_credentials")
    assert token["token_type"] == "Bearer"
    assert token["scope"] == "publisher"
    assert "refresh_token" not in token
    response = requests.post(
        f"{base}/oauth/token", data={"grant_type": "client_credentials"},
        auth=(client_id, "not the secret"), timeout=10,
    )  # fmt: skip
    assert (response.status_code, response.json()["error"]) == (401, "invalid_client")
