"""Schemas of the report API (they generate the OpenAPI document). Money is whole øre."""

from __future__ import annotations

from apiflask import Schema
from apiflask.fields import UUID, Date, Integer, List, Nested, String
from apiflask.validators import OneOf
from marshmallow import RAISE


class PeriodQuery(Schema):
    class Meta:
        unknown = RAISE

    from_ = Date(
        data_key="from",
        metadata={"description": "First day (Copenhagen), inclusive. Default: 1 January this year"},
    )
    to = Date(metadata={"description": "Last day, inclusive. Default: 31 December this year"})


class TotalsOut(Schema):
    allocated_ore = Integer(required=True, metadata={"description": "spent + reserved + remaining"})
    spent_ore = Integer(required=True)
    reserved_ore = Integer(required=True)
    remaining_ore = Integer(
        required=True,
        metadata={
            "description": "neither spent nor reserved (a municipality's includes unallocated)"
        },
    )
    subsidy_used_ore = Integer(required=True, metadata={"description": "spent from the grant"})
    subsidy_reserved_ore = Integer(required=True)
    unallocated_ore = Integer(
        required=True, metadata={"description": "municipality: funds not allocated to a school"}
    )


class SchoolTotalsOut(TotalsOut):
    school_id = UUID(required=True)
    school_name = String(required=True)
    institution_number = String(required=True)


class BreakdownOut(Schema):
    key = String(required=True)
    label = String(required=True)
    spent_ore = Integer(required=True)
    reserved_ore = Integer(required=True)
    subsidy_used_ore = Integer(required=True)


class ConcentrationOut(Schema):
    publisher_id = UUID(required=True)
    publisher_name = String(required=True)
    committed_ore = Integer(required=True, metadata={"description": "spent + reserved"})
    share_bps = Integer(required=True, metadata={"description": "of the committed spend"})
    threshold_ore = Integer(required=True)
    threshold_percent = Integer(required=True)
    level = String(required=True, validate=OneOf(["ok", "warning", "over"]))
    message = String(required=True, allow_none=True)


class SpendReportOut(Schema):
    municipality_code = String(required=True)
    municipality_name = String(required=True)
    school_id = UUID(required=True, allow_none=True)
    school_name = String(required=True, allow_none=True)
    totals = Nested(TotalsOut, required=True)
    schools = List(Nested(SchoolTotalsOut), required=True)
    by_subject = List(Nested(BreakdownOut), required=True)
    by_publisher = List(Nested(BreakdownOut), required=True)
    by_competence_area = List(Nested(BreakdownOut), required=True)
    concentration = List(Nested(ConcentrationOut), required=True)


class ConcentrationReportOut(Schema):
    municipality_code = String(required=True)
    threshold_ore = Integer(required=True)
    warn_at_percent = Integer(required=True)
    items = List(Nested(ConcentrationOut), required=True)
