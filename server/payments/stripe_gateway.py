"""Card payment of the own share through Stripe PaymentIntents (``PAYMENTS_BACKEND=stripe``).

The only module that imports ``stripe``. Each gateway holds its own ``stripe.StripeClient``
built from configuration (API key, API base for localstripe): nothing is set on the SDK's
module globals, so two gateways with different keys can live in one process.

Flow: ``create_payment`` makes a PaymentIntent in DKK for the amount in øre (Stripe's minor
unit for DKK), with our idempotency key as Stripe's; the client confirms it with
the ``client_secret`` (Stripe.js or the app); Stripe tells us the outcome by webhook, which
``parse_webhook`` verifies (signature and timestamp tolerance) and translates.

Stripe's ``description`` field is not sent: localstripe, which the tests run against,
refuses it; the description travels in ``metadata["description"]`` instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

import stripe

from server.payments.interfaces import (
    InvalidWebhook,
    PaymentDeclined,
    PaymentError,
    PaymentHandle,
    PaymentRequest,
    PaymentStatus,
    PaymentUnavailable,
    RefundResult,
    WebhookEvent,
)

#: seconds a webhook's signed timestamp may lag behind our clock (Stripe's default)
DEFAULT_WEBHOOK_TOLERANCE: Final = 300
METADATA_VALUE_MAX: Final = 500  # Stripe's limit per metadata value

_INTENT_STATUS: Final[Mapping[str, PaymentStatus]] = {
    "requires_payment_method": PaymentStatus.PENDING,
    "requires_confirmation": PaymentStatus.PENDING,
    "processing": PaymentStatus.PENDING,
    "requires_capture": PaymentStatus.PENDING,
    "requires_action": PaymentStatus.REQUIRES_ACTION,
    "succeeded": PaymentStatus.SUCCEEDED,
    "canceled": PaymentStatus.CANCELED,
}

#: webhook event types → the payment status they report; other types are passed on with the
#: status of the object they carry (the purchasing side acts only on these)
EVENT_STATUS: Final[Mapping[str, PaymentStatus]] = {
    "payment_intent.succeeded": PaymentStatus.SUCCEEDED,
    "payment_intent.payment_failed": PaymentStatus.FAILED,
    "payment_intent.canceled": PaymentStatus.CANCELED,
    "payment_intent.processing": PaymentStatus.PENDING,
    "payment_intent.requires_action": PaymentStatus.REQUIRES_ACTION,
    "charge.refunded": PaymentStatus.REFUNDED,
}

_REFUND_STATUS: Final[Mapping[str, PaymentStatus]] = {
    "succeeded": PaymentStatus.REFUNDED,
    "pending": PaymentStatus.PENDING,
    "requires_action": PaymentStatus.PENDING,
    "failed": PaymentStatus.FAILED,
    "canceled": PaymentStatus.CANCELED,
}


class StripePaymentGateway:
    name = "stripe"

    def __init__(
        self,
        *,
        api_key: str,
        webhook_secret: str | None,
        api_base: str | None = None,
        webhook_tolerance: int = DEFAULT_WEBHOOK_TOLERANCE,
        max_network_retries: int = 2,
    ) -> None:
        base_addresses: Any = {"api": api_base.rstrip("/")} if api_base else None
        self._client = stripe.StripeClient(
            api_key,
            base_addresses=base_addresses,
            max_network_retries=max_network_retries,
        )
        self._webhook_secret = webhook_secret
        self._webhook_tolerance = webhook_tolerance

    def create_payment(self, request: PaymentRequest) -> PaymentHandle:
        if request.amount_ore <= 0:
            raise PaymentError("Beløbet skal være positivt (øre).")
        metadata = {
            **request.metadata,
            "order_id": str(request.order_id),
            "description": request.description[:METADATA_VALUE_MAX],
        }
        with _translated():
            intent = self._client.v1.payment_intents.create(
                params={
                    "amount": request.amount_ore,
                    "currency": request.currency.lower(),
                    "metadata": metadata,
                },
                options={"idempotency_key": request.idempotency_key},
            )
        return _handle(intent)

    def retrieve(self, reference: str) -> PaymentHandle:
        with _translated():
            intent = self._client.v1.payment_intents.retrieve(
                reference, params={"expand": ["latest_charge"]}
            )
        return _handle(intent)

    def cancel(self, reference: str) -> PaymentHandle:
        with _translated():
            intent = self._client.v1.payment_intents.cancel(reference)
        return _handle(intent)

    def refund(self, reference: str, amount_ore: int, idempotency_key: str) -> RefundResult:
        if amount_ore <= 0:
            raise PaymentError("Beløbet skal være positivt (øre).")
        with _translated():
            refund = self._client.v1.refunds.create(
                params={"payment_intent": reference, "amount": amount_ore},
                options={"idempotency_key": idempotency_key},
            )
        return RefundResult(
            reference=refund.id,
            payment_reference=reference,
            amount_ore=int(refund.amount),
            status=_REFUND_STATUS.get(str(refund.status), PaymentStatus.PENDING),
        )

    def parse_webhook(self, payload: bytes, signature_header: str | None) -> WebhookEvent:
        if not self._webhook_secret:
            raise InvalidWebhook("STRIPE_WEBHOOK_SECRET er ikke sat: webhooks kan ikke tjekkes.")
        if not signature_header:
            raise InvalidWebhook("Webhooken mangler Stripe-Signature.")
        try:
            # the client's construct_event: signature and tolerance checked, no SDK globals
            event = self._client.construct_event(
                payload, signature_header, self._webhook_secret, self._webhook_tolerance
            )
            body = event.to_dict()
        except stripe.SignatureVerificationError as error:
            raise InvalidWebhook(f"Webhooken kunne ikke verificeres: {error}") from error
        except (ValueError, TypeError, AttributeError, KeyError) as error:  # not an event object
            raise InvalidWebhook(f"Webhooken har en uventet form: {error!r}") from error
        try:
            return _event(body)
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            raise InvalidWebhook(f"Webhooken har en uventet form: {error!r}") from error


def _event(body: Mapping[str, Any]) -> WebhookEvent:
    event_type = str(body["type"])
    obj = body["data"]["object"]
    kind = obj["object"]
    if kind == "payment_intent":
        reference = str(obj["id"])
        amount = int(obj["amount"])
        status = EVENT_STATUS.get(event_type) or _INTENT_STATUS.get(
            str(obj["status"]), PaymentStatus.PENDING
        )
    elif kind == "charge":
        reference = str(obj.get("payment_intent") or obj["id"])
        refunded = int(obj.get("amount_refunded") or 0)
        amount = refunded if event_type == "charge.refunded" else int(obj["amount"])
        status = EVENT_STATUS.get(event_type, PaymentStatus.PENDING)
    else:
        reference = str(obj.get("id", ""))
        amount = int(obj.get("amount") or 0)
        status = PaymentStatus.PENDING
    return WebhookEvent(
        event_id=str(body["id"]),
        type=event_type,
        payment_reference=reference,
        status=status,
        amount_ore=amount,
        created=int(body["created"]),
    )


def _handle(intent: Any) -> PaymentHandle:
    status = _INTENT_STATUS.get(str(intent.status), PaymentStatus.PENDING)
    charge = getattr(intent, "latest_charge", None)
    if status is PaymentStatus.SUCCEEDED and getattr(charge, "refunded", False) is True:
        status = PaymentStatus.REFUNDED
    if status is PaymentStatus.PENDING and getattr(intent, "last_payment_error", None):
        status = PaymentStatus.FAILED
    return PaymentHandle(
        provider="stripe",
        reference=str(intent.id),
        status=status,
        amount_ore=int(intent.amount),
        client_secret=getattr(intent, "client_secret", None),
    )


class _translated:
    """Translate vendor errors at the boundary: no ``stripe`` exception leaves this module."""

    def __enter__(self) -> None:
        return None

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, _tb: Any
    ) -> None:
        if error is None:
            return
        if isinstance(error, stripe.APIConnectionError):
            raise PaymentUnavailable(
                f"Stripe kan ikke nås lige nu: {error.user_message or error}"
            ) from error
        if isinstance(error, stripe.CardError):
            raise PaymentDeclined(f"Kortet blev afvist: {error.user_message or error}") from error
        if isinstance(error, stripe.RateLimitError):
            raise PaymentUnavailable("Stripe har for travlt lige nu; prøv igen.") from error
        if isinstance(error, stripe.StripeError):
            if (error.http_status or 0) >= 500:
                raise PaymentUnavailable(f"Stripe svarede med en fejl: {error}") from error
            raise PaymentError(
                f"Stripe afviste forespørgslen: {error.user_message or error}"
            ) from error
