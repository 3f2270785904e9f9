"""Helpers for the purchasing tests: published offers, funded schools, a fake card gateway.

``FakePaymentGateway`` is a recording test double of the payment port: payments live in a
dict, their status is set by the test (``settle``), and webhooks are JSON bodies signed with
a shared secret (HMAC-SHA256) — so "bad signature" is a real check, not a flag.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

import pytest
from apiflask import APIFlask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pgcluster import PostgresCluster
from server import database
from server.app import create_app
from server.budgets import operations as budgets
from server.budgets.models import SubsidyProgrammeRow
from server.catalogue.models import OfferRow, ProductRow
from server.extensions import db
from server.identity.current import principal_for_user
from server.identity.principal import Principal
from server.ledger.models import LedgerAccountRow, LedgerEntryRow, LedgerTransactionRow
from server.licensing.models import LicenceRow
from server.organisations.models import PublisherRow, SchoolRow, UserRow
from server.payments.interfaces import (
    InvalidWebhook,
    PaymentError,
    PaymentHandle,
    PaymentRequest,
    PaymentStatus,
    RefundResult,
    WebhookEvent,
)
from server.purchasing.models import OrderRow, PurchaseRequestRow

PROGRAMME = "Digitale læremidler (test)"
_refs = itertools.count(1)


def principal(session: Session, user: UserRow) -> Principal:
    found = principal_for_user(session, user.id)
    assert found is not None
    return found


def make_offer(
    session: Session,
    publisher: PublisherRow,
    *,
    price_ore: int = 10_000,
    licence_type: str = "class",
    eligible: bool = True,
    min_quantity: int = 1,
    max_quantity: int | None = None,
    trial_days: int = 14,
    period: str = "school_year",
    title: str = "Brøkbanden",
) -> OfferRow:
    now = datetime.now(UTC)
    product = ProductRow(
        id=uuid.uuid4(), publisher_id=publisher.id, status="published", version=1, title=title,
        listing={"trial_days": trial_days}, published_at=now, created_at=now, updated_at=now,
    )  # fmt: skip
    session.add(product)
    session.flush()
    offer = OfferRow(
        id=uuid.uuid4(), product_id=product.id, licence_type=licence_type, period=period,
        price_ore=price_ore, vat_percent=25, subsidy_eligible=eligible,
        min_quantity=min_quantity, max_quantity=max_quantity, active=True, created_at=now,
        updated_at=now,
    )  # fmt: skip
    session.add(offer)
    session.commit()
    return offer


def programme(session: Session, admin: Principal, rate_bp: int = 5000) -> SubsidyProgrammeRow:
    found = session.scalar(select(SubsidyProgrammeRow).where(SubsidyProgrammeRow.name == PROGRAMME))
    if found is not None:
        return found
    today = datetime.now(UTC).date()
    return budgets.create_programme(
        session, admin, name=PROGRAMME, rate_bp=rate_bp,
        valid_from=date(today.year - 1, 1, 1), valid_to=date(today.year + 1, 12, 31),
    )  # fmt: skip


def fund_school(
    session: Session,
    admin: Principal,
    school: SchoolRow,
    *,
    grant_ore: int,
    own_ore: int,
    ean: str | None = "5790000000012",
) -> SubsidyProgrammeRow:
    """Give the school's municipality a grant and own funds and allocate them to the school."""
    prog = programme(session, admin)
    code = school.municipality_code
    existing = sum(g.amount_ore for g in budgets.grants_of(session, code))
    if grant_ore:
        budgets.set_grant(session, admin, prog.id, code, amount_ore=existing + grant_ore)
        budgets.allocate(
            session, admin, code, school_id=school.id, fund="grant", amount_ore=grant_ore
        )
    if own_ore:
        budgets.add_own_funds(session, admin, code, own_ore)
        budgets.allocate(session, admin, code, school_id=school.id, fund="own", amount_ore=own_ore)
    if ean:
        budgets.update_settings(session, admin, code, ean=ean)
    return prog


def counts(session: Session) -> dict[str, int]:
    """Row counts of everything money touches: a refused request must leave them alone."""
    session.expire_all()
    tables = {
        "transactions": LedgerTransactionRow, "entries": LedgerEntryRow,
        "orders": OrderRow, "requests": PurchaseRequestRow, "licences": LicenceRow,
    }  # fmt: skip
    found = {
        name: session.scalar(select(func.count()).select_from(table)) or 0
        for name, table in tables.items()
    }
    found["balances"] = hash(
        tuple(session.execute(select(LedgerAccountRow.key, LedgerAccountRow.balance_ore)).all())
    )
    return found


# -- a fake card gateway --------------------------------------------------------------------

WEBHOOK_SECRET = b"fake-webhook-secret"


def sign(payload: bytes) -> str:
    return hmac.new(WEBHOOK_SECRET, payload, hashlib.sha256).hexdigest()


@dataclass
class FakePayment:
    request: PaymentRequest
    status: PaymentStatus
    refunded_ore: int = 0


@dataclass
class FakePaymentGateway:
    name: str = "fake"
    payments: dict[str, FakePayment] = field(default_factory=dict)
    by_key: dict[str, str] = field(default_factory=dict)
    calls: list[tuple[str, str]] = field(default_factory=list)
    fail_next: PaymentError | None = None

    def create_payment(self, request: PaymentRequest) -> PaymentHandle:
        self.calls.append(("create", request.idempotency_key))
        if self.fail_next is not None:
            error, self.fail_next = self.fail_next, None
            raise error
        reference = self.by_key.get(request.idempotency_key)
        if reference is None:
            reference = f"pi_fake_{next(_refs)}"
            self.by_key[request.idempotency_key] = reference
            self.payments[reference] = FakePayment(request, PaymentStatus.REQUIRES_ACTION)
        return self._handle(reference)

    def retrieve(self, reference: str) -> PaymentHandle:
        self.calls.append(("retrieve", reference))
        return self._handle(reference)

    def cancel(self, reference: str) -> PaymentHandle:
        self.calls.append(("cancel", reference))
        self._handle(reference)
        payment = self.payments[reference]
        if payment.status is PaymentStatus.SUCCEEDED:
            raise PaymentError("cannot cancel a succeeded payment")
        payment.status = PaymentStatus.CANCELED
        return self._handle(reference)

    def refund(self, reference: str, amount_ore: int, idempotency_key: str) -> RefundResult:
        self.calls.append(("refund", reference))
        self._handle(reference)
        payment = self.payments[reference]
        payment.refunded_ore = amount_ore
        payment.status = PaymentStatus.REFUNDED
        return RefundResult(f"re_{reference}", reference, amount_ore, PaymentStatus.REFUNDED)

    def parse_webhook(self, payload: bytes, signature_header: str | None) -> WebhookEvent:
        if not signature_header or not hmac.compare_digest(signature_header, sign(payload)):
            raise InvalidWebhook("bad signature")
        body = json.loads(payload)
        return WebhookEvent(
            event_id=body["id"], type=body["type"], payment_reference=body["reference"],
            status=PaymentStatus(body["status"]), amount_ore=body["amount"],
            created=body["created"],
        )  # fmt: skip

    # test controls
    def settle(self, reference: str, status: PaymentStatus) -> None:
        self.payments[reference].status = status

    def _handle(self, reference: str) -> PaymentHandle:
        if reference not in self.payments:
            raise PaymentError(f"no such payment: {reference}")
        payment = self.payments[reference]
        return PaymentHandle(
            self.name, reference, payment.status, payment.request.amount_ore,
            client_secret=f"{reference}_secret",
        )  # fmt: skip


EVENT_TYPES = {
    "succeeded": "payment_intent.succeeded",
    "failed": "payment_intent.payment_failed",
    "refunded": "charge.refunded",
    "canceled": "payment_intent.canceled",
}


def webhook_body(event_id: str, reference: str, status: str, created: int = 1) -> bytes:
    kind = EVENT_TYPES[status]
    return json.dumps(
        {"id": event_id, "type": kind, "reference": reference, "status": status, "amount": 1,
         "created": created}
    ).encode()  # fmt: skip


# -- a PostgreSQL-only app (concurrency) -----------------------------------------------------

_databases = itertools.count()


@pytest.fixture
def pg_app(postgres_cluster: PostgresCluster) -> Iterator[APIFlask]:
    """The app on a fresh, migrated PostgreSQL database of its own."""
    name = f"purchasing_{os.getpid()}_{next(_databases)}"
    postgres_cluster.execute(f"CREATE DATABASE {name}")
    app = create_app(
        {
            "TESTING": True,
            "SKOLEHYLDE_ENV": "test",
            "SECRET_KEY": "test-secret-not-for-production",
            "SQLALCHEMY_DATABASE_URI": postgres_cluster.url(name),
            "PUBLIC_BASE_URL": "http://skolehylde.test",
        }
    )
    database.upgrade(app)
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()
    postgres_cluster.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
