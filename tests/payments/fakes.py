"""Recording test doubles for the payment and payout ports.

``FakePaymentGateway`` implements ``server.payments.interfaces.PaymentGateway`` and keeps every
call in ``calls``; tests steer it (``settle``, ``fail_next``) and make signed webhooks for it
(``webhook``). ``FakeStripeConnect`` stands in for Stripe's HTTP API under
``StripeConnectPayouts`` (localstripe has no Connect), recording each request exactly.

From a test in ``tests/payments``: ``from fakes import FakePaymentGateway``; from anywhere else
in the suite (``tests/`` is on ``sys.path``): ``from payments.fakes import FakePaymentGateway``.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import uuid
from dataclasses import dataclass, field
from typing import Any

import stripe

from server.payments.interfaces import (
    InvalidWebhook,
    PaymentError,
    PaymentHandle,
    PaymentRequest,
    PaymentStatus,
    RefundResult,
    WebhookEvent,
)

FAKE_WEBHOOK_SECRET = b"fake-webhook-secret"


@dataclass
class FakePaymentGateway:
    """An in-memory payment provider: PaymentIntent-like, idempotent, with signed webhooks."""

    name: str = "fake"
    calls: list[tuple[str, Any]] = field(default_factory=list)
    payments: dict[str, PaymentHandle] = field(default_factory=dict)
    refunds: dict[str, RefundResult] = field(default_factory=dict)
    _keys: dict[str, tuple[PaymentRequest, str]] = field(default_factory=dict)
    _next_error: PaymentError | None = None
    _counter: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    # -- steering ---------------------------------------------------------------------------
    def fail_next(self, error: PaymentError) -> None:
        """The next call raises ``error`` (``PaymentUnavailable``, ``PaymentDeclined``, …)."""
        self._next_error = error

    def settle(self, reference: str, status: PaymentStatus = PaymentStatus.SUCCEEDED) -> None:
        """The payer acted (card confirmed, invoice paid): the payment now has ``status``."""
        handle = self.payments[reference]
        self.payments[reference] = PaymentHandle(
            handle.provider, reference, status, handle.amount_ore, handle.client_secret
        )

    def webhook(
        self, reference: str, status: PaymentStatus, *, event_id: str | None = None,
        created: int = 1_800_000_000, event_type: str | None = None,
    ) -> tuple[bytes, str]:  # fmt: skip
        """A (payload, signature header) pair that ``parse_webhook`` accepts."""
        body = {
            "id": event_id or f"evt_fake_{next(self._counter)}",
            "type": event_type or f"payment.{status.value}",
            "reference": reference,
            "status": status.value,
            "amount_ore": self.payments[reference].amount_ore if reference in self.payments else 0,
            "created": created,
        }
        payload = json.dumps(body, sort_keys=True).encode()
        return payload, hmac.new(FAKE_WEBHOOK_SECRET, payload, hashlib.sha256).hexdigest()

    # -- the port ---------------------------------------------------------------------------
    def _record(self, name: str, argument: Any) -> None:
        self.calls.append((name, argument))
        if self._next_error is not None:
            error, self._next_error = self._next_error, None
            raise error

    def create_payment(self, request: PaymentRequest) -> PaymentHandle:
        self._record("create_payment", request)
        if request.amount_ore <= 0:
            raise PaymentError("amount must be positive")
        seen = self._keys.get(request.idempotency_key)
        if seen is not None:
            if seen[0] != request:
                raise PaymentError("idempotency key reused with other parameters")
            return self.payments[seen[1]]
        reference = f"fake_{next(self._counter)}"
        handle = PaymentHandle(
            self.name, reference, PaymentStatus.PENDING, request.amount_ore, f"{reference}_secret"
        )
        self.payments[reference] = handle
        self._keys[request.idempotency_key] = (request, reference)
        return handle

    def retrieve(self, reference: str) -> PaymentHandle:
        self._record("retrieve", reference)
        if reference not in self.payments:
            raise PaymentError(f"no payment {reference}")
        return self.payments[reference]

    def cancel(self, reference: str) -> PaymentHandle:
        self._record("cancel", reference)
        handle = self.retrieve(reference)
        if handle.status not in (PaymentStatus.PENDING, PaymentStatus.REQUIRES_ACTION):
            raise PaymentError(f"cannot cancel a {handle.status} payment")
        self.settle(reference, PaymentStatus.CANCELED)
        return self.payments[reference]

    def refund(self, reference: str, amount_ore: int, idempotency_key: str) -> RefundResult:
        self._record("refund", (reference, amount_ore, idempotency_key))
        if idempotency_key in self.refunds:
            return self.refunds[idempotency_key]
        handle = self.payments.get(reference)
        if handle is None or handle.status is not PaymentStatus.SUCCEEDED or amount_ore <= 0:
            raise PaymentError(f"cannot refund {amount_ore} øre of {reference}")
        result = RefundResult(
            f"re_fake_{next(self._counter)}", reference, amount_ore, PaymentStatus.REFUNDED
        )
        self.refunds[idempotency_key] = result
        if sum(r.amount_ore for r in self.refunds.values() if r.payment_reference == reference) >= (
            handle.amount_ore
        ):
            self.settle(reference, PaymentStatus.REFUNDED)
        return result

    def parse_webhook(self, payload: bytes, signature_header: str | None) -> WebhookEvent:
        self.calls.append(("parse_webhook", payload))
        expected = hmac.new(FAKE_WEBHOOK_SECRET, payload, hashlib.sha256).hexdigest()
        if not signature_header or not hmac.compare_digest(expected, signature_header):
            raise InvalidWebhook("bad signature")
        try:
            body = json.loads(payload)
            return WebhookEvent(
                event_id=str(body["id"]),
                type=str(body["type"]),
                payment_reference=str(body["reference"]),
                status=PaymentStatus(body["status"]),
                amount_ore=int(body["amount_ore"]),
                created=int(body["created"]),
            )
        except (ValueError, KeyError, TypeError) as error:
            raise InvalidWebhook(f"malformed body: {error!r}") from error


def new_request(amount_ore: int = 12_345, *, key: str | None = None) -> PaymentRequest:
    return PaymentRequest(
        order_id=uuid.uuid4(),
        amount_ore=amount_ore,
        description="Matematik 5 – klasselicens",
        idempotency_key=key or f"key-{uuid.uuid4()}",
    )


@dataclass
class RecordedRequest:
    method: str
    url: str
    headers: dict[str, str]
    params: dict[str, list[str]]


class FakeStripeConnect(stripe.HTTPClient):
    """Stripe's HTTP API for Connect transfers, as a stub under the real ``stripe`` library.

    localstripe has no Connect, so ``StripeConnectPayouts`` is tested against this: every
    request is recorded (method, URL, headers, form parameters) and a Transfer is answered, the
    same one again for a repeated ``Idempotency-Key`` as Stripe does. ``fail_with`` makes the
    next answer an error (HTTP status and Stripe error body), ``unreachable`` a network error.
    """

    name = "fake_stripe_connect"

    def __init__(self) -> None:
        super().__init__()
        self.requests: list[RecordedRequest] = []
        self._replies: dict[str, str] = {}
        self._counter = itertools.count(1)
        self.fail_with: tuple[int, dict[str, Any]] | None = None
        self.unreachable = False

    def request(
        self, method: str, url: str, headers: Any, post_data: Any = None, *, _usage: Any = None
    ) -> tuple[str, int, dict[str, str]]:
        from urllib.parse import parse_qs

        text = post_data.decode() if isinstance(post_data, bytes) else (post_data or "")
        self.requests.append(
            RecordedRequest(
                method, url, dict(headers or {}), parse_qs(text, keep_blank_values=True)
            )
        )
        if self.unreachable:
            raise stripe.APIConnectionError("connection refused (fake)")
        if self.fail_with is not None:
            status, error = self.fail_with
            self.fail_with = None
            return json.dumps({"error": error}), status, {}
        key = (headers or {}).get("Idempotency-Key", "")
        if key in self._replies:
            return self._replies[key], 200, {"Idempotent-Replayed": "true"}
        params = self.requests[-1].params
        body = json.dumps({
            "id": f"tr_fake_{next(self._counter)}", "object": "transfer",
            "amount": int(params["amount"][0]), "currency": params["currency"][0],
            "destination": params["destination"][0],
        })  # fmt: skip
        if key:
            self._replies[key] = body
        return body, 200, {}

    def close(self) -> None:
        pass
