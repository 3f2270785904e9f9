"""The Stripe adapter beyond the contract: signed webhooks (made here, and delivered for real by
localstripe to a loopback server), declined cards, an unreachable Stripe, vendor errors."""

from __future__ import annotations

import hashlib
import hmac
import http.server
import json
import queue
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import stripe
from fakes import new_request

from localstripeserver import LocalStripe
from server.payments.interfaces import (
    InvalidWebhook,
    PaymentDeclined,
    PaymentError,
    PaymentStatus,
    PaymentUnavailable,
    WebhookEvent,
)
from server.payments.stripe_gateway import StripePaymentGateway, _translated


@pytest.fixture
def gateway(localstripe: Any) -> StripePaymentGateway:
    return StripePaymentGateway(
        api_key=localstripe.api_key,
        webhook_secret=localstripe.webhook_secret,
        api_base=localstripe.url,
        max_network_retries=0,
    )


@pytest.fixture
def client(localstripe: Any) -> stripe.StripeClient:
    """The payer's side (Stripe.js, the app), talking to Stripe directly."""
    return stripe.StripeClient(
        localstripe.api_key, base_addresses={"api": localstripe.url}, max_network_retries=0
    )


def signed(payload: bytes, secret: str, timestamp: int | None = None) -> str:
    """A ``Stripe-Signature`` header as Stripe computes it."""
    t = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{t}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={t},v1={digest}"


def event_body(event_type: str = "payment_intent.succeeded", **intent: Any) -> bytes:
    obj = {"id": "pi_123", "object": "payment_intent", "amount": 4_200, "status": "succeeded"}
    body = {
        "id": "evt_1",
        "object": "event",
        "type": event_type,
        "created": 1_796_000_000,
        "data": {"object": {**obj, **intent}},
    }
    return json.dumps(body).encode()


# --------------------------------------------------------------------------- webhooks


def test_a_signed_webhook_becomes_a_domain_event(gateway: StripePaymentGateway) -> None:
    payload = event_body()

    event = gateway.parse_webhook(payload, signed(payload, gateway._webhook_secret or ""))

    assert event == WebhookEvent(
        event_id="evt_1",
        type="payment_intent.succeeded",
        payment_reference="pi_123",
        status=PaymentStatus.SUCCEEDED,
        amount_ore=4_200,
        created=1_796_000_000,
    )


@pytest.mark.parametrize(
    ("event_type", "status"),
    [
        ("payment_intent.payment_failed", PaymentStatus.FAILED),
        ("payment_intent.canceled", PaymentStatus.CANCELED),
        ("payment_intent.requires_action", PaymentStatus.REQUIRES_ACTION),
        ("payment_intent.processing", PaymentStatus.PENDING),
    ],
)
def test_event_types_map_to_statuses(
    gateway: StripePaymentGateway, event_type: str, status: PaymentStatus
) -> None:
    payload = event_body(event_type, status="requires_payment_method")

    event = gateway.parse_webhook(payload, signed(payload, gateway._webhook_secret or ""))

    assert (event.type, event.status) == (event_type, status)


def test_a_refunded_charge_reports_its_payment_intent(gateway: StripePaymentGateway) -> None:
    charge = {"id": "ch_1", "object": "charge", "amount": 4_200, "amount_refunded": 1_000,
              "payment_intent": "pi_123"}  # fmt: skip
    payload = json.dumps(
        {"id": "evt_2", "type": "charge.refunded", "created": 5, "data": {"object": charge}}
    ).encode()

    event = gateway.parse_webhook(payload, signed(payload, gateway._webhook_secret or ""))

    assert (event.payment_reference, event.status, event.amount_ore) == (
        "pi_123",
        PaymentStatus.REFUNDED,
        1_000,
    )


def test_bad_signature_is_refused(gateway: StripePaymentGateway) -> None:
    payload = event_body()
    header = signed(payload, gateway._webhook_secret or "")

    with pytest.raises(InvalidWebhook):
        gateway.parse_webhook(payload, header[:-4] + "0000")


def test_wrong_secret_is_refused(gateway: StripePaymentGateway) -> None:
    payload = event_body()

    with pytest.raises(InvalidWebhook):
        gateway.parse_webhook(payload, signed(payload, "whsec_someone_else"))


def test_tampered_body_is_refused(gateway: StripePaymentGateway) -> None:
    payload = event_body()
    header = signed(payload, gateway._webhook_secret or "")

    with pytest.raises(InvalidWebhook):
        gateway.parse_webhook(payload.replace(b"4200", b"1"), header)


def test_stale_timestamp_is_refused(gateway: StripePaymentGateway) -> None:
    payload = event_body()
    ten_minutes_ago = int(time.time()) - 600

    with pytest.raises(InvalidWebhook):
        gateway.parse_webhook(
            payload, signed(payload, gateway._webhook_secret or "", ten_minutes_ago)
        )


@pytest.mark.parametrize("header", [None, "", "nonsense", "t=abc,v1=00"])
def test_missing_or_garbled_header_is_refused(
    gateway: StripePaymentGateway, header: str | None
) -> None:
    with pytest.raises(InvalidWebhook):
        gateway.parse_webhook(event_body(), header)


@pytest.mark.parametrize(
    "payload",
    [b"not json", b"\xff\xfe", b"[]", b'{"id": "evt_1"}', b'{"id": "e", "type": "t", "data": {}}'],
)
def test_malformed_body_with_a_valid_signature_is_refused(
    gateway: StripePaymentGateway, payload: bytes
) -> None:
    with pytest.raises(InvalidWebhook):
        gateway.parse_webhook(payload, signed(payload, gateway._webhook_secret or ""))


def test_no_webhook_secret_configured_refuses_every_webhook(localstripe: Any) -> None:
    gateway = StripePaymentGateway(api_key=localstripe.api_key, webhook_secret=None)
    payload = event_body()

    with pytest.raises(InvalidWebhook):
        gateway.parse_webhook(payload, signed(payload, localstripe.webhook_secret))


class _Receiver(http.server.BaseHTTPRequestHandler):
    received: queue.Queue[tuple[bytes, str | None]]

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.put((body, self.headers.get("Stripe-Signature")))
        self.send_response(200)
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def webhook_receiver() -> Iterator[tuple[str, queue.Queue[tuple[bytes, str | None]]]]:
    received: queue.Queue[tuple[bytes, str | None]] = queue.Queue()
    handler = type("Receiver", (_Receiver,), {"received": received})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/webhooks/stripe", received
    server.shutdown()
    server.server_close()
    thread.join()


def _next_event_for(
    received: queue.Queue[tuple[bytes, str | None]], gateway: StripePaymentGateway, reference: str
) -> tuple[WebhookEvent, bytes]:
    """Wait for localstripe's delivery about ``reference`` (others' events go by)."""
    while True:
        payload, header = received.get(timeout=30)
        event = gateway.parse_webhook(payload, header)
        if event.payment_reference == reference:
            return event, payload


def test_localstripe_delivers_a_signed_webhook_that_we_parse(
    localstripe: Any,
    gateway: StripePaymentGateway,
    client: stripe.StripeClient,
    webhook_receiver: tuple[str, queue.Queue[tuple[bytes, str | None]]],
) -> None:
    url, received = webhook_receiver
    localstripe.register_webhook(url, events=["payment_intent.succeeded"])
    handle = gateway.create_payment(new_request(31_250))

    client.v1.payment_intents.update(handle.reference, params={"payment_method": "pm_card_visa"})
    client.v1.payment_intents.confirm(handle.reference)
    event, payload = _next_event_for(received, gateway, handle.reference)

    assert (event.type, event.status, event.amount_ore) == (
        "payment_intent.succeeded",
        PaymentStatus.SUCCEEDED,
        31_250,
    )
    recorded = [e for e in localstripe.events() if e["id"] == event.event_id]
    assert [(e["type"], e["created"]) for e in recorded] == [(event.type, event.created)]
    assert json.loads(payload)["data"]["object"]["metadata"]["description"] == (
        "Matematik 5 – klasselicens"
    )


def test_a_declined_card_fails_the_payment_and_is_reported(
    localstripe: Any,
    gateway: StripePaymentGateway,
    client: stripe.StripeClient,
    webhook_receiver: tuple[str, queue.Queue[tuple[bytes, str | None]]],
) -> None:
    url, received = webhook_receiver
    localstripe.register_webhook(url, events=["payment_intent.payment_failed"])
    handle = gateway.create_payment(new_request(7_000))
    client.v1.payment_intents.update(
        handle.reference, params={"payment_method": "pm_card_chargeCustomerFail"}
    )

    with pytest.raises(stripe.CardError):
        client.v1.payment_intents.confirm(handle.reference)
    event, _ = _next_event_for(received, gateway, handle.reference)

    assert event.status is PaymentStatus.FAILED
    assert gateway.retrieve(handle.reference).status is PaymentStatus.FAILED


def test_idempotency_key_with_other_parameters_is_refused(gateway: StripePaymentGateway) -> None:
    gateway.create_payment(new_request(1_000, key="same-key"))

    with pytest.raises(PaymentError):
        gateway.create_payment(new_request(2_000, key="same-key"))


# --------------------------------------------------------------------------- faults


def test_stripe_down_is_payment_unavailable() -> None:
    server = LocalStripe.start()
    gateway = StripePaymentGateway(
        api_key=server.api_key, webhook_secret=None, api_base=server.url, max_network_retries=0
    )
    handle = gateway.create_payment(new_request(1_000))
    server.stop()

    with pytest.raises(PaymentUnavailable):
        gateway.create_payment(new_request(1_000))
    with pytest.raises(PaymentUnavailable):
        gateway.retrieve(handle.reference)


def test_a_wrong_api_key_is_a_payment_error_not_unavailable(localstripe: Any) -> None:
    gateway = StripePaymentGateway(
        api_key="sk_", webhook_secret=None, api_base=localstripe.url, max_network_retries=0
    )

    with pytest.raises(PaymentError) as raised:
        gateway.create_payment(new_request(1_000))
    assert type(raised.value) is PaymentError


@pytest.mark.parametrize(
    ("vendor", "ours"),
    [
        (stripe.CardError("Your card was declined.", None, "card_declined"), PaymentDeclined),
        (stripe.APIConnectionError("connection refused"), PaymentUnavailable),
        (stripe.RateLimitError("slow down"), PaymentUnavailable),
        (stripe.APIError("boom", http_status=502), PaymentUnavailable),
        (stripe.InvalidRequestError("no such intent", "id", http_status=404), PaymentError),
    ],
)
def test_vendor_errors_are_translated(vendor: Exception, ours: type[Exception]) -> None:
    with pytest.raises(ours) as raised, _translated():
        raise vendor

    assert type(raised.value) is ours
    assert raised.value.__cause__ is vendor


def test_no_sdk_globals_are_set(localstripe: Any) -> None:
    StripePaymentGateway(api_key="sk_test_a", webhook_secret="s", api_base=localstripe.url)

    assert stripe.api_key is None
    assert stripe.api_base == "https://api.stripe.com"


def test_order_id_travels_in_metadata(
    gateway: StripePaymentGateway, client: stripe.StripeClient
) -> None:
    request = new_request(1_234)

    handle = gateway.create_payment(request)

    intent = client.v1.payment_intents.retrieve(handle.reference)
    assert (intent.currency, intent.amount, intent.metadata["order_id"]) == (
        "dkk",
        1_234,
        str(request.order_id),
    )
    assert uuid.UUID(intent.metadata["order_id"]) == request.order_id
