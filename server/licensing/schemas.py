"""Request and response schemas of licences, seats, trials and entitlements."""

from __future__ import annotations

from apiflask import Schema
from apiflask.fields import UUID, Boolean, DateTime, Integer, List, Nested, String
from marshmallow import RAISE


class StrictBody(Schema):
    class Meta:
        unknown = RAISE


class EntitlementOut(Schema):
    allowed = Boolean(required=True)
    reason = String(required=True)
    product_id = UUID(required=True)
    message = String(required=True)
    licence_id = UUID(allow_none=True)
    trial_id = UUID(allow_none=True)
    valid_until = DateTime(allow_none=True)


class EntitlementQuery(Schema):
    class Meta:
        unknown = RAISE

    school_class_id = UUID()


class MaterialOut(Schema):
    product_id = UUID(required=True)
    title = String(required=True)
    reason = String(required=True)
    valid_until = DateTime(allow_none=True)


class MaterialList(Schema):
    items = List(Nested(MaterialOut), required=True)


class SeatOut(Schema):
    user_id = UUID(required=True)
    assigned_at = DateTime(required=True)


class SeatItem(SeatOut):
    """A seat on a licence."""


class LicenceOut(Schema):
    id = UUID(required=True)
    order_id = UUID(allow_none=True)
    product_id = UUID(required=True)
    licence_type = String(required=True)
    municipality_code = String(required=True)
    school_id = UUID(allow_none=True)
    school_class_id = UUID(allow_none=True)
    school_year = String(allow_none=True)
    seats = Integer(allow_none=True)
    valid_from = DateTime(required=True)
    valid_until = DateTime(required=True)
    status = String(required=True)
    assigned = List(Nested(SeatItem), required=True)


class LicenceList(Schema):
    items = List(Nested(LicenceOut), required=True)


class SeatIn(StrictBody):
    user_id = UUID(required=True)


class TrialIn(StrictBody):
    product_id = UUID(required=True)
    school_class_id = UUID(required=True)


class TrialOut(Schema):
    id = UUID(required=True)
    product_id = UUID(required=True)
    school_class_id = UUID(required=True)
    started_at = DateTime(required=True)
    ends_at = DateTime(required=True)
