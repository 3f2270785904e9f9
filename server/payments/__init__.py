"""Payments: the payment port, its invoice and Stripe adapters, payouts to publishers.

``gateway_from_config`` builds the adapter ``PAYMENTS_BACKEND`` names; the app keeps it in
``app.extensions["payments"]`` (see ``server.app.register_extensions``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from server.config import ConfigurationError
from server.payments.interfaces import PaymentGateway
from server.payments.payouts import PayoutGateway


def gateway_from_config(config: Mapping[str, Any]) -> PaymentGateway:
    backend = config.get("PAYMENTS_BACKEND", "invoice")
    if backend == "invoice":
        from server.payments.invoice import InvoicePaymentGateway

        return InvoicePaymentGateway()
    if backend == "stripe":
        api_key = config.get("STRIPE_API_KEY")
        if not api_key:
            raise ConfigurationError("PAYMENTS_BACKEND=stripe needs STRIPE_API_KEY")
        from server.payments.stripe_gateway import StripePaymentGateway

        return StripePaymentGateway(
            api_key=api_key,
            webhook_secret=config.get("STRIPE_WEBHOOK_SECRET"),
            api_base=config.get("STRIPE_API_BASE"),
        )
    raise ConfigurationError(f"PAYMENTS_BACKEND must be invoice or stripe, not {backend!r}")


def payouts_from_config(config: Mapping[str, Any]) -> PayoutGateway:
    backend = config.get("PAYOUTS_BACKEND", "manual")
    if backend == "manual":
        from server.payments.payouts import ManualPayouts

        return ManualPayouts()
    if backend == "stripe_connect":
        api_key = config.get("STRIPE_API_KEY")
        if not api_key:
            raise ConfigurationError("PAYOUTS_BACKEND=stripe_connect needs STRIPE_API_KEY")
        from server.payments.stripe_connect import StripeConnectPayouts

        return StripeConnectPayouts(api_key=api_key, api_base=config.get("STRIPE_API_BASE"))
    raise ConfigurationError(f"PAYOUTS_BACKEND must be manual or stripe_connect, not {backend!r}")


def init_app(app: Any) -> None:
    """Put the configured gateways in ``app.extensions["payments"]`` and ``["payouts"]``."""
    from server.payments import views

    app.extensions["payments"] = gateway_from_config(app.config)
    app.extensions["payouts"] = payouts_from_config(app.config)
    app.register_blueprint(views.bp)  # GET /api/v1/payments/config
