"""The launch-event queue: batches written off the hot path, kept when a write fails, spent
tokens swept once they have expired; and a tool whose keys are given as a JWKS URL."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from apiflask import APIFlask
from flask.testing import FlaskClient
from launch_world import World, run_launch, tool_key_fixture, world_fixture  # noqa: F401  (fixtures)
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.launch import events
from server.launch.events import LaunchEvent, recorder_of
from server.launch.models import LaunchEventRow, SpentTokenRow


def _event(product_id: uuid.UUID, publisher_id: uuid.UUID) -> LaunchEvent:
    return LaunchEvent(
        at=datetime.now(UTC), product_id=product_id, publisher_id=publisher_id, school_id=None,
        municipality_code=None, class_id=None, role="pupil", pseudonym=str(uuid.uuid4()),
        kind="lti", outcome="success",
    )  # fmt: skip


def _count(session: Session, model: Any) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(model)) or 0


def test_a_launch_only_queues_its_event_until_the_flush(world: World, client: FlaskClient) -> None:
    recorder = recorder_of(world.app)
    run_launch(client, world.tool(), world.token_for(world.pupil), product_id=world.product_id)
    assert recorder.pending() == 1
    assert _count(world.session, LaunchEventRow) == 0
    assert recorder.flush() == 1
    assert recorder.pending() == 0
    assert _count(world.session, LaunchEventRow) == 1


def test_a_failed_write_keeps_the_events_queued(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    recorder = recorder_of(world.app)
    for _ in range(3):
        recorder.record(_event(world.product_id, world.publisher.id))

    def broken(_batch: list[LaunchEvent]) -> None:
        raise RuntimeError("database away")

    monkeypatch.setattr(events, "_write", broken)
    with pytest.raises(RuntimeError):
        recorder.flush()
    assert recorder.pending() == 3
    monkeypatch.undo()
    assert recorder.flush() == 3
    assert _count(world.session, LaunchEventRow) == 3


def test_expired_spent_tokens_are_swept(app: APIFlask, session: Session) -> None:
    now = datetime.now(UTC)
    session.add_all([
        SpentTokenRow(jti="old", expires_at=now - timedelta(minutes=1)),
        SpentTokenRow(jti="live", expires_at=now + timedelta(minutes=4)),
    ])  # fmt: skip
    session.commit()
    recorder_of(app).flush()
    assert sorted(session.scalars(select(SpentTokenRow.jti))) == ["live"]


def test_a_deep_linking_answer_is_verified_with_the_tools_jwks_url(
    world: World, client: FlaskClient
) -> None:
    from test_deep_linking import pick_lesson

    from server.launch import operations as ops
    from server.launch.models import AssignmentRow, ToolRegistrationRow
    from server.launch.views import settings

    registration = world.session.get(ToolRegistrationRow, world.product_id)
    keys = registration.jwks
    registration.jwks, registration.jwks_url = None, "https://tool.test/jwks"
    world.session.commit()
    _, token = pick_lesson(world, client, world.tool())
    fetched: list[str] = []

    def fetch(url: str) -> dict[str, Any]:
        fetched.append(url)
        return dict(keys)

    with world.app.test_request_context():
        row = ops.deep_link_return(world.session, token, settings=settings(), fetch=fetch)
    assert fetched == ["https://tool.test/jwks"]
    assert world.session.get(AssignmentRow, row.id) is not None


def test_a_jwks_url_must_be_https() -> None:
    from server.launch.interfaces import ToolKeysUnavailable
    from server.launch.operations import fetch_jwks

    with pytest.raises(ToolKeysUnavailable):
        fetch_jwks("http://tool.example/jwks")


def test_a_launch_under_a_trial_counts_on_the_trial(world: World, client: FlaskClient) -> None:
    from launch_world import make_product

    from server.launch.models import ToolRegistrationRow
    from server.licensing.models import TrialRow

    product = make_product(world.session, world.publisher, title="På prøve")
    registration = world.session.get(ToolRegistrationRow, world.product_id)
    world.session.add(
        ToolRegistrationRow(
            product_id=product, client_id="trial-tool", deployment_id="demo-deployment-1",
            login_url=registration.login_url, launch_url=registration.launch_url,
            deep_link_url=None, jwks_url=None, jwks=registration.jwks,
            message_types=["LtiResourceLinkRequest"], share_personal_data=False,
            created_at=registration.created_at, updated_at=registration.updated_at,
        )
    )  # fmt: skip
    now = datetime.now(UTC)
    trial = TrialRow(
        id=uuid.uuid4(), product_id=product, school_id=world.school.id,
        school_class_id=world.school_class.id, started_by=world.teacher.id,
        started_at=now - timedelta(days=1), ends_at=now + timedelta(days=13), launches=0,
    )  # fmt: skip
    world.session.add(trial)
    world.session.commit()
    tool = world.tool(client_ids=["trial-tool"])
    for _ in range(2):
        steps = run_launch(client, tool, world.token_for(world.pupil), product_id=product)
        assert steps.tool_page.status_code == 200
    recorder_of(world.app).flush()
    world.session.expire_all()
    assert world.session.get(TrialRow, trial.id).launches == 2
