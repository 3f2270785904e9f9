"""A launch world: a school with a class, a pupil and a teacher, a publisher whose published
product is registered with the demo tool (``pylti1p3``, its own Flask app), goal tags, and a
class licence. The tool gets the platform's keys inline, so nothing is fetched.

Test modules import the fixtures by their function names (``tool_key_fixture``,
``world_fixture``): a ``conftest.py`` here would shadow the root one for ``from conftest
import …`` elsewhere in the suite."""

from __future__ import annotations

import html
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from apiflask import APIFlask
from flask import Flask
from flask.testing import FlaskClient
from joserfc.jwk import RSAKey
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from factories import make_class, make_publisher, make_school, make_user
from learning_goals.case import read_case_package
from server.demo_tool import create_tool_app, registration_for
from server.goals.operations import import_package
from server.launch.events import recorder_of
from server.launch.models import LaunchEventRow
from server.launch.operations import save_registration
from server.licensing.models import LicenceRow
from server.oauth import keys
from server.organisations.models import PublisherRow, SchoolClassRow, SchoolRow, UserRow

TOOL = "https://tool.test"
CASE_FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "case"
FIELD = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)"')
ACTION = re.compile(r'<form id="[^"]*" (?:method="post" )?action="([^"]+)"')


@pytest.fixture(scope="session", name="tool_key")
def tool_key_fixture() -> RSAKey:
    return RSAKey.generate_key(2048, {"alg": "RS256", "use": "sig"}, auto_kid=True)


@dataclass
class World:
    app: APIFlask
    session: Session
    school: SchoolRow
    school_class: SchoolClassRow
    pupil: UserRow
    teacher: UserRow
    buyer: UserRow
    publisher: PublisherRow
    product_id: uuid.UUID
    goal_ids: list[uuid.UUID]
    licence_id: uuid.UUID
    tool_key: RSAKey
    token_for: Callable[[UserRow], str]

    def tool(self, *, client_ids: list[str] | None = None) -> FlaskClient:
        app: Flask = create_tool_app(
            {
                "PLATFORM_ISSUER": self.app.config["PUBLIC_BASE_URL"],
                "PLATFORM_KEY_SET": keys.jwks(),
                "TOOL_KEY": self.tool_key,
                "CLIENTS": [(c, "demo-deployment-1") for c in client_ids or [client_id("brok")]],
                "TOOL_BASE_URL": TOOL,
            }
        )
        return app.test_client()

    def events(self, outcome: str | None = None) -> list[LaunchEventRow]:
        recorder_of(self.app).flush()
        self.session.expire_all()
        query = select(LaunchEventRow)
        if outcome:
            query = query.where(LaunchEventRow.outcome == outcome)
        return list(self.session.scalars(query))

    def count(self, model: Any) -> int:
        self.session.expire_all()
        return self.session.scalar(select(func.count()).select_from(model)) or 0


def client_id(key: str) -> str:
    return f"skolehylde-demo-{key}"


def make_product(
    session: Session,
    publisher: PublisherRow,
    *,
    title: str = "Brøkbanden",
    launch: dict[str, str] | None = None,
    goal_ids: list[uuid.UUID] = (),  # type: ignore[assignment]
) -> uuid.UUID:
    from catalogue.validation import validate_offer
    from server.catalogue import operations as catalogue_ops

    listing = catalogue_ops.check_listing(
        session,
        {
            "title": title,
            "description": "Opgaver med brøker.",
            "subjects": ["matematik"],
            "grades": [4, 5],
            "languages": ["da"],
            "media_types": ["interactive"],
            "platforms": ["web"],
            "launch": launch or {"kind": "lti", "url": f"{TOOL}/lti/launch/brok"},
            "data_processing_agreement_url": "https://forlag.example/dpa.pdf",
            "goal_ids": [str(g) for g in goal_ids],
        },
    )
    product = catalogue_ops.new_product_row(session, publisher.id, listing)
    catalogue_ops.new_offer_row(
        session, product, validate_offer({"licence_type": "class", "period": "school_year",
                                          "price_ore": 49900})
    )  # fmt: skip
    product.status = "published"
    session.commit()
    return product.id


def make_licence(
    session: Session, product_id: uuid.UUID, school_class: SchoolClassRow, school: SchoolRow,
    *, valid_until: datetime | None = None,
) -> uuid.UUID:  # fmt: skip
    now = datetime.now(UTC)
    licence = LicenceRow(
        id=uuid.uuid4(), order_id=None, product_id=product_id, licence_type="class",
        municipality_code=school.municipality_code, school_id=school.id,
        school_class_id=school_class.id, school_year="2026/27", seats=None,
        valid_from=now - timedelta(days=30), valid_until=valid_until or now + timedelta(days=200),
        status="active", revoked_at=None, created_at=now,
    )  # fmt: skip
    session.add(licence)
    session.commit()
    return licence.id


@pytest.fixture(name="world")
def world_fixture(
    app: APIFlask, session: Session, token_for: Callable[[UserRow], str], tool_key: RSAKey
) -> World:
    package = read_case_package((CASE_FIXTURE / "opensalt_smartlevel-test.json").read_text())
    import_package(session, package)
    goal_ids = [goal.id for goal in package.goals[1:3]]
    school = make_school(session, "751", "Bakkeskolen")
    school_class = make_class(session, school, "4.B", 4)
    publisher = make_publisher(session, "Forlaget Brøk")
    product_id = make_product(session, publisher, goal_ids=goal_ids)
    save_registration(session, product_id, registration_for("brok", tool_key, TOOL))
    return World(
        app=app,
        session=session,
        school=school,
        school_class=school_class,
        pupil=make_user(session, "pupil", school_class=school_class, name="Emil Elev"),
        teacher=make_user(
            session, "teacher", school=school, name="Lise Lærer", email="lise@skole.example"
        ),
        buyer=make_user(session, "municipal_buyer", municipality_code="751", name="Ida"),
        publisher=publisher,
        product_id=product_id,
        goal_ids=goal_ids,
        licence_id=make_licence(session, product_id, school_class, school),
        tool_key=tool_key,
        token_for=token_for,
    )


def form(response: Any) -> tuple[str, dict[str, str]]:
    """The action and hidden fields of an auto-submitting form page."""
    text = response.get_data(as_text=True)
    action = ACTION.search(text)
    assert action is not None, text
    return html.unescape(action.group(1)), {
        html.unescape(k): html.unescape(v) for k, v in FIELD.findall(text)
    }


def ask_launch(platform: FlaskClient, token: str, **body: Any) -> Any:
    return platform.post(
        "/api/v1/launches",
        json={k: str(v) if isinstance(v, uuid.UUID) else v for k, v in body.items()},
        headers={"Authorization": f"Bearer {token}"},
    )


@dataclass
class Steps:
    """Each HTTP answer of one launch, for tests that stop (or tamper) part-way."""

    launch_url: str
    login: Any = None  # our one-time URL's page (posts to the tool's login initiation)
    authorize_url: str | None = None  # where the tool sent the browser
    authorized: Any = None  # our authorization answer (posts the id_token)
    tool_page: Any = None


def run_launch(
    platform: FlaskClient,
    tool: FlaskClient,
    token: str,
    *,
    tamper: Callable[[str, dict[str, str]], None] | None = None,
    **body: Any,
) -> Steps:
    """The whole launch over HTTP: app → one-time URL → tool login → our authorize → tool."""
    asked = ask_launch(platform, token, **body)
    assert asked.status_code == 201, asked.get_data(as_text=True)
    steps = Steps(asked.get_json()["url"])
    steps.login = platform.get(steps.launch_url)
    assert steps.login.status_code == 200, steps.login.get_data(as_text=True)
    action, fields = form(steps.login)
    if tamper:
        tamper("login", fields)
    initiated = tool.post(action, data=fields)
    assert initiated.status_code == 302, initiated.get_data(as_text=True)
    steps.authorize_url = initiated.headers["Location"]
    if tamper:
        box = {"url": steps.authorize_url}
        tamper("authorize_url", box)
        steps.authorize_url = box["url"]
    steps.authorized = platform.get(steps.authorize_url)
    if steps.authorized.status_code != 200:
        return steps
    action, fields = form(steps.authorized)
    if tamper:
        tamper("id_token", fields)
    steps.tool_page = tool.post(action, data=fields)
    return steps
