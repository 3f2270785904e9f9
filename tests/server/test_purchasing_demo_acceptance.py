"""What `make run` shows for purchasing, over HTTP with the demo data: the teacher `laerer`
asks for a material for 4.B → the leader `leder` approves → an invoice order to Aarhus's EAN
→ the pupil `elev` holds a licence → the buyer `indkoeber` sees the spend in the budget."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.demo import DEMO_EANS, demo_offer, load_demo
from server.ledger.postings import check_ledger
from server.organisations.models import SchoolClassRow, SchoolRow, UserRow

TokenFor = Callable[[UserRow], str]


@pytest.fixture
def demo(session: Session, token_for: TokenFor) -> dict[str, dict[str, str]]:
    lines = list(load_demo(session, environment="development"))
    assert lines[-1].startswith("a paid demo order")
    users = session.scalars(select(UserRow).where(UserRow.username.is_not(None))).all()
    return {u.username: {"Authorization": f"Bearer {token_for(u)}"} for u in users if u.username}


def test_teacher_request_leader_approval_invoice_licence_budget(
    client: FlaskClient, session: Session, demo: dict[str, dict[str, str]]
) -> None:
    school = session.scalar(select(SchoolRow).where(SchoolRow.institution_number == "990001"))
    assert school is not None
    four_b = session.scalar(
        select(SchoolClassRow).where(
            SchoolClassRow.school_id == school.id, SchoolClassRow.name == "4.B"
        )
    )
    assert four_b is not None
    already, wanted = demo_offer(session), demo_offer(session, skip=1)
    assert already is not None and wanted is not None
    product_id, offer_id = wanted

    seen = client.get(f"/api/v1/me/entitlements/{already[0]}", headers=demo["elev"]).get_json()
    assert (seen["allowed"], seen["reason"]) == (True, "licence")
    before_budget = client.get("/api/v1/municipalities/751/budget", headers=demo["indkoeber"])
    before: dict[str, Any] = before_budget.get_json()
    not_yet = client.get(f"/api/v1/me/entitlements/{product_id}", headers=demo["elev"]).get_json()
    assert (not_yet["allowed"], not_yet["reason"]) == (False, "no_licence")

    asked = client.post("/api/v1/purchase-requests", headers=demo["laerer"], json={
        "offer_id": str(offer_id), "quantity": 1, "school_class_id": str(four_b.id),
        "reason": "Vi arbejder med brøker i 4.B",
    })  # fmt: skip
    assert asked.status_code == 201, asked.get_json()
    request = asked.get_json()
    assert (request["status"], request["approver_role"]) == ("pending", "school_leader")
    pending = client.get("/api/v1/purchase-requests?status=pending", headers=demo["leder"])
    assert [r["id"] for r in pending.get_json()["items"]] == [request["id"]]

    approved = client.post(
        f"/api/v1/purchase-requests/{request['id']}/approve", json={"payment_method": "invoice"},
        headers={**demo["leder"], "Idempotency-Key": "demo-approve-1"},
    )  # fmt: skip
    assert approved.status_code == 201, approved.get_json()
    order = approved.get_json()
    assert (order["status"], order["payment_method"], order["ean"]) == (
        "paid", "invoice", DEMO_EANS["751"],
    )  # fmt: skip
    assert order["subsidy_ore"] == (request["total_ore"] + 1) // 2
    assert order["subsidy_ore"] + order["own_ore"] == request["total_ore"]
    invoice = client.get(f"/api/v1/orders/{order['id']}/invoice.xml", headers=demo["indkoeber"])
    assert invoice.status_code == 200
    assert DEMO_EANS["751"].encode() in invoice.data

    now_seen = client.get(f"/api/v1/me/entitlements/{product_id}", headers=demo["elev"]).get_json()
    assert (now_seen["allowed"], now_seen["reason"]) == (True, "licence")
    assert now_seen["message"].startswith("Din klasse har licens til ")
    materials = client.get("/api/v1/me/materials", headers=demo["elev"]).get_json()["items"]
    assert {m["product_id"] for m in materials} == {str(already[0]), str(product_id)}

    after: dict[str, Any] = client.get(
        "/api/v1/municipalities/751/budget", headers=demo["indkoeber"]
    ).get_json()
    assert after["spent_ore"] == before["spent_ore"] + request["total_ore"]
    assert after["subsidy_used_ore"] == before["subsidy_used_ore"] + order["subsidy_ore"]
    assert after["remaining_ore"] == before["remaining_ore"] - request["total_ore"]
    bakkeskolen = next(s for s in after["schools"] if s["school_id"] == str(school.id))
    assert bakkeskolen["spent_ore"] == after["spent_ore"]
    assert check_ledger(session) == []
