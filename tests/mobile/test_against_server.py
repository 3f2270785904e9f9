"""The app's client and view-models against the real server through the Flask test client
(SQLite and PostgreSQL): badge sign-in, an expired token renewed once, sign-out that revokes."""

from __future__ import annotations

import kivyenv  # noqa: F401  # Kivy headless, before anything imports it

# isort: split

from datetime import UTC, datetime, timedelta
from pathlib import Path

from apiflask import APIFlask
from sqlalchemy import update
from sqlalchemy.orm import Session

from app_fakes import flask_transport
from factories import make_class, make_school, make_user
from mobile import auth
from mobile.api import ApiClient, SignInRequired
from mobile.cache import OfflineCache
from mobile.i18n import translator
from mobile.viewmodels.base import run_now
from mobile.viewmodels.session import SessionViewModel
from server.extensions import db
from server.identity.badges import issue_badge
from server.oauth import ensure_default_clients
from server.oauth.models import OAuthTokenRow


def pupil_with_badge(session: Session) -> str:
    ensure_default_clients(session)
    school = make_school(session)
    school_class = make_class(session, school, name="2.A", grade=2)
    pupil = make_user(session, "pupil", school_class=school_class, name="Søren Ærø")
    _, code = issue_badge(session, pupil.id, issued_by=None)
    session.commit()
    return code


def test_badge_sign_in_refresh_and_sign_out_against_the_server(
    app: APIFlask, tmp_path: Path
) -> None:
    translator.lang = "da"
    code = pupil_with_badge(db.session())
    signed_out: list[bool] = []
    api = ApiClient("http://skolehylde.test", transport=flask_transport(app.test_client()))
    api.on_signed_out = lambda: signed_out.append(True)
    vm = SessionViewModel(
        api, run_now, cache=OfflineCache(tmp_path), token_store=auth.MemoryTokenStore()
    )
    vm.sign_in_with_badge(code)
    assert (vm.error, vm.signed_in, vm.is_pupil, vm.display_name) == ("", True, True, "Søren Ærø")
    tokens = api.tokens
    assert tokens is not None and tokens.method == "badge" and tokens.refresh_token

    # the access token expires: the next call renews it once and goes on
    db.session.execute(
        update(OAuthTokenRow).values(access_expires_at=datetime.now(UTC) - timedelta(seconds=1))
    )
    db.session.commit()
    assert api.me()["user"]["display_name"] == "Søren Ærø"
    assert api.tokens is not None and api.tokens.access_token != tokens.access_token
    assert signed_out == []

    # sign-out revokes at the server: the old refresh token no longer works
    renewed = api.tokens
    vm.sign_out()
    assert vm.signed_in is False and api.tokens is None
    api.tokens = renewed
    db.session.execute(
        update(OAuthTokenRow).values(access_expires_at=datetime.now(UTC) - timedelta(seconds=1))
    )
    db.session.commit()
    try:
        api.me()
    except SignInRequired as refused:
        assert refused.message == "Du er blevet logget ud. Log ind igen."
    else:
        raise AssertionError("a revoked session still worked")
    assert signed_out == [True] and api.tokens is None


def test_a_wrong_badge_is_refused_with_a_danish_message(app: APIFlask, tmp_path: Path) -> None:
    translator.lang = "da"
    pupil_with_badge(db.session())
    api = ApiClient("http://skolehylde.test", transport=flask_transport(app.test_client()))
    vm = SessionViewModel(
        api, run_now, cache=OfflineCache(tmp_path), token_store=auth.MemoryTokenStore()
    )
    vm.sign_in_with_badge("SKH-not-a-real-badge")
    assert (vm.signed_in, vm.error) == (False, "Login lykkedes ikke. Tjek koden og prøv igen.")
    assert api.tokens is None
