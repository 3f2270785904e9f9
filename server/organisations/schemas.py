"""Request and response schemas of the organisations API (they generate the OpenAPI document)."""

from __future__ import annotations

from apiflask import Schema
from apiflask.fields import (
    URL,
    UUID,
    Boolean,
    DateTime,
    Dict,
    Email,
    Integer,
    List,
    Nested,
    String,
)
from apiflask.validators import Length, OneOf, Range, Regexp
from marshmallow import RAISE

from server.identity.audit import EVENTS
from server.organisations.models import ROLES
from server.organisations.validation import INSTITUTION_NUMBER_RULE, SCHOOL_YEAR_RULE
from server.validation import Text

MAX_OFFSET = 100_000
SCHOOL_YEAR = Regexp(r"^[0-9]{4}/[0-9]{2}$", error=SCHOOL_YEAR_RULE)
KOMMUNEKODE = Regexp(r"^[0-9]{3}$", error="A kommunekode is 3 digits.")


class StrictQuery(Schema):
    class Meta:
        unknown = RAISE  # a misspelt filter is an error, not silently ignored


class StrictBody(Schema):
    class Meta:
        unknown = RAISE


# -- municipalities and schools -------------------------------------------------------------


class MunicipalityOut(Schema):
    code = String(required=True, metadata={"example": "101", "description": "kommunekode"})
    name = String(required=True, metadata={"example": "København"})
    region = String(required=True)


class MunicipalityList(Schema):
    items = List(Nested(MunicipalityOut), required=True)


class SchoolOut(Schema):
    id = UUID(required=True)
    institution_number = String(required=True, metadata={"example": "101001"})
    name = String(required=True)
    municipality_code = String(required=True)
    municipality_name = String(required=True)
    school_year = String(required=True, metadata={"example": "2026/27"})
    active_classes = Integer(required=True)


class SchoolList(Schema):
    municipality = Nested(MunicipalityOut, required=True)
    items = List(Nested(SchoolOut), required=True)


class SchoolIn(StrictBody):
    institution_number = String(
        required=True,
        validate=Regexp(r"^[0-9]{6}$", error=INSTITUTION_NUMBER_RULE),
        metadata={"example": "101001", "description": "Institutionsnummer, 6 digits"},
    )
    name = Text(required=True, validate=Length(1, 200))
    municipality_code = String(required=True, validate=KOMMUNEKODE)
    school_year = String(required=True, validate=SCHOOL_YEAR, metadata={"example": "2026/27"})


# -- classes --------------------------------------------------------------------------------


class ClassOut(Schema):
    id = UUID(required=True)
    school_id = UUID(required=True)
    name = String(required=True, metadata={"example": "4.B"})
    grade = Integer(required=True, metadata={"description": "0 = børnehaveklasse"})
    school_year = String(required=True)
    active = Boolean(required=True)
    pupil_count = Integer(required=True)


class ClassList(Schema):
    school_id = UUID(required=True)
    school_year = String(required=True)
    items = List(Nested(ClassOut), required=True)


class ClassQuery(StrictQuery):
    school_year = String(validate=SCHOOL_YEAR, metadata={"description": "Default: current"})
    include_inactive = Boolean(load_default=False)


class PupilOut(Schema):
    id = UUID(required=True)
    display_name = String(required=True)


class SchoolRef(Schema):
    id = UUID(required=True)
    name = String(required=True)


class ClassDetail(ClassOut):
    school = Nested(SchoolRef, required=True)
    pupils = List(
        Nested(PupilOut),
        required=True,
        allow_none=True,
        metadata={"description": "The active pupils; null unless the caller is staff"},
    )


# -- roster and rollover --------------------------------------------------------------------


class RosterQuery(StrictQuery):
    dry_run = Boolean(
        load_default=False, metadata={"description": "Check and report; write nothing"}
    )


class RosterProblemOut(Schema):
    row = Integer(required=True, metadata={"description": "As a spreadsheet numbers it"})
    field = String(required=True)
    message = String(required=True)


class RosterRowOut(Schema):
    row = Integer(required=True)
    type = String(required=True, validate=OneOf(["class", "pupil", "teacher"]))
    key = String(required=True, metadata={"description": "Class name or external_id"})
    outcome = String(required=True, validate=OneOf(["created", "updated", "unchanged"]))
    changes = List(String(), required=True)


class RosterSummary(Schema):
    created = Integer(required=True)
    updated = Integer(required=True)
    unchanged = Integer(required=True)


class RosterReportOut(Schema):
    school_id = UUID(required=True)
    school_year = String(required=True)
    dry_run = Boolean(required=True)
    applied = Boolean(required=True, metadata={"description": "False for a dry run"})
    unchanged = Boolean(required=True, metadata={"description": "Nothing would change"})
    summary = Nested(RosterSummary, required=True)
    rows = List(Nested(RosterRowOut), required=True)
    warnings = List(Nested(RosterProblemOut), required=True)


class RolloverIn(StrictBody):
    from_school_year = String(
        required=True,
        validate=SCHOOL_YEAR,
        metadata={
            "description": "The school's current year; 409 if it is not",
            "example": "2026/27",
        },
    )
    last_grade = Integer(
        validate=OneOf([9, 10]),
        metadata={"description": "Default: 10 if the school has 10th-grade classes, else 9"},
    )


class PromotionOut(Schema):
    class_id = UUID(required=True)
    from_name = String(required=True)
    to_name = String(required=True)
    grade = Integer(required=True)


class GraduationOut(Schema):
    class_id = UUID(required=True)
    name = String(required=True)
    pupils_deactivated = Integer(required=True)


class RolloverOut(Schema):
    school_id = UUID(required=True)
    from_school_year = String(required=True)
    school_year = String(required=True)
    last_grade = Integer(required=True)
    promoted = List(Nested(PromotionOut), required=True)
    graduated = List(Nested(GraduationOut), required=True)


# -- users and roles ------------------------------------------------------------------------


class MembershipOut(Schema):
    role = String(required=True, validate=OneOf(ROLES))
    municipality_code = String(allow_none=True)
    municipality_name = String(allow_none=True)
    school_id = UUID(allow_none=True)
    school_name = String(allow_none=True)
    class_id = UUID(allow_none=True)
    class_name = String(allow_none=True)
    publisher_id = UUID(allow_none=True)
    publisher_name = String(allow_none=True)


class UserOut(Schema):
    id = UUID(required=True)
    display_name = String(required=True)
    email = String(allow_none=True)
    username = String(allow_none=True)
    active = Boolean(required=True)
    roles = List(Nested(MembershipOut), required=True)


class UserDetail(UserOut):
    """A user on their own (``UserOut`` is also nested in other answers)."""


class MeOut(Schema):
    user = Nested(UserOut, allow_none=True, metadata={"description": "null for an integration"})
    client_id = String(allow_none=True)
    publisher_id = UUID(allow_none=True, metadata={"description": "An integration's publisher"})
    method = String(allow_none=True, metadata={"example": "password"})
    scopes = List(String(), required=True)


class RoleIn(StrictBody):
    role = String(required=True, validate=OneOf(ROLES))
    municipality_code = String(allow_none=True, validate=KOMMUNEKODE)
    school_id = UUID(allow_none=True)
    class_id = UUID(allow_none=True)
    publisher_id = UUID(allow_none=True)


class RolesIn(StrictBody):
    roles = List(
        Nested(RoleIn),
        required=True,
        validate=Length(0, 50),
        metadata={"description": "The user's complete set of active roles after the change"},
    )


class RoleChangeOut(Schema):
    role = String(required=True)
    municipality_code = String(allow_none=True)
    school_id = UUID(allow_none=True)
    class_id = UUID(allow_none=True)
    publisher_id = UUID(allow_none=True)


class RoleChangesOut(Schema):
    user = Nested(UserOut, required=True)
    granted = List(Nested(RoleChangeOut), required=True)
    revoked = List(Nested(RoleChangeOut), required=True)


# -- badges ---------------------------------------------------------------------------------


class BadgeOut(Schema):
    id = UUID(required=True)
    user_id = UUID(required=True)
    issued_at = DateTime(required=True)
    issued_by = UUID(allow_none=True)
    revoked_at = DateTime(allow_none=True)


class BadgeDetail(BadgeOut):
    """A badge on its own (``BadgeOut`` is also nested in other answers)."""


class IssuedBadgeOut(Schema):
    badge = Nested(BadgeOut, required=True)
    code = String(
        required=True,
        metadata={"description": "What the QR code holds. Shown once: only its hash is kept."},
    )
    pupil = Nested(PupilOut, required=True)


class BadgeBatchOut(Schema):
    class_id = UUID(allow_none=True)
    class_name = String(allow_none=True)
    school_id = UUID(required=True)
    school_name = String(required=True)
    issued = List(Nested(IssuedBadgeOut), required=True)


class BadgesIn(StrictBody):
    reissue = Boolean(
        load_default=False,
        metadata={"description": "New badges for every pupil; their old badges stop working"},
    )


# -- publishers -----------------------------------------------------------------------------


class PublisherOut(Schema):
    id = UUID(required=True)
    name = String(required=True)
    cvr = String(required=True, metadata={"example": "10150817"})
    contact_email = String(allow_none=True)
    dpa_url = String(allow_none=True, metadata={"description": "Data-processing agreement"})


class PublisherIn(StrictBody):
    name = Text(required=True, validate=Length(1, 200))
    cvr = String(
        required=True,
        validate=Regexp(r"^[0-9]{8}$", error="A CVR number is 8 digits."),
        metadata={"example": "10150817", "description": "8 digits, modulus-11 checked"},
    )
    contact_email = Email(allow_none=True, validate=Length(max=320))
    dpa_url = URL(allow_none=True, schemes={"https", "http"}, validate=Length(max=2000))


# -- audit ----------------------------------------------------------------------------------


class AuditQuery(StrictQuery):
    event = String(validate=OneOf(sorted(EVENTS)))
    school_id = UUID()
    limit = Integer(load_default=50, validate=Range(1, 200))
    offset = Integer(load_default=0, validate=Range(0, MAX_OFFSET))


class AuditEventOut(Schema):
    id = UUID(required=True)
    at = DateTime(required=True)
    event = String(required=True)
    outcome = String(required=True, validate=OneOf(["success", "failure"]))
    actor_user_id = UUID(allow_none=True)
    subject_user_id = UUID(allow_none=True)
    client_id = String(allow_none=True)
    school_id = UUID(allow_none=True)
    municipality_code = String(allow_none=True)
    detail = Dict(required=True)


class AuditPageOut(Schema):
    items = List(Nested(AuditEventOut), required=True)
    total = Integer(required=True)
    limit = Integer(required=True)
    offset = Integer(required=True)
