"""Deep Linking 2.0 round trip with pylti1p3 as the tool, assignments, and their QR codes.

A teacher opens the tool in selection mode (LtiDeepLinkingRequest, validated by pylti1p3),
picks a lesson; the tool posts back a signed LtiDeepLinkingResponse, which we verify with the
tool's keys (inline JWKS) and save as an assignment of the class; the class's pupils then
launch that exact lesson. Bad signatures, unregistered deployments, replays: refused, nothing
saved.
"""

from __future__ import annotations

import io
import time
import uuid
from typing import Any

import zxingcpp
from flask.testing import FlaskClient
from joserfc import jwt
from joserfc.jwk import RSAKey
from launch_world import (  # noqa: F401  (fixtures)
    TOOL,
    World,
    ask_launch,
    client_id,
    form,
    run_launch,
    tool_key_fixture,
    world_fixture,
)
from PIL import Image

from factories import make_class, make_school, make_user
from server.launch import lti
from server.launch.models import AssignmentRow


def pick_lesson(world: World, client: FlaskClient, tool: FlaskClient) -> tuple[Any, str]:
    """The teacher's selection launch up to the tool's signed answer: (form page, JWT)."""
    steps = run_launch(client, tool, world.token_for(world.teacher), product_id=world.product_id,
                       school_class_id=world.school_class.id, select_content=True)  # fmt: skip
    page = steps.tool_page
    assert page.status_code == 200, page.get_data(as_text=True)
    assert "Vælg en lektion" in page.get_data(as_text=True)
    claims = _claims(form(steps.authorized)[1]["id_token"])
    assert claims[lti.MESSAGE_TYPE] == "LtiDeepLinkingRequest"
    settings = claims[lti.DEEP_LINKING_SETTINGS]
    assert settings["deep_link_return_url"].endswith("/lti/deep-link/return")
    assert settings["accept_types"] == ["ltiResourceLink"]
    text = page.get_data(as_text=True)
    launch_id = text.split('name="launch_id" value="', 1)[1].split('"', 1)[0]
    picked = tool.post("/lti/pick", data={"launch_id": launch_id, "lesson": "2"})
    assert picked.status_code == 200
    html = picked.get_data(as_text=True)
    action = html.split('action="', 1)[1].split('"', 1)[0]
    assert action == f"{world.app.config['PUBLIC_BASE_URL']}/lti/deep-link/return"
    token = html.split('name="JWT" value="', 1)[1].split('"', 1)[0]
    return picked, token


def _claims(token: str) -> dict[str, Any]:
    import base64
    import json

    part = token.split(".")[1]
    data: dict[str, Any] = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    return data


def test_a_teacher_picks_a_lesson_and_the_pupils_open_exactly_it(
    world: World, client: FlaskClient
) -> None:
    tool = world.tool()
    _, token = pick_lesson(world, client, tool)
    saved = client.post("/lti/deep-link/return", data={"JWT": token})
    assert saved.status_code == 201, saved.get_data(as_text=True)
    assert "Lektion 2: Øv dig med en makker" in saved.get_data(as_text=True)
    [row] = world.session.query(AssignmentRow).all()
    assert (row.class_id, row.product_id) == (world.school_class.id, world.product_id)
    assert row.url == f"{TOOL}/lti/launch/brok/lektion-2"
    assert row.custom == {"lesson": "2"}
    assert row.created_by == world.teacher.id

    pupil_token = world.token_for(world.pupil)
    mine = client.get("/api/v1/me/assignments", headers={"Authorization": f"Bearer {pupil_token}"})
    assert mine.status_code == 200
    [item] = mine.get_json()["items"]
    assert item["id"] == str(row.id)
    assert item["lesson_title"] == "Lektion 2: Øv dig med en makker"
    assert item["title"] == "Brøkbanden"
    assert item["school_class_id"] == str(world.school_class.id)

    steps = run_launch(client, tool, pupil_token, assignment_id=row.id)
    assert steps.tool_page.status_code == 200
    text = steps.tool_page.get_data(as_text=True)
    assert "Lektion 2: Øv dig med en makker" in text
    claims = _claims(form(steps.authorized)[1]["id_token"])
    assert claims[lti.TARGET_LINK_URI] == f"{TOOL}/lti/launch/brok/lektion-2"
    assert claims[lti.RESOURCE_LINK]["id"] == str(row.id)
    assert claims[lti.CUSTOM]["lesson"] == "2"

    replay = client.post("/lti/deep-link/return", data={"JWT": token})
    assert replay.status_code == 410
    assert world.count(AssignmentRow) == 1


def test_a_deep_linking_answer_with_a_bad_signature_saves_nothing(
    world: World, client: FlaskClient
) -> None:
    _, token = pick_lesson(world, client, world.tool())
    claims = _claims(token)
    stranger = RSAKey.generate_key(2048, {"alg": "RS256"}, auto_kid=True)
    forged = jwt.encode({"alg": "RS256", "kid": world.tool_key.kid}, claims, stranger)
    answer = client.post("/lti/deep-link/return", data={"JWT": forged})
    assert answer.status_code == 400
    assert "invalid_signature" in answer.get_data(as_text=True)
    assert world.count(AssignmentRow) == 0


def test_a_deep_linking_answer_from_an_unregistered_deployment_saves_nothing(
    world: World, client: FlaskClient
) -> None:
    _, token = pick_lesson(world, client, world.tool())
    claims = dict(_claims(token), **{lti.DEPLOYMENT_ID: "deployment-nobody-registered"})
    resigned = jwt.encode({"alg": "RS256", "kid": world.tool_key.kid}, claims, world.tool_key)
    answer = client.post("/lti/deep-link/return", data={"JWT": resigned})
    assert answer.status_code == 400
    assert "deployment_id" in answer.get_data(as_text=True)
    assert world.count(AssignmentRow) == 0


def test_a_deep_linking_answer_that_is_expired_or_for_another_platform_saves_nothing(
    world: World, client: FlaskClient
) -> None:
    _, token = pick_lesson(world, client, world.tool())
    key = world.tool_key
    for change in ({"exp": int(time.time()) - 120}, {"aud": ["https://other.example"]}):
        claims = dict(_claims(token), **change)
        answer = client.post(
            "/lti/deep-link/return",
            data={"JWT": jwt.encode({"alg": "RS256", "kid": key.kid}, claims, key)},
        )
        assert answer.status_code == 400
    unknown = dict(_claims(token), iss="not-registered")
    answer = client.post(
        "/lti/deep-link/return",
        data={"JWT": jwt.encode({"alg": "RS256", "kid": key.kid}, unknown, key)},
    )
    assert answer.status_code == 400
    assert "unknown_tool" in answer.get_data(as_text=True)
    assert world.count(AssignmentRow) == 0


def test_only_teachers_of_the_class_may_pick_lessons(world: World, client: FlaskClient) -> None:
    refused = ask_launch(
        client,
        world.token_for(world.pupil),
        product_id=world.product_id,
        school_class_id=world.school_class.id,
        select_content=True,
    )
    assert refused.status_code == 403
    elsewhere = make_user(world.session, "teacher", school=make_school(world.session, "461"))
    foreign = ask_launch(
        client,
        world.token_for(elsewhere),
        product_id=world.product_id,
        school_class_id=world.school_class.id,
        select_content=True,
    )
    assert foreign.status_code == 404


def _assignment(world: World) -> AssignmentRow:
    from datetime import UTC, datetime

    row = AssignmentRow(
        id=uuid.uuid4(), class_id=world.school_class.id, product_id=world.product_id,
        lesson_title="Lektion 1", url=f"{TOOL}/lti/launch/brok/lektion-1", custom={},
        created_by=world.teacher.id, created_at=datetime.now(UTC),
    )  # fmt: skip
    world.session.add(row)
    world.session.commit()
    return row


def test_the_qr_code_opens_the_assignment_after_sign_in(world: World, client: FlaskClient) -> None:
    row = _assignment(world)
    headers = {"Authorization": f"Bearer {world.token_for(world.teacher)}"}
    qr = client.get(f"/api/v1/assignments/{row.id}/qr.png", headers=headers)
    assert qr.status_code == 200
    assert qr.mimetype == "image/png"
    [code] = zxingcpp.read_barcodes(Image.open(io.BytesIO(qr.data)))
    base = world.app.config["PUBLIC_BASE_URL"]
    assert code.text == f"{base}/open/a/{row.id}"

    opened = client.get(f"/open/a/{row.id}")
    assert opened.status_code == 303
    assert opened.headers["Location"] == f"/login?next=/open/a/{row.id}"
    with client.session_transaction() as browser:
        browser["user_id"] = str(world.pupil.id)
    signed_in = client.get(f"/open/a/{row.id}")
    assert signed_in.status_code == 303
    assert signed_in.headers["Location"].startswith(f"{base}/launch/")
    page = client.get(signed_in.headers["Location"])
    action, fields = form(page)
    assert action == f"{TOOL}/lti/login"
    assert fields["client_id"] == client_id("brok")
    assert fields["target_link_uri"] == f"{TOOL}/lti/launch/brok/lektion-1"


def test_a_pupil_of_another_class_cannot_see_the_qr_code_or_open_the_assignment(
    world: World, client: FlaskClient
) -> None:
    row = _assignment(world)
    other = make_user(
        world.session, "pupil", school_class=make_class(world.session, world.school, "5.C", 5)
    )
    headers = {"Authorization": f"Bearer {world.token_for(other)}"}
    assert client.get(f"/api/v1/assignments/{row.id}/qr.png", headers=headers).status_code == 403
    assert ask_launch(client, world.token_for(other), assignment_id=row.id).status_code == 403
    assert client.get("/api/v1/me/assignments", headers=headers).get_json() == {"items": []}


def test_a_teacher_in_a_browser_opens_the_tool_in_selection_mode(
    world: World, client: FlaskClient
) -> None:
    path = f"/open/p/{world.product_id}?select={world.school_class.id}"
    first = client.get(path)
    assert first.status_code == 303
    assert first.headers["Location"] == (
        f"/login?next=/open/p/{world.product_id}%3Fselect%3D{world.school_class.id}"
    )
    with client.session_transaction() as browser:
        browser["user_id"] = str(world.teacher.id)
    opened = client.get(path)
    assert opened.status_code == 303
    action, fields = form(client.get(opened.headers["Location"]))
    assert action == f"{TOOL}/lti/login"
    assert fields["target_link_uri"] == f"{TOOL}/lti/launch/brok"
    assert client.get(f"/open/p/{world.product_id}?select=nope").status_code == 400
