"""The payments port: how an order asks for money and learns whether it came.

Adapters: ``InvoicePaymentGateway`` (embedded default, ``server/payments/invoice.py``: the
municipality pays an OIOUBL invoice through its EAN number) and ``StripePaymentGateway``
(``server/payments/stripe_gateway.py``: a card PaymentIntent for the own share), chosen by
``PAYMENTS_BACKEND`` in ``server.payments.gateway_from_config``. Both pass
``tests/payments/test_gateway_contract.py``; ``tests/payments/fakes.py`` has a recording fake.

Semantics every adapter keeps:

* amounts are integer øre (Stripe's minor unit for DKK); never float.
* ``create_payment`` with an ``idempotency_key`` already used returns the same payment.
* ``reference`` is the provider's id (a PaymentIntent id, an invoice number); the purchasing
  side stores it on the order and finds the order by it when a webhook arrives.
* ``parse_webhook`` verifies the signature before it reads anything and raises
  ``InvalidWebhook`` for a bad or missing signature, a stale timestamp or a malformed body.
* ``RefundResult.status`` is REFUNDED once that refund went through (a card refund, a credit
  note), PENDING while the provider still processes it, FAILED when it was refused; the
  payment itself reads REFUNDED from ``retrieve`` only when it is refunded in full.
* vendor errors never leave an adapter: an unreachable provider is ``PaymentUnavailable``, a
  refused card is ``PaymentDeclined``; anything else the provider refuses is ``PaymentError``.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import Protocol


class PaymentStatus(StrEnum):
    PENDING = "pending"
    REQUIRES_ACTION = "requires_action"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELED = "canceled"
    REFUNDED = "refunded"


@dataclass(frozen=True, slots=True)
class PaymentRequest:
    order_id: uuid.UUID
    amount_ore: int
    description: str
    idempotency_key: str
    currency: str = "dkk"
    metadata: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))


@dataclass(frozen=True, slots=True)
class PaymentHandle:
    provider: str
    reference: str
    status: PaymentStatus
    amount_ore: int
    client_secret: str | None = None


@dataclass(frozen=True, slots=True)
class RefundResult:
    reference: str
    payment_reference: str
    amount_ore: int
    status: PaymentStatus


@dataclass(frozen=True, slots=True)
class WebhookEvent:
    event_id: str
    type: str
    payment_reference: str
    status: PaymentStatus
    amount_ore: int
    created: int  # the provider's unix time


class PaymentError(Exception):
    """The provider refused or failed the operation."""


class PaymentUnavailable(PaymentError):
    """The provider could not be reached; the operation may be retried with the same key."""


class PaymentDeclined(PaymentError):
    """The payer's means of payment was refused (a declined card)."""


class InvalidWebhook(PaymentError):
    """A webhook whose signature, timestamp or body cannot be trusted."""


class PaymentGateway(Protocol):
    name: str

    def create_payment(self, request: PaymentRequest) -> PaymentHandle: ...

    def retrieve(self, reference: str) -> PaymentHandle: ...

    def cancel(self, reference: str) -> PaymentHandle: ...

    def refund(self, reference: str, amount_ore: int, idempotency_key: str) -> RefundResult: ...

    def parse_webhook(self, payload: bytes, signature_header: str | None) -> WebhookEvent: ...
