"""HTTP API of the payments area: what a client needs to pay (public, no secrets).

The card flow itself runs through the purchasing endpoints (an approved card order answers
with the PaymentIntent's ``client_secret``); a client confirms it with Stripe.js or the app,
using the publishable key from here.
"""

from __future__ import annotations

from typing import Any

from apiflask import APIBlueprint, APIFlask, Schema
from apiflask.fields import String
from flask import current_app

bp = APIBlueprint("payments", __name__, url_prefix="/api/v1", tag="Payments")


class PaymentConfigOut(Schema):
    backend = String(required=True, metadata={"description": "invoice or stripe"})
    currency = String(required=True, metadata={"example": "dkk"})
    publishable_key = String(
        required=True, allow_none=True, metadata={"description": "Stripe's, with stripe"}
    )


@bp.get("/payments/config")
@bp.output(PaymentConfigOut)
def payment_config() -> dict[str, Any]:
    """How payments are made here

    `backend` "invoice": orders are paid by OIOUBL invoice to the municipality's EAN number.
    "stripe": card orders are confirmed by the client with Stripe's publishable key.
    """
    backend = current_app.config["PAYMENTS_BACKEND"]
    return {
        "backend": backend,
        "currency": "dkk",
        "publishable_key": current_app.config.get("STRIPE_PUBLISHABLE_KEY")
        if backend == "stripe"
        else None,
    }


def init_app(app: APIFlask) -> None:
    app.register_blueprint(bp)
