"""Card orders through the payment port (a fake gateway): reservation, webhooks delivered
twice, late and out of order, failures and abandoned payments releasing the money."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from apiflask import APIFlask
from flask.testing import FlaskClient
from purchasing_support import (
    FakePaymentGateway,
    counts,
    fund_school,
    make_offer,
    principal,
    sign,
    webhook_body,
)
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from factories import make_class, make_publisher, make_school, make_user
from server.ledger.postings import check_ledger
from server.licensing.models import LicenceRow
from server.organisations.models import UserRow
from server.payments.interfaces import PaymentStatus, PaymentUnavailable
from server.purchasing import operations as purchasing
from server.purchasing.models import PaymentEventRow

TokenFor = Callable[[UserRow], str]
WEBHOOK = "/api/v1/payments/stripe/webhook"


class CardWorld:
    def __init__(self, app: APIFlask, session: Session, token_for: TokenFor) -> None:
        self.gateway = FakePaymentGateway()
        app.extensions["payments"] = self.gateway
        self.session = session
        self.school = make_school(session, "751")
        self.school_class = make_class(session, self.school, "4.B", 4)
        admin = principal(session, make_user(session, "platform_admin"))
        self.teacher = make_user(session, "teacher", school=self.school)
        self.leader = make_user(session, "school_leader", school=self.school)
        self.pupil = make_user(session, "pupil", school_class=self.school_class)
        self.offer = make_offer(session, make_publisher(session), price_ore=10_000)
        fund_school(session, admin, self.school, grant_ore=5_000, own_ore=10_000)
        self.tokens = {u: token_for(getattr(self, u)) for u in ("teacher", "leader", "pupil")}

    def h(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}

    def card_order(self, client: FlaskClient) -> dict[str, Any]:
        asked = client.post("/api/v1/purchase-requests", headers=self.h("teacher"), json={
            "offer_id": str(self.offer.id), "quantity": 1,
            "school_class_id": str(self.school_class.id), "reason": "Brøker",
        })  # fmt: skip
        assert asked.status_code == 201
        approved = client.post(
            f"/api/v1/purchase-requests/{asked.get_json()['id']}/approve",
            json={"payment_method": "card"}, headers=self.h("leader"),
        )  # fmt: skip
        assert approved.status_code == 201, approved.get_json()
        body: dict[str, Any] = approved.get_json()
        return body

    def budget(self, client: FlaskClient) -> dict[str, int]:
        body: dict[str, int] = client.get(
            f"/api/v1/schools/{self.school.id}/budget", headers=self.h("leader")
        ).get_json()
        return body

    def licences(self) -> list[str]:
        self.session.expire_all()
        return list(self.session.scalars(select(LicenceRow.status)))


@pytest.fixture
def world(app: APIFlask, session: Session, token_for: TokenFor) -> CardWorld:
    return CardWorld(app, session, token_for)


def deliver(client: FlaskClient, event_id: str, reference: str, status: str) -> Any:
    body = webhook_body(event_id, reference, status)
    return client.post(WEBHOOK, data=body, headers={"Stripe-Signature": sign(body)})


def test_card_order_reserves_until_the_webhook_says_paid(
    client: FlaskClient, world: CardWorld
) -> None:
    order = world.card_order(client)
    assert order["status"] == "reserved"
    assert (order["subsidy_ore"], order["own_ore"]) == (5_000, 5_000)
    assert order["charge_ore"] == 6_250  # the own share with its VAT
    assert order["client_secret"] == f"{order['payment_reference']}_secret"
    assert world.budget(client)["reserved_ore"] == 10_000
    assert world.licences() == []
    answer = deliver(client, "evt_1", order["payment_reference"], "succeeded")
    assert answer.get_json() == {"event_id": "evt_1", "outcome": "applied"}
    budget = world.budget(client)
    assert (budget["reserved_ore"], budget["spent_ore"]) == (0, 10_000)
    assert world.licences() == ["active"]
    assert check_ledger(world.session) == []


def test_webhooks_twice_late_and_out_of_order_change_nothing(
    client: FlaskClient, world: CardWorld
) -> None:
    order = world.card_order(client)
    reference = order["payment_reference"]
    deliver(client, "evt_ok", reference, "succeeded")
    after_first = counts(world.session)
    twice = deliver(client, "evt_ok", reference, "succeeded")
    assert twice.get_json()["outcome"] == "duplicate"
    late_failure = deliver(client, "evt_fail", reference, "failed")
    assert late_failure.get_json()["outcome"] == "ignored"
    late_cancel = deliver(client, "evt_cancel", reference, "canceled")
    assert late_cancel.get_json()["outcome"] == "ignored"
    assert counts(world.session) == after_first
    assert (
        client.get(f"/api/v1/orders/{order['id']}", headers=world.h("leader")).get_json()["status"]
        == "paid"
    )
    assert world.licences() == ["active"]
    assert check_ledger(world.session) == []


def test_failed_payment_releases_the_reservation(client: FlaskClient, world: CardWorld) -> None:
    before = world.budget(client)
    order = world.card_order(client)
    answer = deliver(client, "evt_f", order["payment_reference"], "failed")
    assert answer.get_json()["outcome"] == "applied"
    assert world.budget(client) == before
    late_success = deliver(client, "evt_s", order["payment_reference"], "succeeded")
    assert late_success.get_json()["outcome"] == "ignored"
    assert world.budget(client) == before
    assert world.licences() == []
    assert check_ledger(world.session) == []


def test_bad_signature_is_refused_and_recorded_nowhere(
    client: FlaskClient, world: CardWorld
) -> None:
    order = world.card_order(client)
    before = counts(world.session)
    body = webhook_body("evt_x", order["payment_reference"], "succeeded")
    for signature in (None, "0" * 64, sign(body + b" ")):
        headers = {"Stripe-Signature": signature} if signature else {}
        answer = client.post(WEBHOOK, data=body, headers=headers)
        assert answer.status_code == 403
        assert answer.get_json()["error"]["code"] == "invalid_webhook"
    assert counts(world.session) == before
    assert world.session.scalar(select(func.count()).select_from(PaymentEventRow)) == 0


def test_pay_asks_the_provider_and_refund_reverses(client: FlaskClient, world: CardWorld) -> None:
    before = world.budget(client)
    order = world.card_order(client)
    world.gateway.settle(order["payment_reference"], PaymentStatus.SUCCEEDED)
    paid = client.post(f"/api/v1/orders/{order['id']}/pay", headers=world.h("teacher"))
    assert paid.get_json()["status"] == "paid"
    cancelled = client.post(f"/api/v1/orders/{order['id']}/cancel", headers=world.h("leader"))
    assert cancelled.get_json()["status"] == "cancelled"
    assert ("refund", order["payment_reference"]) in world.gateway.calls
    assert world.budget(client) == before
    assert world.licences() == ["revoked"]
    refund_event = deliver(client, "evt_r", order["payment_reference"], "refunded")
    assert refund_event.get_json()["outcome"] == "ignored"
    assert check_ledger(world.session) == []


def test_provider_down_releases_and_says_so(client: FlaskClient, world: CardWorld) -> None:
    before = world.budget(client)
    world.gateway.fail_next = PaymentUnavailable("down")
    asked = client.post("/api/v1/purchase-requests", headers=world.h("teacher"), json={
        "offer_id": str(world.offer.id), "quantity": 1,
        "school_class_id": str(world.school_class.id), "reason": "Brøker",
    })  # fmt: skip
    answer = client.post(
        f"/api/v1/purchase-requests/{asked.get_json()['id']}/approve",
        json={"payment_method": "card"}, headers=world.h("leader"),
    )  # fmt: skip
    assert answer.status_code == 503
    assert world.budget(client) == before
    assert check_ledger(world.session) == []


def test_abandoned_payments_are_released_by_the_sweep(
    client: FlaskClient, world: CardWorld
) -> None:
    before = world.budget(client)
    order = world.card_order(client)
    session = world.session
    assert purchasing.release_abandoned(session, world.gateway, older_than=timedelta(hours=1)) == 0
    assert world.budget(client)["reserved_ore"] == 10_000
    assert purchasing.release_abandoned(session, world.gateway, older_than=timedelta(0)) == 1
    assert world.budget(client) == before
    assert ("cancel", order["payment_reference"]) in world.gateway.calls
    assert purchasing.release_abandoned(session, world.gateway, older_than=timedelta(0)) == 0
    assert check_ledger(session) == []
