"""Request and response schemas of purchase requests, orders and payments."""

from __future__ import annotations

from apiflask import Schema
from apiflask.fields import UUID, DateTime, Integer, List, Nested, String
from apiflask.validators import Length, OneOf, Range
from marshmallow import RAISE

from server.purchasing.models import ORDER_STATUSES, REQUEST_STATUSES
from server.validation import Text


class StrictBody(Schema):
    class Meta:
        unknown = RAISE


class PurchaseRequestIn(StrictBody):
    offer_id = UUID(required=True)
    quantity = Integer(required=True, validate=Range(1, 100_000))
    school_class_id = UUID(
        allow_none=True, metadata={"description": "The class it is for (or school_id)"}
    )
    school_id = UUID(
        allow_none=True, metadata={"description": "The school it is for (or school_class_id)"}
    )
    reason = Text(required=True, validate=Length(1, 2000))
    goal_ids = List(UUID(), load_default=list, validate=Length(max=50))
    trial_id = UUID(allow_none=True, metadata={"description": "The trial this request converts"})


class RequestQuery(Schema):
    class Meta:
        unknown = RAISE

    status = String(validate=OneOf(REQUEST_STATUSES))


class PurchaseRequestOut(Schema):
    id = UUID(required=True)
    status = String(required=True)
    offer_id = UUID(required=True)
    product_id = UUID(required=True)
    quantity = Integer(required=True)
    municipality_code = String(required=True)
    school_id = UUID(required=True)
    school_class_id = UUID(allow_none=True)
    requested_by = UUID(required=True)
    reason = String(required=True)
    goal_ids = List(UUID(), required=True)
    trial_id = UUID(allow_none=True)
    trial_days_used = Integer(allow_none=True)
    total_ore = Integer(required=True, metadata={"description": "Net, excl. VAT"})
    vat_ore = Integer(required=True)
    subsidy_ore = Integer(required=True, metadata={"description": "Estimate when asked"})
    own_ore = Integer(required=True)
    approver_role = String(required=True)
    decided_by = UUID(allow_none=True)
    decided_at = DateTime(allow_none=True)
    decision_reason = String(allow_none=True)
    created_at = DateTime(required=True)
    order_id = UUID(allow_none=True)


class PurchaseRequestList(Schema):
    items = List(Nested(PurchaseRequestOut), required=True)


class ApproveIn(StrictBody):
    payment_method = String(load_default="invoice", validate=OneOf(["invoice", "card"]))


class RejectIn(StrictBody):
    reason = Text(required=True, validate=Length(1, 2000))


class OrderLineOut(Schema):
    product_id = UUID(required=True)
    offer_id = UUID(required=True)
    publisher_id = UUID(required=True)
    description = String(required=True)
    licence_type = String(required=True)
    period = String(required=True)
    quantity = Integer(required=True)
    unit_price_ore = Integer(required=True)
    net_ore = Integer(required=True)
    vat_ore = Integer(required=True)
    subsidy_ore = Integer(required=True)
    own_ore = Integer(required=True)


class OrderLicenceOut(Schema):
    id = UUID(required=True)
    licence_type = String(required=True)
    status = String(required=True)
    valid_until = DateTime(required=True)


class OrderOut(Schema):
    id = UUID(required=True)
    request_id = UUID(required=True)
    status = String(required=True, validate=OneOf(ORDER_STATUSES))
    payment_method = String(required=True)
    municipality_code = String(required=True)
    school_id = UUID(required=True)
    programme_id = UUID(allow_none=True)
    total_ore = Integer(required=True)
    vat_ore = Integer(required=True)
    subsidy_ore = Integer(required=True)
    own_ore = Integer(required=True)
    charge_ore = Integer(required=True, metadata={"description": "Invoice total or card charge"})
    invoice_number = String(allow_none=True)
    ean = String(allow_none=True)
    payment_reference = String(allow_none=True)
    payment_status = String(allow_none=True)
    client_secret = String(allow_none=True, metadata={"description": "Card: confirm with it"})
    paid_at = DateTime(allow_none=True)
    cancelled_at = DateTime(allow_none=True)
    created_at = DateTime(required=True)
    lines = List(Nested(OrderLineOut), required=True)
    licences = List(Nested(OrderLicenceOut), required=True)


class OrderList(Schema):
    items = List(Nested(OrderOut), required=True)


class WebhookOut(Schema):
    event_id = String(required=True)
    outcome = String(required=True)
