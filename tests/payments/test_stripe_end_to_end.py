"""A card order end to end with no fake in the money path: the purchasing API creates the
PaymentIntent through ``StripePaymentGateway`` on localstripe, the payer confirms it with a
test card (``stripe`` library, as Stripe.js would), localstripe delivers the signed
``payment_intent.succeeded`` webhook to our real endpoint served on 127.0.0.1, and the order
becomes paid with its licence — on SQLite and on PostgreSQL."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import stripe
from apiflask import APIFlask
from flask.testing import FlaskClient
from purchasing_support import fund_school, make_offer, principal
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.serving import make_server

from factories import make_class, make_publisher, make_school, make_user
from server.ledger.postings import check_ledger
from server.licensing.models import LicenceRow
from server.organisations.models import UserRow
from server.payments.stripe_gateway import StripePaymentGateway
from server.purchasing.models import OrderRow, PaymentEventRow


@pytest.fixture
def served(app: APIFlask, localstripe: Any) -> Iterator[str]:
    """The app with the Stripe gateway, also served over HTTP for localstripe's webhooks."""
    app.extensions["payments"] = StripePaymentGateway(
        api_key=localstripe.api_key,
        webhook_secret=localstripe.webhook_secret,
        api_base=localstripe.url,
        max_network_retries=0,
    )
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join()


def wait_for_status(session: Session, order_id: str, wanted: str) -> str:
    """Poll the database until the order reaches ``wanted`` (localstripe waits ~1 s to send).

    Each look is its own short transaction, so this thread holds no snapshot and no lock
    while the server thread handles the webhook.
    """
    deadline = time.monotonic() + 30
    while True:
        session.rollback()
        status = session.scalar(select(OrderRow.status).where(OrderRow.id == uuid.UUID(order_id)))
        session.rollback()
        if status == wanted or time.monotonic() > deadline:
            return str(status)
        time.sleep(0.2)


def test_card_order_paid_by_a_real_signed_webhook(
    client: FlaskClient,
    session: Session,
    token_for: Callable[[UserRow], str],
    localstripe: Any,
    served: str,
) -> None:
    school = make_school(session, "751", "Bakkeskolen")
    school_class = make_class(session, school, "4.B", 4)
    admin = make_user(session, "platform_admin")
    teacher = make_user(session, "teacher", school=school)
    leader = make_user(session, "school_leader", school=school)
    offer = make_offer(session, make_publisher(session), price_ore=10_000)
    fund_school(session, principal(session, admin), school, grant_ore=50_000, own_ore=50_000)
    localstripe.register_webhook(
        f"{served}/api/v1/payments/stripe/webhook", events=["payment_intent.succeeded"]
    )

    asked = client.post(
        "/api/v1/purchase-requests",
        json={
            "offer_id": str(offer.id),
            "quantity": 1,
            "school_class_id": str(school_class.id),
            "reason": "Brøker i 4.B",
        },
        headers={"Authorization": f"Bearer {token_for(teacher)}"},
    ).get_json()
    leader_headers = {"Authorization": f"Bearer {token_for(leader)}"}
    approved = client.post(
        f"/api/v1/purchase-requests/{asked['id']}/approve",
        json={"payment_method": "card"},
        headers={**leader_headers, "Idempotency-Key": "card-1"},
    )
    assert approved.status_code == 201, approved.get_json()
    order = approved.get_json()
    assert (order["status"], order["payment_method"]) == ("reserved", "card")
    assert order["client_secret"].startswith(order["payment_reference"] + "_secret_")

    payer = stripe.StripeClient(
        localstripe.api_key, base_addresses={"api": localstripe.url}, max_network_retries=0
    )
    intent = payer.v1.payment_intents.retrieve(order["payment_reference"])
    assert (intent.amount, intent.currency) == (order["charge_ore"], "dkk")
    payer.v1.payment_intents.update(intent.id, params={"payment_method": "pm_card_visa"})
    payer.v1.payment_intents.confirm(intent.id)

    status = wait_for_status(session, order["id"], "paid")
    assert status == "paid", localstripe.log()[-3000:]
    paid = client.get(f"/api/v1/orders/{order['id']}", headers=leader_headers).get_json()
    assert (paid["status"], paid["payment_status"]) == ("paid", "succeeded")
    session.expire_all()
    events = session.scalars(select(PaymentEventRow)).all()
    assert [(e.provider, e.type, e.payment_reference, e.outcome) for e in events] == [
        ("stripe", "payment_intent.succeeded", intent.id, "applied")
    ]
    assert session.scalar(select(func.count()).select_from(LicenceRow)) == 1
    assert check_ledger(session) == []
