"""The OpenAPI document covers every JSON endpoint, and the API keeps to it (schemathesis)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import schemathesis
from apiflask import APIFlask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, settings

from learning_goals.case import read_case_package
from learning_goals.faelles_maal import load_shipped_frameworks
from server.app import create_app
from server.extensions import db
from server.goals.operations import import_package

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "case"
NOT_JSON = {
    "/api/docs",
    "/api/openapi.json",
    "/api/docs/static/<path:filename>",
    "/static/<path:filename>",
    "/docs/oauth2-redirect",
    # HTML pages of the sign-in flow (a browser's, not an API client's)
    "/oauth/authorize",
    "/login",
    "/logout",
    # the browser's steps of a launch (issue 6): one-time URL, LTI authorization, deep
    # linking return, an assignment's QR code
    "/launch/<token>",
    "/lti/authorize",
    "/lti/deep-link/return",
    "/open/a/<uuid:assignment_id>",
    "/open/p/<uuid:product_id>",
}


def _openapi_path(rule: str) -> str:
    return re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule)


def test_every_route_is_in_the_openapi_document(app: APIFlask, client: FlaskClient) -> None:
    spec = client.get("/api/openapi.json").get_json()
    documented = set(spec["paths"])
    routes = {
        _openapi_path(rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.rule not in NOT_JSON and not rule.rule.startswith("/api/docs")
    }
    assert routes - documented == set()
    assert spec["openapi"] == "3.0.3"


def test_docs_page_uses_local_assets(client: FlaskClient) -> None:
    page = client.get("/api/docs").get_data(as_text=True)
    assert "/api/docs/static/swagger-ui-bundle.js" in page
    assert "cdn." not in page
    with client.get("/api/docs/static/swagger-ui-bundle.js") as asset:
        assert asset.status_code == 200
        assert len(asset.data) > 100_000


@pytest.fixture
def loaded_app(app: APIFlask) -> APIFlask:
    """The app with real data in it, so generated requests also reach existing objects."""
    for package in load_shipped_frameworks():
        import_package(db.session, package)
    for name in ("opensalt_smartlevel-test.json", "opensalt_what-standards-could-be_20c5134f.json"):
        import_package(db.session, read_case_package((FIXTURES / name).read_bytes()))
    return app


def _document() -> dict[str, object]:
    """The OpenAPI document, as the app generates it (no database is touched)."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "spec-only"})
    return app.test_client().get("/api/openapi.json").get_json()


schema = schemathesis.openapi.from_dict(_document())


@schema.parametrize()
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_api_keeps_to_its_openapi_document(loaded_app: APIFlask, case: schemathesis.Case) -> None:
    """No 5xx, no response that breaks the document, for every operation (on both databases)."""
    # Compression has its own test (test_caching.py); the WSGI transport does not decode it.
    case.call_and_validate(app=loaded_app, headers={"Accept-Encoding": "identity"})
