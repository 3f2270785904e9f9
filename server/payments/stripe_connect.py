"""Publisher payouts through Stripe Connect: a Transfer to the publisher's connected account.

The platform collects card payments on its own Stripe account; once a month each publisher's
net (``payouts.Statement.net_ore``) is moved to its connected account (``acct_…``) with one
Transfer, idempotency key = publisher + month, so retries never pay twice. Stripe then pays
the connected account out to its bank on its own schedule.

localstripe has no Connect (no accounts, no transfers), so this adapter is tested only
against a recording HTTP client (``tests/payments/fakes.py: FakeStripeConnect``) that checks
the exact request Stripe would receive.
"""

from __future__ import annotations

from typing import Any

import stripe

from server.payments.payouts import (
    PayoutError,
    PayoutInstruction,
    PayoutReceipt,
    PayoutUnavailable,
)


class StripeConnectPayouts:
    name = "stripe_connect"

    def __init__(
        self,
        *,
        api_key: str,
        api_base: str | None = None,
        http_client: Any = None,
        max_network_retries: int = 2,
    ) -> None:
        base_addresses: Any = {"api": api_base.rstrip("/")} if api_base else None
        self._client = stripe.StripeClient(
            api_key,
            base_addresses=base_addresses,
            http_client=http_client,
            max_network_retries=max_network_retries,
        )

    def pay_out(self, instruction: PayoutInstruction) -> PayoutReceipt:
        if instruction.amount_ore <= 0:
            raise PayoutError("Udbetalingen skal være positiv (øre).")
        if not instruction.destination.startswith("acct_"):
            raise PayoutError("Forlaget har ingen Stripe-konto (acct_…) til udbetaling.")
        try:
            transfer = self._client.v1.transfers.create(
                params={
                    "amount": instruction.amount_ore,
                    "currency": instruction.currency.lower(),
                    "destination": instruction.destination,
                    "transfer_group": f"payout-{instruction.month}",
                    "description": instruction.description
                    or f"Skolehylde udbetaling {instruction.month}",
                    "metadata": {
                        "publisher_id": str(instruction.publisher_id),
                        "month": instruction.month,
                    },
                },
                options={"idempotency_key": instruction.idempotency_key},
            )
        except (stripe.APIConnectionError, stripe.RateLimitError) as error:
            raise PayoutUnavailable(f"Stripe kan ikke nås lige nu: {error}") from error
        except stripe.StripeError as error:
            if (error.http_status or 0) >= 500:
                raise PayoutUnavailable(f"Stripe svarede med en fejl: {error}") from error
            raise PayoutError(
                f"Stripe afviste udbetalingen: {error.user_message or error}"
            ) from error
        return PayoutReceipt(
            provider=self.name,
            reference=str(transfer.id),
            amount_ore=int(transfer.amount),
            status="paid",
        )
