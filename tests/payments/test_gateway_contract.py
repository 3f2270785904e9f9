"""One contract for every payment adapter: the invoice gateway, Stripe against localstripe, and
the recording fake other tests use (so the fake cannot drift from the real adapters).

"The payer pays" differs per adapter and is done here the way the real payer does it: for
Stripe, the client confirms the PaymentIntent with a test card through the ``stripe`` library
(not our adapter); for an invoice, the municipality's bank transfer is booked (``mark_paid``).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
import stripe
from fakes import FakePaymentGateway, new_request

from server.payments.interfaces import (
    PaymentError,
    PaymentGateway,
    PaymentHandle,
    PaymentRequest,
    PaymentStatus,
)
from server.payments.invoice import InvoicePaymentGateway
from server.payments.stripe_gateway import StripePaymentGateway


@dataclass
class Case:
    gateway: PaymentGateway
    pay: Callable[[PaymentHandle], None]


def _stripe_case(localstripe: Any) -> Case:
    gateway = StripePaymentGateway(
        api_key=localstripe.api_key,
        webhook_secret=localstripe.webhook_secret,
        api_base=localstripe.url,
        max_network_retries=0,
    )
    client = stripe.StripeClient(
        localstripe.api_key, base_addresses={"api": localstripe.url}, max_network_retries=0
    )

    def pay(handle: PaymentHandle) -> None:
        # what Stripe.js does with the client secret: attach the card, confirm
        client.v1.payment_intents.update(
            handle.reference, params={"payment_method": "pm_card_visa"}
        )
        client.v1.payment_intents.confirm(handle.reference)

    return Case(gateway, pay)


def _invoice_case() -> Case:
    gateway = InvoicePaymentGateway()
    return Case(gateway, lambda handle: gateway.mark_paid(handle.reference) and None)


def _fake_case() -> Case:
    gateway = FakePaymentGateway()
    return Case(gateway, lambda handle: gateway.settle(handle.reference))


@pytest.fixture(params=["invoice", "stripe", "fake"])
def case(request: pytest.FixtureRequest) -> Case:
    if request.param == "stripe":
        return _stripe_case(request.getfixturevalue("localstripe"))
    return _invoice_case() if request.param == "invoice" else _fake_case()


def test_create_is_pending_for_the_amount_in_ore(case: Case) -> None:
    handle = case.gateway.create_payment(new_request(12_345))

    assert handle.provider == case.gateway.name
    assert handle.reference
    assert handle.status is PaymentStatus.PENDING
    assert handle.amount_ore == 12_345
    assert case.gateway.retrieve(handle.reference) == handle


def test_the_same_idempotency_key_returns_the_same_payment(case: Case) -> None:
    request = new_request(5_000, key="order-42-payment")

    first = case.gateway.create_payment(request)
    again = case.gateway.create_payment(request)
    other = case.gateway.create_payment(new_request(5_000))

    assert again == first
    assert other.reference != first.reference


def test_paid_payment_is_succeeded(case: Case) -> None:
    handle = case.gateway.create_payment(new_request(9_900))

    case.pay(handle)

    paid = case.gateway.retrieve(handle.reference)
    assert (paid.status, paid.amount_ore, paid.reference) == (
        PaymentStatus.SUCCEEDED,
        9_900,
        handle.reference,
    )


def test_cancel_a_pending_payment(case: Case) -> None:
    handle = case.gateway.create_payment(new_request(2_500))

    canceled = case.gateway.cancel(handle.reference)

    assert canceled.status is PaymentStatus.CANCELED
    assert case.gateway.retrieve(handle.reference).status is PaymentStatus.CANCELED


def test_a_paid_payment_cannot_be_canceled_and_stays_paid(case: Case) -> None:
    handle = case.gateway.create_payment(new_request(2_500))
    case.pay(handle)

    with pytest.raises(PaymentError):
        case.gateway.cancel(handle.reference)

    assert case.gateway.retrieve(handle.reference).status is PaymentStatus.SUCCEEDED


def test_refund_in_parts_then_in_full(case: Case) -> None:
    handle = case.gateway.create_payment(new_request(10_000))
    case.pay(handle)

    part = case.gateway.refund(handle.reference, 2_500, "refund-1")
    replay = case.gateway.refund(handle.reference, 2_500, "refund-1")

    assert replay == part
    assert (part.payment_reference, part.amount_ore, part.status) == (
        handle.reference,
        2_500,
        PaymentStatus.REFUNDED,
    )
    assert case.gateway.retrieve(handle.reference).status is PaymentStatus.SUCCEEDED

    rest = case.gateway.refund(handle.reference, 7_500, "refund-2")

    assert rest.reference != part.reference
    assert rest.amount_ore == 7_500
    assert case.gateway.retrieve(handle.reference).status is PaymentStatus.REFUNDED


@pytest.mark.parametrize("amount", [0, -100])
def test_zero_or_negative_amounts_are_refused(case: Case, amount: int) -> None:
    with pytest.raises(PaymentError):
        case.gateway.create_payment(new_request(amount))


def test_unknown_reference_is_an_error(case: Case) -> None:
    with pytest.raises(PaymentError):
        case.gateway.retrieve("pi_doesnotexist" if case.gateway.name == "stripe" else "nope")


def test_request_keeps_order_and_metadata_immutable() -> None:
    request = PaymentRequest(uuid.uuid4(), 100, "x", "k")

    assert dict(request.metadata) == {}
    with pytest.raises(TypeError):
        request.metadata["a"] = "b"  # type: ignore[index]
