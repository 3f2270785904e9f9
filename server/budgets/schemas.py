"""Request and response schemas of programmes, grants, allocations and budgets."""

from __future__ import annotations

from apiflask import Schema
from apiflask.fields import UUID, Date, DateTime, Integer, List, Nested, String
from apiflask.validators import Length, OneOf, Range, Regexp
from marshmallow import EXCLUDE, RAISE

from server.validation import Text

MAX_ORE = 1_000_000_000_00
ORE = Range(1, MAX_ORE, error="Must be 1 øre or more (and at most 1 billion kroner).")


class StrictBody(Schema):
    class Meta:
        unknown = RAISE


class IdempotencyHeaders(Schema):
    """Money-moving POSTs: the same key and body answer the same; another body is refused."""

    class Meta:
        unknown = EXCLUDE

    idempotency_key = String(
        data_key="Idempotency-Key",
        validate=[Length(1, 200), Regexp(r"^[\x21-\x7e]+$", error="Printable ASCII only.")],
        metadata={"description": "A key the client makes per attempt (a UUID is good)"},
    )


class ProgrammeIn(StrictBody):
    name = Text(
        required=True, validate=Length(1, 200), metadata={"example": "Digitale læremidler 2026/27"}
    )
    rate_bp = Integer(
        required=True, validate=Range(1, 10_000),
        metadata={"description": "Co-financing rate in basis points (5000 = 50 %)"},
    )  # fmt: skip
    valid_from = Date(required=True)
    valid_to = Date(required=True, metadata={"description": "Last day (inclusive)"})
    per_pupil_ore = Integer(load_default=0, validate=Range(0, MAX_ORE))


class ProgrammeOut(Schema):
    id = UUID(required=True)
    name = String(required=True)
    rate_bp = Integer(required=True)
    valid_from = Date(required=True)
    valid_to = Date(required=True)
    per_pupil_ore = Integer(required=True)


class ProgrammeList(Schema):
    items = List(Nested(ProgrammeOut), required=True)


class GrantIn(StrictBody):
    amount_ore = Integer(
        validate=Range(0, MAX_ORE),
        metadata={"description": "Set the grant; leave out to compute per pupil × pupils"},
    )
    pupils = Integer(
        validate=Range(0, 1_000_000),
        metadata={"description": "Pupils to compute from (default: counted from the roster)"},
    )


class GrantOut(Schema):
    programme_id = UUID(required=True)
    municipality_code = String(required=True)
    pupils = Integer(allow_none=True)
    amount_ore = Integer(required=True)
    updated_at = DateTime(required=True)


class OwnFundsIn(StrictBody):
    amount_ore = Integer(required=True, validate=ORE)


class OwnFundsOut(Schema):
    unallocated_own_ore = Integer(required=True)


class AllocationIn(StrictBody):
    school_id = UUID(required=True)
    fund = String(required=True, validate=OneOf(["grant", "own"]),
                  metadata={"description": "grant: the subsidy money; own: own funds"})  # fmt: skip
    amount_ore = Integer(required=True, validate=ORE)
    programme_id = UUID(metadata={"description": "fund=grant: the programme (default: active)"})


class SchoolBudgetOut(Schema):
    school_id = UUID(required=True)
    name = String(required=True)
    allocated_ore = Integer(required=True)
    spent_ore = Integer(required=True)
    reserved_ore = Integer(required=True)
    remaining_ore = Integer(required=True)
    subsidy_used_ore = Integer(required=True)
    subsidy_reserved_ore = Integer(required=True)
    grant_remaining_ore = Integer(required=True)
    own_remaining_ore = Integer(required=True)


class SchoolBudgetItem(SchoolBudgetOut):
    """One school's figures in the municipality's budget."""


class MunicipalityBudgetOut(Schema):
    municipality_code = String(required=True)
    name = String(required=True)
    granted_ore = Integer(required=True)
    own_funds_ore = Integer(required=True)
    unallocated_ore = Integer(required=True)
    unallocated_grant_ore = Integer(required=True)
    unallocated_own_ore = Integer(required=True)
    allocated_ore = Integer(required=True, metadata={"description": "to schools"})
    spent_ore = Integer(required=True)
    reserved_ore = Integer(required=True)
    remaining_ore = Integer(required=True, metadata={"description": "unallocated + schools'"})
    subsidy_used_ore = Integer(required=True)
    subsidy_reserved_ore = Integer(required=True)
    grant_remaining_ore = Integer(required=True)
    own_remaining_ore = Integer(required=True)
    schools = List(Nested(SchoolBudgetItem), required=True)


class SettingsIn(StrictBody):
    ean = String(
        validate=Regexp(r"^[0-9]{13}$", error="An EAN number is 13 digits."),
        metadata={"example": "5790000000012"},
    )
    buyer_threshold_ore = Integer(validate=Range(0, MAX_ORE))
    withdrawal_days = Integer(validate=Range(0, 365))


class SettingsOut(Schema):
    municipality_code = String(required=True)
    ean = String(allow_none=True)
    buyer_threshold_ore = Integer(required=True)
    withdrawal_days = Integer(required=True)
