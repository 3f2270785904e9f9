"""Request and response schemas of the launch API (they generate the OpenAPI document)."""

from __future__ import annotations

from apiflask import Schema
from apiflask.fields import URL, UUID, Boolean, DateTime, Dict, Integer, List, Nested, String
from apiflask.validators import Length, OneOf, Range

from server.launch.models import MESSAGE_TYPES
from server.organisations.schemas import StrictBody, StrictQuery
from server.validation import Text


class LaunchIn(StrictBody):
    product_id = UUID(load_default=None, metadata={"description": "The product to open"})
    school_class_id = UUID(load_default=None, metadata={"description": "The class it opens in"})
    assignment_id = UUID(
        load_default=None, metadata={"description": "An assignment (its product and class)"}
    )
    select_content = Boolean(
        load_default=False,
        metadata={
            "description": "A teacher picks a lesson in the tool (LTI Deep Linking); the"
            " pick becomes an assignment of the class"
        },
    )


class LaunchOut(Schema):
    url = String(required=True, metadata={"description": "A one-time URL to open in a browser"})
    expires_at = DateTime(required=True)


class RegistrationIn(StrictBody):
    client_id = Text(required=True, validate=Length(1, 200))
    deployment_id = Text(required=True, validate=Length(1, 200))
    login_url = URL(required=True, validate=Length(max=2000), metadata={
        "description": "The tool's OIDC login initiation URL"})  # fmt: skip
    launch_url = URL(required=True, validate=Length(max=2000), metadata={
        "description": "Where the id_token is posted (the tool's redirect_uri)"})  # fmt: skip
    deep_link_url = URL(load_default=None, allow_none=True, validate=Length(max=2000))
    jwks_url = URL(load_default=None, allow_none=True, validate=Length(max=2000))
    jwks = Dict(load_default=None, allow_none=True, metadata={
        "description": "The tool's public keys as an inline JWK set"})  # fmt: skip
    message_types = List(
        String(validate=OneOf(MESSAGE_TYPES)), load_default=None, validate=Length(1, 2)
    )
    share_personal_data = Boolean(load_default=False, metadata={
        "description": "The publisher's data-processing agreement allows names and e-mail"
        " in launches (off by default)"})  # fmt: skip


class RegistrationOut(Schema):
    product_id = UUID(required=True)
    client_id = String(required=True)
    deployment_id = String(required=True)
    login_url = String(required=True)
    launch_url = String(required=True)
    deep_link_url = String(required=True, allow_none=True)
    jwks_url = String(required=True, allow_none=True)
    jwks = Dict(required=True, allow_none=True)
    message_types = List(String(), required=True)
    share_personal_data = Boolean(required=True)
    platform = Dict(required=True, metadata={
        "description": "What the tool needs to know about us: issuer, authorization"
        " endpoint, JWKS URL, deep-linking return URL"})  # fmt: skip
    updated_at = DateTime(required=True)


class AssignmentOut(Schema):
    id = UUID(required=True)
    product_id = UUID(required=True)
    title = String(required=True)
    lesson_title = String(required=True)
    school_class_id = UUID(required=True)
    created_at = DateTime(required=True)


class AssignmentList(Schema):
    items = List(Nested(AssignmentOut), required=True)


class PublisherCheckQuery(StrictQuery):
    product_id = UUID(required=True)
    sub = Text(required=True, validate=Length(1, 64), metadata={
        "description": "The pairwise pseudonymous id your launches carry"})  # fmt: skip


class PublisherCheckOut(Schema):
    product_id = UUID(required=True)
    sub = String(required=True)
    allowed = Boolean(required=True)
    reason = String(required=True, metadata={
        "description": "licence | trial | free | no_licence | expired | unknown_user"})  # fmt: skip
    valid_until = DateTime(required=True, allow_none=True)


class UsageQuery(StrictQuery):
    weeks = Integer(load_default=12, validate=Range(1, 104))


class UsageWeek(Schema):
    week = String(required=True, metadata={"example": "2026-W49"})
    product_id = UUID(required=True)
    product_title = String(required=True)
    school_id = UUID(required=True, allow_none=True)
    school_name = String(required=True, allow_none=True)
    class_id = UUID(required=True, allow_none=True)
    class_name = String(required=True, allow_none=True)
    launches = Integer(required=True)
    active_pupils = Integer(required=True)


class UnusedLicence(Schema):
    licence_id = UUID(required=True)
    product_id = UUID(required=True)
    product_title = String(required=True)
    school_id = UUID(required=True, allow_none=True)
    school_class_id = UUID(required=True, allow_none=True)
    last_launch_at = DateTime(required=True, allow_none=True)


class CostPerPupil(Schema):
    product_id = UUID(required=True)
    product_title = String(required=True)
    licence_cost_ore = Integer(required=True)
    active_pupils = Integer(required=True)
    cost_per_active_pupil_ore = Integer(required=True, allow_none=True)


class UsageOut(Schema):
    since = DateTime(required=True)
    weeks = List(Nested(UsageWeek), required=True)
    unused_licences = List(Nested(UnusedLicence), required=True)
    cost_per_active_pupil = List(Nested(CostPerPupil), required=True)
    notes = List(String(), required=True)
