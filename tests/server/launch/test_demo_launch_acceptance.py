"""The issue's acceptance with the demo data, as in `make run`: the demo pupil `elev` opens a
demo product and lands on the demo tool's page (pylti1p3) as a Learner in 4.B with a
pseudonymous id; the demo buyer's usage report shows the launch."""

from __future__ import annotations

from typing import Any

from apiflask import APIFlask
from flask.testing import FlaskClient
from launch_world import run_launch
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.catalogue.models import ProductRow
from server.demo import load_demo
from server.demo_tool import (
    TOOL_BASE_URL,
    create_tool_app,
    demo_clients,
    demo_product_keys,
    tool_key,
)
from server.identity.pseudonyms import pairwise_subject
from server.launch.events import recorder_of
from server.oauth import keys
from server.oauth.tokens import issue_access_token
from server.organisations.models import UserRow


def test_elev_opens_a_demo_material_on_the_demo_tool_and_the_buyer_sees_it(
    app: APIFlask, client: FlaskClient, session: Session
) -> None:
    lines = list(load_demo(session, environment="development"))
    assert any(
        line.startswith("demo LTI tool (http://127.0.0.1:8001) registered for 7 products")
        for line in lines
    )
    assert any(line.endswith("sign in as elev: the demo tool shows the launch") for line in lines)
    tool = create_tool_app(
        {
            "PLATFORM_ISSUER": app.config["PUBLIC_BASE_URL"],
            "PLATFORM_KEY_SET": keys.jwks(),
            "TOOL_KEY": tool_key(app.config["VAR_DIR"]),
            "CLIENTS": demo_clients(demo_product_keys()),
        }
    ).test_client()
    elev = session.scalar(select(UserRow).where(UserRow.username == "elev"))
    product = session.scalar(
        select(ProductRow).where(ProductRow.external_id == "demo-matematisk-problemloesning")
    )
    assert elev is not None and product is not None
    token = issue_access_token(session, elev.id)

    steps = run_launch(client, tool, token, product_id=product.id)

    page = steps.tool_page
    assert page.status_code == 200, page.get_data(as_text=True)
    text = page.get_data(as_text=True)
    sub = pairwise_subject(app.config["PSEUDONYM_KEY"].encode(), elev.id, product.publisher_id)
    assert '<dd id="role">Learner (elev)</dd>' in text
    assert "Bakkeskolen (demo) 4.B" in text
    assert f"<code>{sub}</code>" in text
    assert f"{TOOL_BASE_URL}/lti/launch/matematisk-problemloesning" in text
    assert "/ims/case/v1p0/CFItems/" in text
    assert "Emil" not in text and str(elev.id) not in text

    recorder_of(app).flush()
    buyer = session.scalar(select(UserRow).where(UserRow.username == "indkoeber"))
    assert buyer is not None
    report: dict[str, Any] = client.get(
        "/api/v1/municipalities/751/reports/usage",
        headers={"Authorization": f"Bearer {issue_access_token(session, buyer.id)}"},
    ).get_json()
    [row] = report["weeks"]
    assert row["product_title"] == "Matematisk problemløsning 4.–6. klasse"
    assert (row["school_name"], row["class_name"]) == ("Bakkeskolen (demo)", "4.B")
    assert (row["launches"], row["active_pupils"]) == (1, 1)
    assert "Emil" not in str(report) and str(elev.id) not in str(report)
