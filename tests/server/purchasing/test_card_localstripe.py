"""Card purchases end to end against localstripe: the Stripe adapter creates the
PaymentIntent for the own share, the payer confirms it, localstripe delivers its signed
webhook, which we hand to our webhook endpoint as received — the order is paid and the
licence issued; the same delivery again changes nothing; a declined card releases the
reservation."""

from __future__ import annotations

import http.server
import json
import queue
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import stripe
from apiflask import APIFlask
from flask.testing import FlaskClient
from purchasing_support import counts, fund_school, make_offer, principal
from sqlalchemy.orm import Session

from factories import make_class, make_publisher, make_school, make_user
from server.ledger.postings import check_ledger
from server.organisations.models import UserRow
from server.payments.stripe_gateway import StripePaymentGateway

TokenFor = Callable[[UserRow], str]
Deliveries = queue.Queue[tuple[bytes, str]]


class _Receiver(http.server.BaseHTTPRequestHandler):
    received: Deliveries

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.put((body, self.headers.get("Stripe-Signature", "")))
        self.send_response(200)
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def deliveries(localstripe: Any) -> Iterator[Deliveries]:
    received: Deliveries = queue.Queue()
    handler = type("Receiver", (_Receiver,), {"received": received})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    localstripe.register_webhook(
        f"http://127.0.0.1:{server.server_address[1]}/stripe",
        events=["payment_intent.succeeded", "payment_intent.payment_failed"],
    )
    yield received
    server.shutdown()
    server.server_close()
    thread.join()


def delivery_for(received: Deliveries, reference: str, event_type: str) -> tuple[bytes, str]:
    """localstripe's delivery of ``event_type`` about ``reference`` (others' go by)."""
    while True:
        body, signature = received.get(timeout=30)
        obj = json.loads(body)
        if obj["type"] == event_type and obj["data"]["object"]["id"] == reference:
            return body, signature


@pytest.fixture
def shop(app: APIFlask, session: Session, token_for: TokenFor, localstripe: Any) -> dict[str, Any]:
    app.extensions["payments"] = StripePaymentGateway(
        api_key=localstripe.api_key, webhook_secret=localstripe.webhook_secret,
        api_base=localstripe.url, max_network_retries=0,
    )  # fmt: skip
    school = make_school(session, "751")
    school_class = make_class(session, school)
    admin = principal(session, make_user(session, "platform_admin"))
    fund_school(session, admin, school, grant_ore=10_000, own_ore=10_000)
    teacher = make_user(session, "teacher", school=school)
    leader = make_user(session, "school_leader", school=school)
    pupil = make_user(session, "pupil", school_class=school_class)
    offer = make_offer(session, make_publisher(session), price_ore=8_000)
    return {
        "school": str(school.id), "class": str(school_class.id), "offer": str(offer.id),
        "product": str(offer.product_id),
        "teacher": {"Authorization": f"Bearer {token_for(teacher)}"},
        "leader": {"Authorization": f"Bearer {token_for(leader)}"},
        "pupil": {"Authorization": f"Bearer {token_for(pupil)}"},
        "payer": stripe.StripeClient(localstripe.api_key,
                                     base_addresses={"api": localstripe.url},
                                     max_network_retries=0),
    }  # fmt: skip


def card_order(client: FlaskClient, shop: dict[str, Any]) -> dict[str, Any]:
    asked = client.post("/api/v1/purchase-requests", headers=shop["teacher"], json={
        "offer_id": shop["offer"], "quantity": 1, "school_class_id": shop["class"],
        "reason": "Brøker med kort",
    })  # fmt: skip
    approved = client.post(
        f"/api/v1/purchase-requests/{asked.get_json()['id']}/approve",
        json={"payment_method": "card"}, headers=shop["leader"],
    )  # fmt: skip
    assert approved.status_code == 201, approved.get_json()
    order: dict[str, Any] = approved.get_json()
    return order


def budget(client: FlaskClient, shop: dict[str, Any]) -> dict[str, int]:
    answer: dict[str, int] = client.get(
        f"/api/v1/schools/{shop['school']}/budget", headers=shop["leader"]
    ).get_json()
    return answer


def test_card_payment_through_localstripe_and_its_webhook(
    client: FlaskClient, session: Session, shop: dict[str, Any], deliveries: Deliveries
) -> None:
    order = card_order(client, shop)
    assert order["status"] == "reserved"
    assert order["payment_reference"].startswith("pi_")
    assert order["charge_ore"] == 5_000  # own share 4.000 øre + 25 % VAT
    assert budget(client, shop)["reserved_ore"] == 8_000
    payer: stripe.StripeClient = shop["payer"]
    payer.v1.payment_intents.update(
        order["payment_reference"], params={"payment_method": "pm_card_visa"}
    )
    payer.v1.payment_intents.confirm(order["payment_reference"])
    body, signature = delivery_for(
        deliveries, order["payment_reference"], "payment_intent.succeeded"
    )
    first = client.post(
        "/api/v1/payments/stripe/webhook", data=body, headers={"Stripe-Signature": signature}
    )
    assert first.status_code == 200, first.get_json()
    assert first.get_json()["outcome"] == "applied"
    after_first = counts(session)
    again = client.post(
        "/api/v1/payments/stripe/webhook", data=body, headers={"Stripe-Signature": signature}
    )
    assert again.get_json()["outcome"] == "duplicate"
    assert counts(session) == after_first
    tampered = client.post("/api/v1/payments/stripe/webhook", data=body.replace(b"succeeded",
                           b"succeedeD", 1), headers={"Stripe-Signature": signature})  # fmt: skip
    assert tampered.status_code == 403
    figures = budget(client, shop)
    assert (figures["reserved_ore"], figures["spent_ore"], figures["subsidy_used_ore"]) == (
        0, 8_000, 4_000,
    )  # fmt: skip
    seen = client.get(f"/api/v1/me/entitlements/{shop['product']}", headers=shop["pupil"])
    assert seen.get_json()["reason"] == "licence"
    assert check_ledger(session) == []


def test_declined_card_releases_the_reservation(
    client: FlaskClient, session: Session, shop: dict[str, Any], deliveries: Deliveries
) -> None:
    before = budget(client, shop)
    order = card_order(client, shop)
    payer: stripe.StripeClient = shop["payer"]
    payer.v1.payment_intents.update(
        order["payment_reference"], params={"payment_method": "pm_card_chargeCustomerFail"}
    )
    with pytest.raises(stripe.CardError):
        payer.v1.payment_intents.confirm(order["payment_reference"])
    body, signature = delivery_for(
        deliveries, order["payment_reference"], "payment_intent.payment_failed"
    )
    answer = client.post(
        "/api/v1/payments/stripe/webhook", data=body, headers={"Stripe-Signature": signature}
    )
    assert answer.get_json()["outcome"] == "applied"
    assert budget(client, shop) == before
    state = client.get(f"/api/v1/orders/{order['id']}", headers=shop["leader"]).get_json()
    assert state["status"] == "released"
    assert check_ledger(session) == []
