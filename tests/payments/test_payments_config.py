"""PAYMENTS_BACKEND picks the gateway; production refuses Stripe without its secrets."""

from __future__ import annotations

from pathlib import Path

import pytest

import conftest
from server.app import create_app
from server.config import DEFAULT_PROCUREMENT_THRESHOLD_ORE, ConfigurationError, settings_from_env
from server.payments import gateway_from_config
from server.payments.invoice import InvoicePaymentGateway
from server.payments.stripe_gateway import StripePaymentGateway

PRODUCTION = {
    "SKOLEHYLDE_ENV": "production",
    "SECRET_KEY": "s" * 40,
    "PSEUDONYM_KEY": "p" * 40,
    "OAUTH_SIGNING_KEYS": "[]",
}


def test_invoice_is_the_embedded_default(tmp_path: Path) -> None:
    settings = settings_from_env({"SKOLEHYLDE_VAR_DIR": str(tmp_path)})

    assert settings["PAYMENTS_BACKEND"] == "invoice"
    assert settings["PLATFORM_FEE_BPS"] == 1000
    assert settings["PROCUREMENT_THRESHOLD_ORE"] == DEFAULT_PROCUREMENT_THRESHOLD_ORE == 164_463_800
    assert isinstance(gateway_from_config(settings), InvoicePaymentGateway)


def test_stripe_settings_from_the_environment(tmp_path: Path) -> None:
    settings = settings_from_env({
        "SKOLEHYLDE_VAR_DIR": str(tmp_path), "PAYMENTS_BACKEND": "Stripe",
        "STRIPE_API_KEY": "sk_test_1", "STRIPE_API_BASE": "http://127.0.0.1:8420",
        "STRIPE_WEBHOOK_SECRET": "whsec_1", "STRIPE_PUBLISHABLE_KEY": "pk_test_1",
    })  # fmt: skip

    assert (settings["PAYMENTS_BACKEND"], settings["STRIPE_API_BASE"]) == (
        "stripe",
        "http://127.0.0.1:8420",
    )
    assert isinstance(gateway_from_config(settings), StripePaymentGateway)


@pytest.mark.parametrize("missing", ["STRIPE_API_KEY", "STRIPE_WEBHOOK_SECRET"])
def test_production_refuses_stripe_without_its_secrets(missing: str) -> None:
    env = {**PRODUCTION, "PAYMENTS_BACKEND": "stripe", "STRIPE_API_KEY": "sk_live_x",
           "STRIPE_WEBHOOK_SECRET": "whsec_x"}  # fmt: skip
    del env[missing]

    with pytest.raises(ConfigurationError, match=f"PAYMENTS_BACKEND=stripe needs {missing}"):
        settings_from_env(env)


def test_stripe_without_a_key_cannot_be_built() -> None:
    with pytest.raises(ConfigurationError, match="needs STRIPE_API_KEY"):
        gateway_from_config({"PAYMENTS_BACKEND": "stripe"})


@pytest.mark.parametrize(
    ("name", "value"),
    [("PAYMENTS_BACKEND", "paypal"), ("PLATFORM_FEE_BPS", "10001"), ("PLATFORM_FEE_BPS", "1.5"),
     ("PROCUREMENT_THRESHOLD_ORE", "0"), ("PROCUREMENT_THRESHOLD_ORE", "-1")],
)  # fmt: skip
def test_bad_values_are_refused(name: str, value: str) -> None:
    with pytest.raises(ConfigurationError, match=name):
        settings_from_env({name: value})


def test_the_app_holds_the_gateway(tmp_path: Path) -> None:
    app = create_app(
        {**conftest.test_config(f"sqlite:///{tmp_path / 'x.db'}"), "PAYMENTS_BACKEND": "invoice"}
    )

    assert isinstance(app.extensions["payments"], InvoicePaymentGateway)


def test_clients_learn_the_backend_and_publishable_key(tmp_path: Path) -> None:
    base = conftest.test_config(f"sqlite:///{tmp_path / 'x.db'}")
    invoice = create_app({**base, "PAYMENTS_BACKEND": "invoice"}).test_client()
    card = create_app({**base, "PAYMENTS_BACKEND": "stripe", "STRIPE_API_KEY": "sk_test_1",
                       "STRIPE_PUBLISHABLE_KEY": "pk_test_1"}).test_client()  # fmt: skip

    assert invoice.get("/api/v1/payments/config").get_json() == {
        "backend": "invoice", "currency": "dkk", "publishable_key": None,
    }  # fmt: skip
    reply = card.get("/api/v1/payments/config").get_json()
    assert reply == {"backend": "stripe", "currency": "dkk", "publishable_key": "pk_test_1"}
    assert "sk_test_1" not in str(reply)
