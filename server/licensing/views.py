"""HTTP API for licences: what I may open, entitlements, school licences, seats, trials."""

from __future__ import annotations

import uuid
from typing import Any

from apiflask import APIBlueprint, APIFlask

from server.errors import NotFound
from server.extensions import db
from server.identity.current import require_principal
from server.licensing import operations as ops
from server.licensing.entitlements import check_entitlement
from server.licensing.models import LicenceRow
from server.licensing.schemas import (
    EntitlementOut,
    EntitlementQuery,
    LicenceList,
    LicenceOut,
    MaterialList,
    SeatIn,
    SeatOut,
    TrialIn,
    TrialOut,
)
from server.oauth.resource import auth_required

bp = APIBlueprint("licensing", __name__, url_prefix="/api/v1", tag="Licences")
READ = [401, 403, 404]


def licence_json(row: LicenceRow) -> dict[str, Any]:
    seats = ops.seats_of(db.session(), row.id)
    return {
        "id": row.id, "order_id": row.order_id, "product_id": row.product_id,
        "licence_type": row.licence_type, "municipality_code": row.municipality_code,
        "school_id": row.school_id, "school_class_id": row.school_class_id,
        "school_year": row.school_year, "seats": row.seats, "valid_from": row.valid_from,
        "valid_until": row.valid_until, "status": row.status,
        "assigned": [{"user_id": s.user_id, "assigned_at": s.assigned_at} for s in seats],
    }  # fmt: skip


@bp.get("/me/materials")
@auth_required
@bp.output(MaterialList)
@bp.doc(responses=[401])
def my_materials() -> dict[str, Any]:
    """The materials I hold a licence or a trial for now

    Free products are open to everyone and are not listed.
    """
    items = ops.my_materials(db.session(), require_principal())
    return {
        "items": [
            {"product_id": m.product_id, "title": m.title, "reason": m.reason,
             "valid_until": m.valid_until}
            for m in items
        ]
    }  # fmt: skip


@bp.get("/me/entitlements/<uuid:product_id>")
@auth_required
@bp.input(EntitlementQuery, location="query", arg_name="query")
@bp.output(EntitlementOut)
@bp.doc(responses=READ)
def my_entitlement(product_id: uuid.UUID, query: dict[str, Any]) -> dict[str, Any]:
    """May I open this product now, and why

    `reason`: `licence`, `trial`, `free`, `no_licence` or `expired`, with a Danish `message`.
    A product that is not published answers 404.
    """
    principal = require_principal()
    if principal.user_id is None:
        raise NotFound("Ingen bruger at spørge for.", code="product_not_found")
    found = check_entitlement(
        db.session(), user_id=principal.user_id, product_id=product_id,
        school_class_id=query.get("school_class_id"),
    )  # fmt: skip
    if found.reason == "unknown_product":
        raise NotFound(found.message, code="product_not_found")
    return {
        "allowed": found.allowed, "reason": found.reason, "product_id": found.product_id,
        "message": found.message, "licence_id": found.licence_id, "trial_id": found.trial_id,
        "valid_until": found.valid_until,
    }  # fmt: skip


@bp.get("/schools/<uuid:school_id>/licences")
@auth_required
@bp.output(LicenceList)
@bp.doc(responses=READ)
def school_licences(school_id: uuid.UUID) -> dict[str, Any]:
    """The school's licences (and its municipality's), with their seats"""
    rows = ops.school_licences(db.session(), require_principal(), school_id)
    return {"items": [licence_json(r) for r in rows]}


@bp.get("/licences/<uuid:licence_id>")
@auth_required
@bp.output(LicenceOut)
@bp.doc(responses=READ)
def get_licence(licence_id: uuid.UUID) -> dict[str, Any]:
    """One licence with its seats"""
    return licence_json(ops.get_licence(db.session(), require_principal(), licence_id))


@bp.post("/licences/<uuid:licence_id>/seats")
@auth_required
@bp.input(SeatIn, arg_name="body")
@bp.output(SeatOut, status_code=201)
@bp.doc(responses=[401, 403, 404, 409, 422])
def assign_seat(licence_id: uuid.UUID, body: dict[str, Any]) -> dict[str, Any]:
    """Give a pupil of the school a seat on a pupil licence (teacher)

    409 `no_free_seat` when every seat is taken. Assigning a pupil twice is harmless.
    """
    seat = ops.assign_seat(db.session(), require_principal(), licence_id, body["user_id"])
    return {"user_id": seat.user_id, "assigned_at": seat.assigned_at}


@bp.delete("/licences/<uuid:licence_id>/seats/<uuid:user_id>")
@auth_required
@bp.output({}, status_code=204)
@bp.doc(responses=READ)
def release_seat(licence_id: uuid.UUID, user_id: uuid.UUID) -> tuple[str, int]:
    """Free a pupil's seat (teacher)"""
    ops.release_seat(db.session(), require_principal(), licence_id, user_id)
    return "", 204


@bp.post("/trials")
@auth_required
@bp.input(TrialIn, arg_name="body")
@bp.output(TrialOut, status_code=201)
@bp.doc(responses=[401, 403, 404, 409, 422])
def start_trial(body: dict[str, Any]) -> dict[str, Any]:
    """Start a trial of a product for a class (teacher)

    It runs for the product's `trial_days`; one trial per product and class. A purchase
    request may name it (`trial_id`) and carries how many days of it were used.
    """
    row = ops.start_trial(db.session(), require_principal(), **body)
    return {
        "id": row.id, "product_id": row.product_id, "school_class_id": row.school_class_id,
        "started_at": row.started_at, "ends_at": row.ends_at,
    }  # fmt: skip


def init_app(app: APIFlask) -> None:
    app.register_blueprint(bp)
