"""LTI 1.3 resource link launches, end to end over HTTP, with pylti1p3 as the tool.

The app asks for a launch → the one-time URL posts to the tool's login initiation → the tool
(pylti1p3) sends the browser to our authorization endpoint → we post the signed id_token →
the tool validates it (state, nonce, signature with our JWKS given inline, registration,
deployment, message) and shows the claims. Refusals: no entitlement, an expired licence, an
unknown product, a replayed one-time URL or authorization, a tampered or expired hint, a
reused nonce, a wrong state — none recorded as a successful launch.
"""

from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from joserfc import jwt
from joserfc.jwk import KeySet
from launch_world import (  # noqa: F401  (fixtures)
    TOOL,
    World,
    ask_launch,
    form,
    make_licence,
    make_product,
    run_launch,
    tool_key_fixture,
    world_fixture,
)
from sqlalchemy import select

from factories import make_class, make_school, make_user
from server.identity.pseudonyms import pairwise_subject
from server.launch import lti
from server.launch.models import LaunchEventRow, PublisherSubjectRow, SpentTokenRow


def claims_of(id_token: str) -> dict[str, Any]:
    payload = id_token.split(".")[1]
    import base64

    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def test_pupil_launch_is_accepted_by_pylti1p3_with_every_claim(
    world: World, client: FlaskClient
) -> None:
    tool = world.tool()
    steps = run_launch(client, tool, world.token_for(world.pupil), product_id=world.product_id)

    page = steps.tool_page
    assert page.status_code == 200, page.get_data(as_text=True)
    text = page.get_data(as_text=True)
    sub = pairwise_subject(
        world.app.config["PSEUDONYM_KEY"].encode(), world.pupil.id, world.publisher.id
    )
    assert "Demoværktøjet er åbnet" in text
    assert '<dd id="role">Learner (elev)</dd>' in text
    assert f"<code>{sub}</code>" in text
    assert "Bakkeskolen 4.B" in text
    assert "Emil" not in text  # the agreement does not allow names (the default)

    _, fields = form(steps.authorized)
    claims = claims_of(fields["id_token"])
    base = world.app.config["PUBLIC_BASE_URL"]
    assert claims["iss"] == base
    assert claims["aud"] == "skolehylde-demo-brok"
    assert claims["sub"] == sub
    assert claims["exp"] - claims["iat"] == 300
    assert claims[lti.MESSAGE_TYPE] == "LtiResourceLinkRequest"
    assert claims[lti.VERSION] == "1.3.0"
    assert claims[lti.DEPLOYMENT_ID] == "demo-deployment-1"
    assert claims[lti.TARGET_LINK_URI] == f"{TOOL}/lti/launch/brok"
    assert claims[lti.ROLES] == ["http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"]
    assert claims[lti.CONTEXT] == {
        "id": str(world.school_class.id),
        "label": "4.B",
        "title": "Bakkeskolen 4.B",
        "type": ["http://purl.imsglobal.org/vocab/lis/v2/course#CourseOffering"],
    }
    goal_uris = [f"{base}/ims/case/v1p0/CFItems/{goal}" for goal in world.goal_ids]
    assert claims[lti.LEARNING_GOALS] == goal_uris
    assert claims[lti.CUSTOM] == {"learning_goals": " ".join(goal_uris)}
    assert claims[lti.RESOURCE_LINK]["title"] == "Brøkbanden"
    assert "name" not in claims and "email" not in claims
    header = json.loads(
        __import__("base64").urlsafe_b64decode(fields["id_token"].split(".")[0] + "==")
    )
    assert header["alg"] == "RS256"
    jwks = client.get("/.well-known/jwks.json").get_json()
    assert header["kid"] in [key["kid"] for key in jwks["keys"]]
    jwt.decode(fields["id_token"], KeySet.import_key_set(jwks))  # our published keys verify it

    events = world.events()
    assert len(events) == 1
    event = events[0]
    assert (event.outcome, event.kind, event.role) == ("success", "lti", "pupil")
    assert (event.product_id, event.school_id, event.class_id) == (
        world.product_id, world.school.id, world.school_class.id,
    )  # fmt: skip
    assert event.municipality_code == "751"
    assert event.pseudonym not in {str(world.pupil.id), sub}
    subject = world.session.get(PublisherSubjectRow, (world.publisher.id, sub))
    assert subject is not None and subject.user_id == world.pupil.id


def test_a_teacher_is_an_instructor_and_names_go_only_where_the_agreement_allows(
    world: World, client: FlaskClient
) -> None:
    from server.launch.models import ToolRegistrationRow

    world.session.get(ToolRegistrationRow, world.product_id).share_personal_data = True
    world.session.commit()
    make_licence(world.session, world.product_id, world.school_class, world.school)
    steps = run_launch(
        client, world.tool(), world.token_for(world.teacher),
        product_id=world.product_id, school_class_id=world.school_class.id,
    )  # fmt: skip
    assert steps.tool_page.status_code == 200
    assert "Instructor (lærer)" in steps.tool_page.get_data(as_text=True)
    claims = claims_of(form(steps.authorized)[1]["id_token"])
    assert claims[lti.ROLES] == ["http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"]
    assert (claims["name"], claims["email"]) == ("Lise Lærer", "lise@skole.example")


def test_no_entitlement_is_refused_with_the_danish_reason(
    world: World, client: FlaskClient
) -> None:
    other = make_product(world.session, world.publisher, title="Uden licens")
    response = ask_launch(client, world.token_for(world.pupil), product_id=other)
    assert response.status_code == 403
    error = response.get_json()["error"]
    assert error["code"] == "not_entitled"
    assert error["details"] == {"reason": "no_licence"}
    assert error["message"]
    assert [e.outcome for e in world.events()] == ["failed"]
    assert world.events("success") == []


def test_an_expired_licence_is_refused(world: World, client: FlaskClient) -> None:
    product = make_product(world.session, world.publisher, title="Udløbet")
    make_licence(world.session, product, world.school_class, world.school,
                 valid_until=datetime.now(UTC) - timedelta(days=1))  # fmt: skip
    response = ask_launch(client, world.token_for(world.pupil), product_id=product)
    assert response.status_code == 403
    assert response.get_json()["error"]["details"] == {"reason": "expired"}
    assert world.events("success") == []


def test_an_unknown_product_is_404(world: World, client: FlaskClient) -> None:
    response = ask_launch(client, world.token_for(world.pupil), product_id=uuid.uuid4())
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "unknown_product"
    assert world.events() == []


def test_a_pupil_cannot_launch_in_another_class(world: World, client: FlaskClient) -> None:
    other_school = make_school(world.session, "461")
    other_class = make_class(world.session, other_school, "5.A", 5)
    response = ask_launch(client, world.token_for(world.pupil), product_id=world.product_id,
                          school_class_id=other_class.id)  # fmt: skip
    assert response.status_code == 404
    assert world.events() == []


def test_the_one_time_url_works_once(world: World, client: FlaskClient) -> None:
    steps = run_launch(client, world.tool(), world.token_for(world.pupil),
                       product_id=world.product_id)  # fmt: skip
    assert steps.tool_page.status_code == 200
    again = client.get(steps.launch_url)
    assert again.status_code == 410
    assert "allerede brugt" in again.get_data(as_text=True)
    replayed = client.get(steps.authorize_url)  # the launch's browser cookie is spent too
    assert replayed.status_code == 400
    assert "other_browser" in replayed.get_data(as_text=True)
    assert len(world.events("success")) == 1


def test_a_one_time_url_needs_no_bearer_token_but_cannot_be_forged(
    world: World, client: FlaskClient
) -> None:
    url = ask_launch(client, world.token_for(world.pupil), product_id=world.product_id)
    token = url.get_json()["url"].rsplit("/", 1)[1]
    forged = client.get(f"/launch/{token[:-2]}xx")
    assert forged.status_code == 400
    assert "ugyldigt" in forged.get_data(as_text=True)
    assert world.count(SpentTokenRow) == 0


def test_a_tampered_message_hint_is_refused(world: World, client: FlaskClient) -> None:
    def tamper(step: str, fields: dict[str, str]) -> None:
        if step == "login":
            fields["lti_message_hint"] = fields["lti_message_hint"][:-3] + "abc"

    steps = run_launch(client, world.tool(), world.token_for(world.pupil), tamper=tamper,
                       product_id=world.product_id)  # fmt: skip
    assert steps.authorized.status_code == 400
    assert "invalid_hint" in steps.authorized.get_data(as_text=True)
    assert world.events() == []


def test_an_expired_hint_is_refused(
    world: World, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    def tamper(step: str, fields: dict[str, str]) -> None:
        if step == "authorize_url":  # the browser comes back ten minutes later
            import itsdangerous.timed

            later = time.time() + 600
            monkeypatch.setattr(itsdangerous.timed.time, "time", lambda: later)

    steps = run_launch(client, world.tool(), world.token_for(world.pupil), tamper=tamper,
                       product_id=world.product_id)  # fmt: skip
    assert steps.authorized.status_code == 410
    assert "udløbet" in steps.authorized.get_data(as_text=True)
    assert world.events() == []


def test_a_reused_nonce_is_refused(world: World, client: FlaskClient) -> None:
    first = run_launch(client, world.tool(), world.token_for(world.pupil),
                       product_id=world.product_id)  # fmt: skip
    used_nonce = _param(first.authorize_url, "nonce")

    def tamper(step: str, fields: dict[str, str]) -> None:
        if step == "authorize_url":
            fields["url"] = _with_param(fields["url"], "nonce", used_nonce)

    second = run_launch(client, world.tool(), world.token_for(world.pupil), tamper=tamper,
                        product_id=world.product_id)  # fmt: skip
    assert second.authorized.status_code == 410
    assert len(world.events("success")) == 1


@pytest.mark.parametrize(
    ("name", "value", "code"),
    [
        ("client_id", "someone-else", "invalid_client"),
        ("redirect_uri", "https://evil.example/launch", "invalid_redirect_uri"),
        ("login_hint", "another-user", "invalid_login_hint"),
        ("response_type", "code", "unsupported_request"),
    ],
)
def test_an_authorization_request_that_does_not_match_the_launch_is_refused(
    world: World, client: FlaskClient, name: str, value: str, code: str
) -> None:
    def tamper(step: str, fields: dict[str, str]) -> None:
        if step == "authorize_url":
            fields["url"] = _with_param(fields["url"], name, value)

    steps = run_launch(client, world.tool(), world.token_for(world.pupil), tamper=tamper,
                       product_id=world.product_id)  # fmt: skip
    assert steps.authorized.status_code == 400
    assert code in steps.authorized.get_data(as_text=True)
    assert world.events() == []


def test_the_launch_must_finish_in_the_browser_that_began_it(
    world: World, client: FlaskClient, app: Any
) -> None:
    asked = ask_launch(client, world.token_for(world.pupil), product_id=world.product_id)
    page = client.get(asked.get_json()["url"])
    action, fields = form(page)
    tool = world.tool()
    location = tool.post(action, data=fields).headers["Location"]
    stranger = app.test_client()  # no cookie from the one-time URL
    refused = stranger.get(location)
    assert refused.status_code == 400
    assert "other_browser" in refused.get_data(as_text=True)
    assert world.events() == []


def test_the_tool_refuses_a_wrong_state_and_a_bad_signature(
    world: World, client: FlaskClient
) -> None:
    def wrong_state(step: str, fields: dict[str, str]) -> None:
        if step == "id_token":
            fields["state"] = "state-not-the-tools"

    steps = run_launch(client, world.tool(), world.token_for(world.pupil), tamper=wrong_state,
                       product_id=world.product_id)  # fmt: skip
    assert steps.tool_page.status_code == 400
    assert "State not found" in steps.tool_page.get_data(as_text=True)

    def other_signature(step: str, fields: dict[str, str]) -> None:
        if step == "id_token":
            head, body, _ = fields["id_token"].split(".")
            fields["id_token"] = f"{head}.{body}.{'A' * 342}"

    steps = run_launch(client, world.tool(), world.token_for(world.pupil), tamper=other_signature,
                       product_id=world.product_id)  # fmt: skip
    assert steps.tool_page.status_code == 400
    assert "Can&#39;t decode id_token" in steps.tool_page.get_data(as_text=True)


def test_a_url_product_gets_a_signed_single_use_token(world: World, client: FlaskClient) -> None:
    product = make_product(
        world.session,
        world.publisher,
        title="Weblink",
        launch={"kind": "url", "url": "https://app.forlag.example/start?x=1"},
    )
    make_licence(world.session, product, world.school_class, world.school)
    asked = ask_launch(client, world.token_for(world.pupil), product_id=product)
    opened = client.get(asked.get_json()["url"])
    assert opened.status_code == 303
    location = opened.headers["Location"]
    assert location.startswith("https://app.forlag.example/start?x=1&skolehylde_launch=")
    token = location.split("skolehylde_launch=", 1)[1]
    jwks = client.get("/.well-known/jwks.json").get_json()
    decoded = jwt.decode(token, KeySet.import_key_set(jwks), algorithms=["RS256"])
    claims = decoded.claims
    assert claims["aud"] == str(world.publisher.id)
    assert claims["sub"] == pairwise_subject(
        world.app.config["PSEUDONYM_KEY"].encode(), world.pupil.id, world.publisher.id
    )
    assert claims["product_id"] == str(product)
    assert claims["exp"] - claims["iat"] == 300
    assert len(claims["jti"]) >= 20
    assert client.get(asked.get_json()["url"]).status_code == 410
    assert [(e.kind, e.outcome) for e in world.events()] == [("url", "success")]


def test_launches_touch_no_budget_or_ledger_rows(world: World, client: FlaskClient) -> None:
    from server.budgets.models import MunicipalityGrantRow
    from server.ledger.models import LedgerAccountRow, LedgerEntryRow

    tables = (MunicipalityGrantRow, LedgerAccountRow, LedgerEntryRow)
    before = [world.count(table) for table in tables]
    run_launch(client, world.tool(), world.token_for(world.pupil), product_id=world.product_id)
    assert [world.count(table) for table in tables] == before


def test_a_publisher_checks_a_pseudonymous_pupils_licence(
    world: World, client: FlaskClient
) -> None:
    from server.oauth import register_client
    from server.oauth.tokens import issue_access_token

    run_launch(client, world.tool(), world.token_for(world.pupil), product_id=world.product_id)
    world.events()  # flushed: the sub is known now
    sub = pairwise_subject(
        world.app.config["PSEUDONYM_KEY"].encode(), world.pupil.id, world.publisher.id
    )
    row, _secret = register_client(
        world.session, name="Forlagets server", grant_types=("client_credentials",),
        scope="publisher", publisher_id=world.publisher.id,
    )  # fmt: skip
    world.session.commit()
    token = issue_access_token(world.session, None, client_id=row.client_id, scope="publisher",
                               method="client_credentials")  # fmt: skip
    headers = {"Authorization": f"Bearer {token}"}
    answer = client.get(
        "/api/v1/publisher/entitlements",
        query_string={"product_id": world.product_id, "sub": sub},
        headers=headers,
    )
    assert answer.status_code == 200, answer.get_data(as_text=True)
    body = answer.get_json()
    assert (body["allowed"], body["reason"], body["sub"]) == (True, "licence", sub)
    unknown = client.get("/api/v1/publisher/entitlements",
                         query_string={"product_id": world.product_id, "sub": "nobody"},
                         headers=headers)  # fmt: skip
    assert unknown.get_json()["allowed"] is False
    assert unknown.get_json()["reason"] == "unknown_user"
    from factories import make_publisher

    stranger = make_product(world.session, make_publisher(world.session, "Andet forlag"))
    foreign = client.get(
        "/api/v1/publisher/entitlements",
        query_string={"product_id": stranger, "sub": sub},
        headers=headers,
    )
    assert foreign.status_code == 404


def test_only_the_publisher_manages_its_registrations(world: World, client: FlaskClient) -> None:
    from factories import make_publisher

    admin = make_user(world.session, "publisher_admin", publisher=world.publisher)
    other = make_user(world.session, "publisher_admin", publisher=make_publisher(world.session))
    path = f"/api/v1/products/{world.product_id}/tool-registration"
    mine = client.get(path, headers={"Authorization": f"Bearer {world.token_for(admin)}"})
    assert mine.status_code == 200
    body = mine.get_json()
    assert body["client_id"] == "skolehylde-demo-brok"
    assert body["platform"]["jwks_uri"].endswith("/.well-known/jwks.json")
    new = {key: body[key] for key in ("client_id", "deployment_id", "login_url", "launch_url",
                                      "jwks", "message_types")}  # fmt: skip
    new["deployment_id"] = "deployment-2"
    put = client.put(path, json=new, headers={"Authorization": f"Bearer {world.token_for(admin)}"})
    assert put.status_code == 200, put.get_data(as_text=True)
    assert put.get_json()["deployment_id"] == "deployment-2"
    assert put.get_json()["share_personal_data"] is False
    theirs = client.get(path, headers={"Authorization": f"Bearer {world.token_for(other)}"})
    assert theirs.status_code == 404
    private = dict(new, jwks={"keys": [world.tool_key.as_dict(private=True)]})
    refused = client.put(
        path, json=private, headers={"Authorization": f"Bearer {world.token_for(admin)}"}
    )
    assert refused.status_code == 422


def _param(url: str | None, name: str) -> str:
    from urllib.parse import parse_qs, urlsplit

    assert url is not None
    return parse_qs(urlsplit(url).query)[name][0]


def _with_param(url: str, name: str, value: str) -> str:
    from urllib.parse import parse_qsl, urlencode, urlsplit

    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    query[name] = value
    return parts._replace(query=urlencode(query)).geturl()


def test_events_never_carry_a_user_id(world: World, client: FlaskClient) -> None:
    run_launch(client, world.tool(), world.token_for(world.pupil), product_id=world.product_id)
    [event] = world.events()
    values = {str(getattr(event, c.name)) for c in LaunchEventRow.__table__.columns}
    assert str(world.pupil.id) not in values
    assert world.session.scalar(select(LaunchEventRow.pseudonym)) == event.pseudonym
