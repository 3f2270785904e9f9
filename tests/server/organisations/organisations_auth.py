"""Real bearer tokens for the organisation tests: our OAuth server, code + PKCE over HTTP.

No fake principal loader: the user signs in on our sign-in page, our app client runs the
authorization code flow with PKCE, and the API sees the access token our token endpoint
issued, through the bearer loader the OAuth package registers.
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from urllib.parse import parse_qs, urlencode, urlsplit

from apiflask import APIFlask
from sqlalchemy.orm import Session

from server.identity.passwords import set_password
from server.oauth import APP_CLIENT_ID, ensure_default_clients
from server.organisations.models import UserRow

PASSWORD = "roster-test-password"
REDIRECT_URI = "http://127.0.0.1:53682/callback"


def bearer(app: APIFlask, session: Session, user: UserRow) -> dict[str, str]:
    """``Authorization`` headers with a fresh access token for ``user``."""
    ensure_default_clients(session)
    if user.username is None:
        user.username = f"user-{user.id.hex[:12]}"
    set_password(session, user, PASSWORD)
    session.commit()
    browser = app.test_client()  # its own cookies: the API client stays cookie-free
    page = browser.get("/login").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert csrf is not None, page
    signed_in = browser.post(
        "/login",
        data={"username": user.username, "password": PASSWORD, "next": "",
              "csrf_token": csrf.group(1)},
    )  # fmt: skip
    assert signed_in.status_code in {302, 303}, signed_in.get_data(as_text=True)
    verifier = secrets.token_urlsafe(48)
    challenge = (
        base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    )
    query = {
        "response_type": "code",
        "client_id": APP_CLIENT_ID,
        "redirect_uri": REDIRECT_URI,
        "scope": "openid profile api",
        "state": "s",
        "nonce": secrets.token_urlsafe(8),
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    authorized = browser.get("/oauth/authorize?" + urlencode(query))
    assert authorized.status_code == 302, authorized.get_data(as_text=True)
    code = parse_qs(urlsplit(authorized.headers["Location"]).query)["code"][0]
    token = browser.post(
        "/oauth/token",
        data={"grant_type": "authorization_code", "code": code, "code_verifier": verifier,
              "redirect_uri": REDIRECT_URI, "client_id": APP_CLIENT_ID},
    )  # fmt: skip
    assert token.status_code == 200, token.get_data(as_text=True)
    return {"Authorization": f"Bearer {token.get_json()['access_token']}"}
