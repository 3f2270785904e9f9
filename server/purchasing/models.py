"""Purchase requests, orders and their lines, idempotency keys and payment events.

A request (a teacher asks) is ``pending`` → ``approved`` (an order exists) | ``rejected``.
An order is ``reserved`` (money held in the ledger; a card order waits for its payment) →
``paid`` (spent; licences issued) → ``cancelled`` (within the withdrawal period: reversed,
licences revoked); or ``reserved`` → ``released`` (a card payment failed or was abandoned:
the reservation goes back). States only move forward; see ``server.purchasing.rules``.

Amounts are øre excluding VAT, like the ledger; ``vat_ore`` is what the invoice or card
charge adds on top.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column

from server.extensions import db

REQUEST_STATUSES = ("pending", "approved", "rejected")
ORDER_STATUSES = ("reserved", "paid", "cancelled", "released")
PAYMENT_METHODS = ("invoice", "card")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class PurchaseRequestRow(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "purchase_requests"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    offer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("offers.id"), index=True)
    product_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("products.id"), index=True)
    quantity: Mapped[int] = mapped_column(Integer)
    municipality_code: Mapped[str] = mapped_column(ForeignKey("municipalities.code"), index=True)
    school_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("schools.id"), index=True)
    school_class_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("school_classes.id"))
    requested_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str] = mapped_column(Text)
    goal_ids: Mapped[list[Any]] = mapped_column(JSON, default=list)
    trial_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("trials.id"))
    #: the trial's use when the request was made (days since it started)
    trial_days_used: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20), index=True)
    total_ore: Mapped[int] = mapped_column(BigInteger)
    vat_ore: Mapped[int] = mapped_column(BigInteger)
    #: the estimate when asked; the order holds what was reserved
    subsidy_ore: Mapped[int] = mapped_column(BigInteger)
    own_ore: Mapped[int] = mapped_column(BigInteger)
    #: "school_leader" or "municipal_buyer": who must approve (by amount)
    approver_role: Mapped[str] = mapped_column(String(30))
    decided_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    decision_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        CheckConstraint(_in("status", REQUEST_STATUSES), name="status"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("total_ore > 0", name="total_positive"),
    )


class OrderRow(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "orders"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    request_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("purchase_requests.id"), unique=True)
    municipality_code: Mapped[str] = mapped_column(ForeignKey("municipalities.code"), index=True)
    school_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("schools.id"), index=True)
    programme_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("subsidy_programmes.id"))
    payment_method: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(20), index=True)
    total_ore: Mapped[int] = mapped_column(BigInteger)
    vat_ore: Mapped[int] = mapped_column(BigInteger)
    subsidy_ore: Mapped[int] = mapped_column(BigInteger)
    own_ore: Mapped[int] = mapped_column(BigInteger)
    #: what the card is charged (own share incl. VAT) or the invoice's total
    charge_ore: Mapped[int] = mapped_column(BigInteger)
    ean: Mapped[str | None] = mapped_column(String(13))
    invoice_number: Mapped[str | None] = mapped_column(String(40), unique=True)
    payment_provider: Mapped[str | None] = mapped_column(String(20))
    payment_reference: Mapped[str | None] = mapped_column(String(200), unique=True)
    payment_status: Mapped[str | None] = mapped_column(String(20))
    client_secret: Mapped[str | None] = mapped_column(String(300))
    approved_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    paid_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        CheckConstraint(_in("status", ORDER_STATUSES), name="status"),
        CheckConstraint(_in("payment_method", PAYMENT_METHODS), name="payment_method"),
        CheckConstraint("subsidy_ore >= 0 AND own_ore >= 0", name="shares_not_negative"),
        CheckConstraint("subsidy_ore + own_ore = total_ore", name="shares_add_up"),
    )


class OrderLineRow(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "order_lines"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    order_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("orders.id"), index=True)
    offer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("offers.id"))
    product_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("products.id"), index=True)
    publisher_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("publishers.id"), index=True)
    description: Mapped[str] = mapped_column(String(300))
    licence_type: Mapped[str] = mapped_column(String(20))
    period: Mapped[str] = mapped_column(String(20))
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price_ore: Mapped[int] = mapped_column(BigInteger)
    net_ore: Mapped[int] = mapped_column(BigInteger)
    vat_percent: Mapped[int] = mapped_column(Integer)
    vat_ore: Mapped[int] = mapped_column(BigInteger)
    subsidy_ore: Mapped[int] = mapped_column(BigInteger)
    own_ore: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = (CheckConstraint("subsidy_ore + own_ore = net_ore", name="shares_add_up"),)


class IdempotencyKeyRow(db.Model):  # type: ignore[name-defined,misc]
    """A money-moving POST's answer, kept per (principal, Idempotency-Key)."""

    __tablename__ = "idempotency_keys"

    principal: Mapped[str] = mapped_column(String(100), primary_key=True)
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    #: SHA-256 of method, path and body
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column(Integer)
    response: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class PaymentEventRow(db.Model):  # type: ignore[name-defined,misc]
    """A provider's webhook event, kept by its id: a second delivery changes nothing."""

    __tablename__ = "payment_events"

    event_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    provider: Mapped[str] = mapped_column(String(20))
    type: Mapped[str] = mapped_column(String(100))
    payment_reference: Mapped[str] = mapped_column(String(200), index=True)
    status: Mapped[str] = mapped_column(String(20))
    #: what it did: "applied", "ignored" (stale or no change), "unknown_payment"
    outcome: Mapped[str] = mapped_column(String(20))
    created: Mapped[int] = mapped_column(BigInteger)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (Index("ix_payment_events_reference_created", "payment_reference", "created"),)
