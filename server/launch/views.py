"""HTTP API of launching: launches, tool registrations, assignments, the publisher's licence
check and the usage reports. The browser steps of a launch are pages (``pages.py``)."""

from __future__ import annotations

import io
import uuid
from typing import Any

import segno
from apiflask import APIBlueprint
from apiflask.schemas import FileSchema
from flask import Response, current_app

from server.errors import NotFound
from server.extensions import db
from server.identity.current import require_principal
from server.launch import operations as ops
from server.launch import reports
from server.launch.events import recorder_of
from server.launch.interfaces import EntitlementCheck
from server.launch.schemas import (
    AssignmentList,
    LaunchIn,
    LaunchOut,
    PublisherCheckOut,
    PublisherCheckQuery,
    RegistrationIn,
    RegistrationOut,
    UsageOut,
    UsageQuery,
)
from server.oauth import keys
from server.oauth.resource import auth_required
from server.organisations.models import SchoolRow
from server.policy import Tenant, authorize

bp = APIBlueprint("launch", __name__, url_prefix="/api/v1", tag="Launch")
READ = [401, 403, 404]


def settings() -> ops.Settings:
    config = current_app.config
    return ops.Settings(
        secret=str(config["SECRET_KEY"]),
        base_url=str(config["PUBLIC_BASE_URL"]),
        pseudonym_key=str(config["PSEUDONYM_KEY"]).encode(),
        signing_key=keys.signing_key(),
    )


def entitlements() -> EntitlementCheck:
    """Purchasing's check (tests may put a double in ``app.extensions``)."""
    check: EntitlementCheck = current_app.extensions["skolehylde.entitlements"]
    return check


def record(event: Any) -> None:
    recorder_of(current_app).record(event)


@bp.post("/launches")
@auth_required
@bp.input(LaunchIn, arg_name="body")
@bp.output(LaunchOut, status_code=201)
@bp.doc(responses=[401, 403, 404, 409])
def create_launch(body: dict[str, Any]) -> dict[str, Any]:
    """Open a material: a one-time URL on our server for the system browser.

    The URL works once, for two minutes, without a bearer token (it is bound to you). It runs
    an LTI 1.3 launch (or, for a plain web material, a signed URL launch). 403
    `not_entitled` carries the Danish reason. With `select_content`, a teacher picks a lesson
    in the tool for the class (Deep Linking); the pick becomes an assignment.
    """
    result = ops.create_launch(
        db.session(),
        require_principal(),
        product_id=body["product_id"],
        school_class_id=body["school_class_id"],
        assignment_id=body["assignment_id"],
        select_content=body["select_content"],
        check_entitlement=entitlements(),
        settings=settings(),
        record=record,
    )
    return {"url": result.url, "expires_at": result.expires_at}


def registration_json(row: Any) -> dict[str, Any]:
    base = current_app.config["PUBLIC_BASE_URL"]
    return {
        "product_id": row.product_id,
        "client_id": row.client_id,
        "deployment_id": row.deployment_id,
        "login_url": row.login_url,
        "launch_url": row.launch_url,
        "deep_link_url": row.deep_link_url,
        "jwks_url": row.jwks_url,
        "jwks": row.jwks,
        "message_types": row.message_types,
        "share_personal_data": row.share_personal_data,
        "platform": {
            "issuer": base,
            "authorization_endpoint": f"{base}/lti/authorize",
            "jwks_uri": f"{base}/.well-known/jwks.json",
            "deep_link_return_url": f"{base}/lti/deep-link/return",
        },
        "updated_at": row.updated_at,
    }


@bp.get("/products/<uuid:product_id>/tool-registration")
@auth_required
@bp.output(RegistrationOut)
@bp.doc(responses=READ)
def get_registration(product_id: uuid.UUID) -> dict[str, Any]:
    """The product's LTI 1.3 tool registration (the publisher's admins, platform admins)."""
    return registration_json(ops.get_registration(db.session(), require_principal(), product_id))


@bp.put("/products/<uuid:product_id>/tool-registration")
@auth_required
@bp.input(RegistrationIn, arg_name="body")
@bp.output(RegistrationOut)
@bp.doc(responses=[401, 403, 404, 409, 422])
def put_registration(product_id: uuid.UUID, body: dict[str, Any]) -> dict[str, Any]:
    """Register (or replace) the product's LTI 1.3 tool: client id, deployment, URLs, keys.

    `jwks` (an inline public JWK set) or `jwks_url`; `message_types` default to resource
    links only. `share_personal_data` (off by default) puts names and e-mail in launches, as
    the data-processing agreement must allow.
    """
    row, _created = ops.put_registration(db.session(), require_principal(), product_id, body)
    return registration_json(row)


@bp.get("/me/assignments")
@auth_required
@bp.output(AssignmentList)
@bp.doc(responses=[401])
def my_assignments() -> dict[str, Any]:
    """A pupil's class assignments; a teacher's classes' assignments (newest first)."""
    views = ops.my_assignments(db.session(), require_principal())
    return {
        "items": [
            {
                "id": v.row.id,
                "product_id": v.row.product_id,
                "title": v.title,
                "lesson_title": v.row.lesson_title,
                "school_class_id": v.row.class_id,
                "created_at": v.row.created_at,
            }
            for v in views
        ]
    }


@bp.get("/assignments/<uuid:assignment_id>/qr.png")
@auth_required
@bp.output(FileSchema(), content_type="image/png", description="A QR code (PNG)")
@bp.doc(responses=READ)
def assignment_qr(assignment_id: uuid.UUID) -> Response:
    """A QR code that opens this assignment for the class's pupils (after they sign in)."""
    row = ops.authorized_assignment(
        db.session(), require_principal(), assignment_id, "assignment.qr"
    )
    url = f"{current_app.config['PUBLIC_BASE_URL']}/open/a/{row.id}"
    buffer = io.BytesIO()
    segno.make(url, error="m").save(buffer, kind="png", scale=10, border=4)
    response = Response(buffer.getvalue(), mimetype="image/png")
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/publisher/entitlements")
@auth_required
@bp.input(PublisherCheckQuery, location="query", arg_name="query")
@bp.output(PublisherCheckOut)
@bp.doc(responses=READ)
def publisher_entitlement(query: dict[str, Any]) -> dict[str, Any]:
    """May this pupil (your pairwise `sub`) use your product now? Only your own products.

    For a publisher's client-credentials token (or its admins). `reason` `unknown_user` when
    the `sub` has never launched your product.
    """
    result = ops.publisher_entitlement(
        db.session(), require_principal(), product_id=query["product_id"], sub=query["sub"],
        check_entitlement=entitlements(),
    )  # fmt: skip
    return {
        "product_id": result.product_id,
        "sub": result.sub,
        "allowed": result.allowed,
        "reason": result.reason,
        "valid_until": result.valid_until,
    }


@bp.get("/municipalities/<code>/reports/usage")
@auth_required
@bp.input(UsageQuery, location="query", arg_name="query")
@bp.output(UsageOut)
@bp.doc(responses=READ)
def municipality_usage(code: str, query: dict[str, Any]) -> dict[str, Any]:
    """Use in the municipality: launches and active pupils per ISO week, product, school and
    class; licences unused for 30 days; cost per active pupil. No pupil is named."""
    authorize(require_principal(), "usage.read", Tenant(municipality_code=code),
              what="municipality")  # fmt: skip
    return reports.usage_report(
        db.session(), reports.Scope(municipality_code=code), weeks=query["weeks"], now=ops.now()
    )


@bp.get("/schools/<uuid:school_id>/reports/usage")
@auth_required
@bp.input(UsageQuery, location="query", arg_name="query")
@bp.output(UsageOut)
@bp.doc(responses=READ)
def school_usage(school_id: uuid.UUID, query: dict[str, Any]) -> dict[str, Any]:
    """Use at the school (its leader, the municipality's buyer): as the municipality's."""
    school = db.session.get(SchoolRow, school_id)
    if school is None:
        raise NotFound("Skolen findes ikke.", code="school_not_found")
    tenant = Tenant(municipality_code=school.municipality_code, school_ids=frozenset({school.id}))
    authorize(require_principal(), "usage.read", tenant, what="school")
    return reports.usage_report(
        db.session(), reports.Scope(school_id=school_id), weeks=query["weeks"], now=ops.now()
    )
