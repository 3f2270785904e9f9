"""HTTP API for purchasing: requests, approval, orders, payment, cancellation, webhooks.

Views parse, call one operation and serialise. Money-moving POSTs (approve, pay, cancel)
honour ``Idempotency-Key`` (``server.purchasing.idempotency``). The Stripe webhook needs no
token: the gateway verifies the signature before anything is read.
"""

from __future__ import annotations

import uuid
from typing import Any

from apiflask import APIBlueprint, APIFlask
from apiflask.schemas import FileSchema
from flask import Response, current_app, request
from sqlalchemy import select

from server.budgets.schemas import IdempotencyHeaders
from server.extensions import db
from server.identity.current import require_principal
from server.licensing.models import LicenceRow
from server.oauth.resource import auth_required
from server.payments.interfaces import PaymentGateway
from server.purchasing import operations as ops
from server.purchasing.idempotency import idempotent
from server.purchasing.models import OrderRow, PurchaseRequestRow
from server.purchasing.schemas import (
    ApproveIn,
    OrderList,
    OrderOut,
    PurchaseRequestIn,
    PurchaseRequestList,
    PurchaseRequestOut,
    RejectIn,
    RequestQuery,
    WebhookOut,
)

bp = APIBlueprint("purchasing", __name__, url_prefix="/api/v1", tag="Purchasing")
READ = [401, 403, 404]
MONEY = [401, 403, 404, 409, 422, 502, 503]


def gateway() -> PaymentGateway | None:
    found: PaymentGateway | None = current_app.extensions.get("payments")
    return found


def request_json(row: PurchaseRequestRow) -> dict[str, Any]:
    order_id = db.session.scalar(select(OrderRow.id).where(OrderRow.request_id == row.id))
    return {
        "id": row.id, "status": row.status, "offer_id": row.offer_id,
        "product_id": row.product_id, "quantity": row.quantity,
        "municipality_code": row.municipality_code, "school_id": row.school_id,
        "school_class_id": row.school_class_id, "requested_by": row.requested_by,
        "reason": row.reason, "goal_ids": row.goal_ids or [], "trial_id": row.trial_id,
        "trial_days_used": row.trial_days_used, "total_ore": row.total_ore,
        "vat_ore": row.vat_ore, "subsidy_ore": row.subsidy_ore, "own_ore": row.own_ore,
        "approver_role": row.approver_role, "decided_by": row.decided_by,
        "decided_at": row.decided_at, "decision_reason": row.decision_reason,
        "created_at": row.created_at, "order_id": order_id,
    }  # fmt: skip


def order_json(row: OrderRow) -> dict[str, Any]:
    session = db.session()
    licences = session.scalars(select(LicenceRow).where(LicenceRow.order_id == row.id)).all()
    return {
        "id": row.id, "request_id": row.request_id, "status": row.status,
        "payment_method": row.payment_method, "municipality_code": row.municipality_code,
        "school_id": row.school_id, "programme_id": row.programme_id,
        "total_ore": row.total_ore, "vat_ore": row.vat_ore, "subsidy_ore": row.subsidy_ore,
        "own_ore": row.own_ore, "charge_ore": row.charge_ore,
        "invoice_number": row.invoice_number, "ean": row.ean,
        "payment_reference": row.payment_reference, "payment_status": row.payment_status,
        "client_secret": row.client_secret if row.status == "reserved" else None,
        "paid_at": row.paid_at, "cancelled_at": row.cancelled_at, "created_at": row.created_at,
        "lines": [
            {
                "product_id": line.product_id, "offer_id": line.offer_id,
                "publisher_id": line.publisher_id, "description": line.description,
                "licence_type": line.licence_type, "period": line.period,
                "quantity": line.quantity, "unit_price_ore": line.unit_price_ore,
                "net_ore": line.net_ore, "vat_ore": line.vat_ore,
                "subsidy_ore": line.subsidy_ore, "own_ore": line.own_ore,
            }
            for line in ops.order_lines(session, row.id)
        ],
        "licences": [
            {"id": lic.id, "licence_type": lic.licence_type, "status": lic.status,
             "valid_until": lic.valid_until}
            for lic in licences
        ],
    }  # fmt: skip


def dumped_order(row: OrderRow) -> dict[str, Any]:
    body: dict[str, Any] = OrderOut().dump(order_json(row))
    return body


@bp.post("/purchase-requests")
@auth_required
@bp.input(PurchaseRequestIn, arg_name="body")
@bp.output(PurchaseRequestOut, status_code=201)
@bp.doc(responses=[401, 403, 404, 422])
def create_request(body: dict[str, Any]) -> dict[str, Any]:
    """Ask for a purchase (teacher)

    For a class (`school_class_id`) or the school (`school_id`) of the teacher. The total is
    net (excl. VAT) with the VAT beside it; `subsidy_ore`/`own_ore` are the split if it were
    approved now. Whoever must approve is `approver_role`: the school leader below the
    municipality's threshold, the municipal buyer from it.
    """
    row = ops.create_request(db.session(), require_principal(), **body)
    return request_json(row)


@bp.get("/purchase-requests")
@auth_required
@bp.input(RequestQuery, location="query", arg_name="query")
@bp.output(PurchaseRequestList)
@bp.doc(responses=[401])
def list_requests(query: dict[str, Any]) -> dict[str, Any]:
    """Purchase requests I may see (my schools', my municipality's)"""
    rows = ops.list_requests(db.session(), require_principal(), query.get("status"))
    return {"items": [request_json(r) for r in rows]}


@bp.get("/purchase-requests/<uuid:request_id>")
@auth_required
@bp.output(PurchaseRequestOut)
@bp.doc(responses=READ)
def get_request(request_id: uuid.UUID) -> dict[str, Any]:
    """One purchase request"""
    return request_json(ops.get_request(db.session(), require_principal(), request_id))


@bp.post("/purchase-requests/<uuid:request_id>/approve")
@auth_required
@bp.input(IdempotencyHeaders, location="headers", arg_name="headers")
@bp.input(ApproveIn, arg_name="body")
@bp.output(OrderOut, status_code=201)
@bp.doc(responses=MONEY)
def approve_request(
    request_id: uuid.UUID, headers: dict[str, Any], body: dict[str, Any]
) -> Response:
    """Approve: the money is reserved and the request becomes an order

    `payment_method` `invoice` (default; needs the municipality's EAN): the invoice is issued
    and the licences are issued at once. `card`: a PaymentIntent for the own share incl. VAT;
    confirm it with `client_secret`; the licences come with the payment. 409
    `insufficient_budget` when the school's allocation does not cover it (nothing reserved).
    """
    session = db.session()
    principal = require_principal()

    def run() -> tuple[dict[str, Any], int]:
        order = ops.approve(session, principal, request_id, gateway=gateway(), **body)
        return dumped_order(order), 201

    return idempotent(session, principal, headers.get("idempotency_key"), run)


@bp.post("/purchase-requests/<uuid:request_id>/reject")
@auth_required
@bp.input(RejectIn, arg_name="body")
@bp.output(PurchaseRequestOut)
@bp.doc(responses=[401, 403, 404, 409, 422])
def reject_request(request_id: uuid.UUID, body: dict[str, Any]) -> dict[str, Any]:
    """Reject a pending request (with a reason for the teacher)"""
    return request_json(ops.reject(db.session(), require_principal(), request_id, body["reason"]))


@bp.get("/orders/<uuid:order_id>")
@auth_required
@bp.output(OrderOut)
@bp.doc(responses=READ)
def get_order(order_id: uuid.UUID) -> dict[str, Any]:
    """One order, its lines and its licences"""
    return order_json(ops.get_order(db.session(), require_principal(), order_id))


@bp.get("/schools/<uuid:school_id>/orders")
@auth_required
@bp.output(OrderList)
@bp.doc(responses=READ)
def list_orders(school_id: uuid.UUID) -> dict[str, Any]:
    """The school's orders, newest first"""
    rows = ops.list_orders(db.session(), require_principal(), school_id)
    return {"items": [order_json(r) for r in rows]}


@bp.get("/orders/<uuid:order_id>/invoice.xml")
@auth_required
@bp.output(FileSchema(), content_type="application/xml", description="OIOUBL 2.01 invoice")
@bp.doc(responses=READ)
def get_invoice(order_id: uuid.UUID) -> Response:
    """The order's OIOUBL (UBL 2.1) invoice, addressed to the municipality's EAN"""
    document = ops.invoice_document(db.session(), require_principal(), order_id)
    return Response(document, mimetype="application/xml")


@bp.get("/orders/<uuid:order_id>/credit-note.xml")
@auth_required
@bp.output(FileSchema(), content_type="application/xml", description="OIOUBL 2.01 credit note")
@bp.doc(responses=READ)
def get_credit_note(order_id: uuid.UUID) -> Response:
    """The OIOUBL credit note of a cancelled invoice order"""
    document = ops.credit_note_document(db.session(), require_principal(), order_id)
    return Response(document, mimetype="application/xml")


@bp.post("/orders/<uuid:order_id>/pay")
@auth_required
@bp.input(IdempotencyHeaders, location="headers", arg_name="headers")
@bp.output(OrderOut)
@bp.doc(responses=MONEY)
def pay_order(order_id: uuid.UUID, headers: dict[str, Any]) -> Response:
    """Bring a card order up to date with the payment provider

    After the client confirmed the PaymentIntent: asks the provider and, if it succeeded,
    marks the order paid and issues the licences (the webhook does the same). An invoice
    order is paid when it is approved; this answers it as it is.
    """
    session = db.session()
    principal = require_principal()

    def run() -> tuple[dict[str, Any], int]:
        return dumped_order(ops.pay(session, principal, order_id, gateway())), 200

    return idempotent(session, principal, headers.get("idempotency_key"), run)


@bp.post("/orders/<uuid:order_id>/cancel")
@auth_required
@bp.input(IdempotencyHeaders, location="headers", arg_name="headers")
@bp.output(OrderOut)
@bp.doc(responses=MONEY)
def cancel_order(order_id: uuid.UUID, headers: dict[str, Any]) -> Response:
    """Cancel (and refund) an order

    A reserved order is released (its card payment cancelled). A paid order within the
    municipality's withdrawal period (14 days by default) is refunded (card) or credited
    (invoice): the ledger is reversed and the licences are revoked. School leader or buyer.
    """
    session = db.session()
    principal = require_principal()

    def run() -> tuple[dict[str, Any], int]:
        return dumped_order(ops.cancel(session, principal, order_id, gateway())), 200

    return idempotent(session, principal, headers.get("idempotency_key"), run)


@bp.post("/payments/stripe/webhook")
@bp.output(WebhookOut)
@bp.doc(security=[], responses=[403])
def stripe_webhook() -> dict[str, Any]:
    """Stripe's webhook (signed; no token)

    Verified by the `Stripe-Signature` header (403 `invalid_webhook` when it does not
    verify), deduplicated on the event id, applied only forward: a late or repeated event
    changes nothing.
    """
    outcome = ops.handle_webhook(
        db.session(), gateway(), request.get_data(), request.headers.get("Stripe-Signature")
    )
    return {"event_id": outcome.event_id, "outcome": outcome.outcome}


def init_app(app: APIFlask) -> None:
    app.register_blueprint(bp)
