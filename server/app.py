"""The application factory."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import swagger_ui_bundle
from apiflask import APIFlask
from flask import send_from_directory
from flask.typing import ResponseReturnValue
from sqlalchemy import event
from sqlalchemy.engine import Engine

from server import caching, health, payments
from server.config import settings_from_env
from server.errors import case_error_body, register_error_handlers
from server.extensions import db
from server.ratelimit import limiter

DOCS_STATIC = "/api/docs/static"


def create_app(config: Mapping[str, Any] | None = None) -> APIFlask:
    """Build the app from the environment, then ``config`` on top (tests pass overrides)."""
    app = APIFlask(
        "skolehylde",
        title="Skolehylde API",
        version="0.1.0",
        spec_path="/api/openapi.json",
        docs_path="/api/docs",
    )
    app.config.from_mapping(settings_from_env())
    if config:
        app.config.from_mapping(config)
    app.json.ensure_ascii = False  # type: ignore[attr-defined]  # Danish text stays readable
    register_settings(app)
    register_extensions(app)
    register_error_handlers(app)
    register_blueprints(app)
    register_docs(app)
    return app


def register_settings(app: APIFlask) -> None:
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if uri.startswith("sqlite:///"):
        Path(uri.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    # A pre-ping finds a server connection that died while it sat in the pool; a SQLite
    # file has no server, so the ping would only cost every checkout a statement.
    app.config.setdefault(
        "SQLALCHEMY_ENGINE_OPTIONS", {"pool_pre_ping": not uri.startswith("sqlite")}
    )
    app.config.update(
        OPENAPI_VERSION="3.0.3",
        SPEC_FORMAT="json",
        JSON_SORT_KEYS=False,
        DESCRIPTION=(
            "Skolehylde: digital learning materials for Danish public schools, found by the"
            " national learning goals (Fælles Mål). Errors are"
            ' `{"error": {"code", "message", "details"}}`; the CASE provider under'
            " `/ims/case/v1p0/` answers with CASE `imsx_StatusInfo` bodies."
        ),
        SWAGGER_UI_CSS=f"{DOCS_STATIC}/swagger-ui.css",
        SWAGGER_UI_BUNDLE_JS=f"{DOCS_STATIC}/swagger-ui-bundle.js",
        SWAGGER_UI_STANDALONE_PRESET_JS=f"{DOCS_STATIC}/swagger-ui-standalone-preset.js",
        DOCS_FAVICON=f"{DOCS_STATIC}/favicon-32x32.png",
    )


def register_extensions(app: APIFlask) -> None:
    db.init_app(app)
    limiter.init_app(app)
    caching.init_app(app)
    payments.init_app(app)  # app.extensions["payments"]: PAYMENTS_BACKEND's gateway


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """SQLite: enforce foreign keys, and let readers run beside one writer (WAL)."""
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.close()


def register_blueprints(app: APIFlask) -> None:
    from server import oauth
    from server.budgets import views as budget_views
    from server.catalogue import views as catalogue_views
    from server.goals import case_views, views
    from server.identity import federated
    from server.launch import init_app as launch_init_app
    from server.licensing import views as licensing_views
    from server.organisations import views as organisation_views
    from server.purchasing import views as purchasing_views
    from server.reports import views as report_views
    from server.search import service as search_service

    app.register_blueprint(health.bp)
    app.register_blueprint(views.bp)
    app.register_blueprint(case_views.bp)
    oauth.init_app(app)  # authorization server, sign-in pages, bearer tokens
    federated.init_app(app)  # the school's identity provider (IDENTITY_BACKEND=oidc)
    organisation_views.init_app(app)  # schools, classes, rosters, badges, publishers
    catalogue_views.init_app(app)  # listings, offers, assets, review workflow, reviews
    search_service.init_app(app)  # the search index, its outbox, product search
    launch_init_app(app)  # LTI 1.3 platform, signed URL launches, assignments, use reports
    report_views.init_app(app)  # buyers' reports: spend, subsidy claim, charts
    budget_views.init_app(app)  # subsidy programmes, grants, allocations, budgets
    purchasing_views.init_app(app)  # requests, approval, orders, payments, webhooks
    licensing_views.init_app(app)  # licences, seats, trials, entitlements


def register_docs(app: APIFlask) -> None:
    """Serve the API docs' assets ourselves: schools' networks and this one have no CDN."""

    @app.get(f"{DOCS_STATIC}/<path:filename>")
    @app.doc(hide=True)
    def docs_static(filename: str) -> ResponseReturnValue:
        return send_from_directory(swagger_ui_bundle.swagger_ui_path, filename)

    @app.spec_processor
    def _case_errors(spec: Any) -> Any:
        """CASE paths answer errors with ``imsx_StatusInfo``: say so in the document."""
        sample = case_error_body(404, "")
        imsx: dict[str, Any] = {
            "type": "object",
            "required": list(sample),
            "properties": {key: {"type": "string"} for key in sample},
        }
        imsx["properties"]["imsx_codeMinor"] = {"type": "object"}
        for path, operations in spec.get("paths", {}).items():
            if not path.startswith("/ims/case/"):
                continue
            for operation in operations.values():
                for status, response in operation.get("responses", {}).items():
                    if str(status).startswith(("4", "5")):
                        response["content"] = {"application/json": {"schema": imsx}}
        return spec
