"""Purchasing over HTTP: request → approval → order → licence, with the ledger checked after
each money-moving step; bad input refused with nothing written; idempotency keys."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient
from purchasing_support import counts, fund_school, make_offer, principal
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from factories import make_class, make_publisher, make_school, make_user
from server.ledger.postings import check_ledger
from server.licensing.models import LicenceRow
from server.organisations.models import UserRow

TokenFor = Callable[[UserRow], str]


class World:
    def __init__(self, session: Session, token_for: TokenFor) -> None:
        self.session = session
        self.school = make_school(session, "751", "Bakkeskolen")
        self.school_class = make_class(session, self.school, "4.B", 4)
        self.admin = make_user(session, "platform_admin")
        self.teacher = make_user(session, "teacher", school=self.school)
        self.leader = make_user(session, "school_leader", school=self.school)
        self.buyer = make_user(session, "municipal_buyer", municipality_code="751")
        self.pupil = make_user(session, "pupil", school_class=self.school_class)
        self.publisher = make_publisher(session)
        self.offer = make_offer(session, self.publisher, price_ore=10_000)
        fund_school(session, principal(session, self.admin), self.school,
                    grant_ore=50_000, own_ore=50_000)  # fmt: skip
        self.tokens = {name: token_for(getattr(self, name))
                       for name in ("admin", "teacher", "leader", "buyer", "pupil")}  # fmt: skip

    def h(self, who: str, key: str | None = None) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self.tokens[who]}"}
        if key:
            headers["Idempotency-Key"] = key
        return headers

    def request_body(self, **changes: Any) -> dict[str, Any]:
        body = {"offer_id": str(self.offer.id), "quantity": 1,
                "school_class_id": str(self.school_class.id), "reason": "Brøker i 4.B"}  # fmt: skip
        body.update(changes)
        return body


@pytest.fixture
def world(session: Session, token_for: TokenFor) -> World:
    return World(session, token_for)


def ask(client: FlaskClient, world: World, **changes: Any) -> dict[str, Any]:
    response = client.post(
        "/api/v1/purchase-requests", json=world.request_body(**changes), headers=world.h("teacher")
    )
    assert response.status_code == 201, response.get_json()
    body: dict[str, Any] = response.get_json()
    return body


def test_request_approve_invoice_licence_budget(client: FlaskClient, world: World) -> None:
    asked = ask(client, world)
    assert asked["status"] == "pending"
    assert (asked["total_ore"], asked["vat_ore"]) == (10_000, 2_500)
    assert (asked["subsidy_ore"], asked["own_ore"]) == (5_000, 5_000)
    assert asked["approver_role"] == "school_leader"

    pending = client.get("/api/v1/purchase-requests?status=pending", headers=world.h("leader"))
    assert [r["id"] for r in pending.get_json()["items"]] == [asked["id"]]

    approved = client.post(
        f"/api/v1/purchase-requests/{asked['id']}/approve", json={}, headers=world.h("leader", "k1")
    )
    assert approved.status_code == 201, approved.get_json()
    order = approved.get_json()
    assert order["status"] == "paid"
    assert order["payment_method"] == "invoice"
    assert (order["subsidy_ore"], order["own_ore"], order["charge_ore"]) == (5_000, 5_000, 12_500)
    assert order["ean"] == "5790000000012"
    assert [lic["licence_type"] for lic in order["licences"]] == ["class"]

    school_budget = client.get(
        f"/api/v1/schools/{world.school.id}/budget", headers=world.h("leader")
    ).get_json()
    assert school_budget["allocated_ore"] == 100_000
    assert school_budget["spent_ore"] == 10_000
    assert school_budget["reserved_ore"] == 0
    assert school_budget["remaining_ore"] == 90_000
    assert school_budget["subsidy_used_ore"] == 5_000
    municipal = client.get("/api/v1/municipalities/751/budget", headers=world.h("buyer"))
    figures = municipal.get_json()
    assert (figures["granted_ore"], figures["own_funds_ore"]) == (50_000, 50_000)
    assert (figures["spent_ore"], figures["subsidy_used_ore"]) == (10_000, 5_000)
    assert figures["schools"][0]["spent_ore"] == 10_000

    entitlement = client.get(
        f"/api/v1/me/entitlements/{world.offer.product_id}", headers=world.h("pupil")
    ).get_json()
    assert entitlement["allowed"] is True
    assert entitlement["reason"] == "licence"
    assert entitlement["message"].startswith("Din klasse har licens til 31.07.")
    materials = client.get("/api/v1/me/materials", headers=world.h("pupil")).get_json()
    assert [m["product_id"] for m in materials["items"]] == [str(world.offer.product_id)]

    invoice = client.get(f"/api/v1/orders/{order['id']}/invoice.xml", headers=world.h("buyer"))
    assert invoice.status_code == 200
    assert invoice.mimetype == "application/xml"
    assert b"5790000000012" in invoice.data
    assert b'<cbc:PayableAmount currencyID="DKK">125.00</cbc:PayableAmount>' in invoice.data
    assert check_ledger(world.session) == []


def test_idempotency_key_replays_and_refuses_another_body(
    client: FlaskClient, world: World
) -> None:
    asked = ask(client, world)
    url = f"/api/v1/purchase-requests/{asked['id']}/approve"
    first = client.post(url, json={}, headers=world.h("leader", "same"))
    after_first = counts(world.session)
    again = client.post(url, json={}, headers=world.h("leader", "same"))
    assert again.status_code == first.status_code == 201
    assert again.get_json() == first.get_json()
    assert again.headers["Idempotent-Replayed"] == "true"
    other = client.post(url, json={"payment_method": "card"}, headers=world.h("leader", "same"))
    assert other.status_code == 422
    assert other.get_json()["error"]["code"] == "idempotency_key_reused"
    assert counts(world.session) == after_first
    plain_again = client.post(url, json={}, headers=world.h("leader", "new"))
    assert plain_again.status_code == 409
    assert counts(world.session) == after_first


def test_cancel_within_withdrawal_reverses_and_revokes(client: FlaskClient, world: World) -> None:
    asked = ask(client, world)
    order = client.post(
        f"/api/v1/purchase-requests/{asked['id']}/approve", json={}, headers=world.h("leader")
    ).get_json()
    teacher_try = client.post(f"/api/v1/orders/{order['id']}/cancel", headers=world.h("teacher"))
    assert teacher_try.status_code == 403
    cancelled = client.post(f"/api/v1/orders/{order['id']}/cancel", headers=world.h("leader", "c"))
    assert cancelled.status_code == 200, cancelled.get_json()
    assert cancelled.get_json()["status"] == "cancelled"
    budget = client.get(f"/api/v1/schools/{world.school.id}/budget", headers=world.h("leader"))
    assert budget.get_json()["spent_ore"] == 0
    assert budget.get_json()["remaining_ore"] == 100_000
    world.session.expire_all()
    statuses = world.session.scalars(select(LicenceRow.status)).all()
    assert statuses == ["revoked"]
    entitlement = client.get(
        f"/api/v1/me/entitlements/{world.offer.product_id}", headers=world.h("pupil")
    ).get_json()
    assert entitlement["reason"] == "no_licence"
    twice = client.post(f"/api/v1/orders/{order['id']}/cancel", headers=world.h("leader"))
    assert twice.status_code == 409
    assert check_ledger(world.session) == []


def test_above_threshold_needs_the_buyer(client: FlaskClient, world: World) -> None:
    client.put("/api/v1/municipalities/751/purchase-settings",
               json={"buyer_threshold_ore": 20_000}, headers=world.h("buyer"))  # fmt: skip
    big = make_offer(world.session, world.publisher, price_ore=5_000, licence_type="pupil")
    asked = ask(client, world, offer_id=str(big.id), quantity=4)
    assert asked["approver_role"] == "municipal_buyer"
    before = counts(world.session)
    refused = client.post(
        f"/api/v1/purchase-requests/{asked['id']}/approve", json={}, headers=world.h("leader")
    )
    assert refused.status_code == 403
    assert refused.get_json()["error"]["code"] == "wrong_approver"
    assert counts(world.session) == before
    approved = client.post(
        f"/api/v1/purchase-requests/{asked['id']}/approve", json={}, headers=world.h("buyer")
    )
    assert approved.status_code == 201
    licence = approved.get_json()["licences"][0]
    seat_url = f"/api/v1/licences/{licence['id']}/seats"
    seat = client.post(seat_url, json={"user_id": str(world.pupil.id)}, headers=world.h("teacher"))
    assert seat.status_code == 201, seat.get_json()
    entitlement = client.get(
        f"/api/v1/me/entitlements/{big.product_id}", headers=world.h("pupil")
    ).get_json()
    assert (entitlement["reason"], entitlement["message"][:17]) == ("licence", "Du har licens til")
    released = client.delete(f"/api/v1/licences/{licence['id']}/seats/{world.pupil.id}",
                             headers=world.h("teacher"))  # fmt: skip
    assert released.status_code == 204
    entitlement = client.get(
        f"/api/v1/me/entitlements/{big.product_id}", headers=world.h("pupil")
    ).get_json()
    assert entitlement["reason"] == "no_licence"


BAD_REQUESTS = [
    ("zero quantity", {"quantity": 0}, 422),
    ("negative quantity", {"quantity": -3}, 422),
    ("over the offer's max", {"quantity": 7}, 422),
    ("unknown offer", {"offer_id": "00000000-0000-0000-0000-000000000001"}, 422),
    ("no reason", {"reason": ""}, 422),
]


@pytest.mark.parametrize(
    ("label", "changes", "status"), BAD_REQUESTS, ids=[b[0] for b in BAD_REQUESTS]
)
def test_bad_requests_write_nothing(
    client: FlaskClient, world: World, label: str, changes: dict[str, Any], status: int
) -> None:
    limited = make_offer(world.session, world.publisher, licence_type="pupil", max_quantity=6)
    body = world.request_body(offer_id=str(limited.id))
    body.update(changes)
    before = counts(world.session)
    response = client.post("/api/v1/purchase-requests", json=body, headers=world.h("teacher"))
    assert response.status_code == status, (label, response.get_json())
    assert counts(world.session) == before


def test_foreign_school_budget_and_purchase_are_refused(
    client: FlaskClient, world: World, session: Session, token_for: TokenFor
) -> None:
    other = make_school(session, "461", "Fjordskolen")
    other_class = make_class(session, other, "5.A", 5)
    before = counts(session)
    budget = client.get(f"/api/v1/schools/{other.id}/budget", headers=world.h("leader"))
    assert budget.status_code == 404
    asked = client.post("/api/v1/purchase-requests", headers=world.h("teacher"),
                        json=world.request_body(school_class_id=str(other_class.id)))  # fmt: skip
    assert asked.status_code == 404
    allocation = client.post(
        "/api/v1/municipalities/461/allocations", headers=world.h("buyer"),
        json={"school_id": str(other.id), "fund": "own", "amount_ore": 100},
    )  # fmt: skip
    assert allocation.status_code == 404
    assert counts(session) == before


@pytest.mark.parametrize("amount", [0, -100])
def test_non_positive_allocation_is_refused(client: FlaskClient, world: World, amount: int) -> None:
    before = counts(world.session)
    response = client.post(
        "/api/v1/municipalities/751/allocations", headers=world.h("buyer"),
        json={"school_id": str(world.school.id), "fund": "own", "amount_ore": amount},
    )  # fmt: skip
    assert response.status_code == 422
    own = client.post("/api/v1/municipalities/751/own-funds", headers=world.h("buyer"),
                      json={"amount_ore": amount})  # fmt: skip
    assert own.status_code == 422
    assert counts(world.session) == before


def test_invalid_ean_is_refused(client: FlaskClient, world: World) -> None:
    before = client.get("/api/v1/municipalities/751/purchase-settings", headers=world.h("buyer"))
    response = client.put("/api/v1/municipalities/751/purchase-settings",
                          json={"ean": "5790000000013"}, headers=world.h("buyer"))  # fmt: skip
    assert response.status_code == 422
    assert "ean" in response.get_json()["error"]["details"]["json"]
    after = client.get("/api/v1/municipalities/751/purchase-settings", headers=world.h("buyer"))
    assert after.get_json() == before.get_json()


def test_over_budget_approval_reserves_nothing(client: FlaskClient, world: World) -> None:
    dear = make_offer(world.session, world.publisher, price_ore=150_000, licence_type="school")
    client.put("/api/v1/municipalities/751/purchase-settings",
               json={"buyer_threshold_ore": 10**9}, headers=world.h("buyer"))  # fmt: skip
    asked = ask(client, world, offer_id=str(dear.id), school_class_id=None,
                school_id=str(world.school.id))  # fmt: skip
    before = counts(world.session)
    response = client.post(
        f"/api/v1/purchase-requests/{asked['id']}/approve", json={}, headers=world.h("leader")
    )
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "insufficient_budget"
    assert counts(world.session) == before


def test_ledger_is_append_only_in_the_database(client: FlaskClient, world: World) -> None:
    session = world.session
    for statement in (
        "UPDATE ledger_entries SET amount_ore = amount_ore + 1",
        "DELETE FROM ledger_entries",
        "UPDATE ledger_transactions SET memo = 'x'",
        "DELETE FROM ledger_transactions",
    ):
        before = counts(session)
        with pytest.raises(Exception, match="append-only"):
            session.execute(text(statement))
        session.rollback()
        assert counts(session) == before
    assert check_ledger(session) == []


def test_ledger_rows_cannot_be_changed_through_the_orm(client: FlaskClient, world: World) -> None:
    from server.ledger.models import LedgerEntryRow
    from server.ledger.rules import LedgerError

    session = world.session
    entry = session.scalars(select(LedgerEntryRow)).first()
    assert entry is not None
    entry.amount_ore += 1
    with pytest.raises(LedgerError, match="append-only"):
        session.flush()
    session.rollback()
    session.delete(session.scalars(select(LedgerEntryRow)).first())
    with pytest.raises(LedgerError, match="append-only"):
        session.flush()
    session.rollback()
    assert check_ledger(session) == []


@pytest.mark.parametrize("who", ["teacher", "pupil", "admin"])
def test_approval_by_the_wrong_role_moves_nothing(
    client: FlaskClient, world: World, who: str
) -> None:
    asked = ask(client, world)
    before = counts(world.session)
    response = client.post(
        f"/api/v1/purchase-requests/{asked['id']}/approve", json={}, headers=world.h(who, "w")
    )
    assert response.status_code in {403, 404}, response.get_json()
    assert counts(world.session) == before
    still = client.get(f"/api/v1/purchase-requests/{asked['id']}", headers=world.h("leader"))
    assert still.get_json()["status"] == "pending"
