"""HTTP API for subsidy programmes, grants, own funds, allocations, settings and budgets.

Programmes and grants are the platform admin's; own funds, allocations and purchase
settings the municipal buyer's; budgets are read by buyers, school leaders and teachers of
the school. Allocating and adding own funds move money: they take ``Idempotency-Key``.
"""

from __future__ import annotations

import uuid
from typing import Any

from apiflask import APIBlueprint, APIFlask
from flask import Response

from server.budgets import operations as ops
from server.budgets.schemas import (
    AllocationIn,
    GrantIn,
    GrantOut,
    IdempotencyHeaders,
    MunicipalityBudgetOut,
    OwnFundsIn,
    OwnFundsOut,
    ProgrammeIn,
    ProgrammeList,
    ProgrammeOut,
    SchoolBudgetOut,
    SettingsIn,
    SettingsOut,
)
from server.extensions import db
from server.identity.current import require_principal
from server.oauth.resource import auth_required
from server.purchasing.idempotency import idempotent

bp = APIBlueprint("budgets", __name__, url_prefix="/api/v1", tag="Budgets")
READ = [401, 403, 404]
WRITE = [401, 403, 404, 409, 422]


def programme_json(row: Any) -> dict[str, Any]:
    return {
        "id": row.id, "name": row.name, "rate_bp": row.rate_bp, "valid_from": row.valid_from,
        "valid_to": row.valid_to, "per_pupil_ore": row.per_pupil_ore,
    }  # fmt: skip


def settings_json(row: Any) -> dict[str, Any]:
    return {
        "municipality_code": row.municipality_code, "ean": row.ean,
        "buyer_threshold_ore": row.buyer_threshold_ore, "withdrawal_days": row.withdrawal_days,
    }  # fmt: skip


@bp.post("/programmes")
@auth_required
@bp.input(ProgrammeIn, arg_name="body")
@bp.output(ProgrammeOut, status_code=201)
@bp.doc(responses=[401, 403, 409, 422])
def create_programme(body: dict[str, Any]) -> dict[str, Any]:
    """Create a subsidy programme (platform admin)

    A co-financing rate in basis points (5000 = 50 %) of the net price (excl. VAT) of
    eligible offers, a period, and the grant per pupil a computed grant uses.
    """
    return programme_json(ops.create_programme(db.session(), require_principal(), **body))


@bp.get("/programmes")
@auth_required
@bp.output(ProgrammeList)
@bp.doc(responses=[401])
def list_programmes() -> dict[str, Any]:
    """Subsidy programmes"""
    require_principal()
    return {"items": [programme_json(r) for r in ops.list_programmes(db.session())]}


@bp.put("/programmes/<uuid:programme_id>/grants/<code>")
@auth_required
@bp.input(GrantIn, arg_name="body")
@bp.output(GrantOut)
@bp.doc(responses=WRITE)
def set_grant(programme_id: uuid.UUID, code: str, body: dict[str, Any]) -> dict[str, Any]:
    """Set a municipality's grant (platform admin)

    `amount_ore`, or per pupil × `pupils` (counted from the roster when left out). The change
    is posted to the ledger; it cannot go below what the municipality has not allocated (409).
    """
    row = ops.set_grant(db.session(), require_principal(), programme_id, code, **body)
    return {
        "programme_id": row.programme_id, "municipality_code": row.municipality_code,
        "pupils": row.pupils, "amount_ore": row.amount_ore, "updated_at": row.updated_at,
    }  # fmt: skip


@bp.post("/municipalities/<code>/own-funds")
@auth_required
@bp.input(IdempotencyHeaders, location="headers", arg_name="headers")
@bp.input(OwnFundsIn, arg_name="body")
@bp.output(OwnFundsOut, status_code=201)
@bp.doc(responses=WRITE)
def add_own_funds(code: str, headers: dict[str, Any], body: dict[str, Any]) -> Response:
    """Add the municipality's own funds to its budget (buyer)"""
    session, principal = db.session(), require_principal()

    def run() -> tuple[dict[str, Any], int]:
        left = ops.add_own_funds(session, principal, code, body["amount_ore"])
        return {"unallocated_own_ore": left}, 201

    return idempotent(session, principal, headers.get("idempotency_key"), run)


@bp.post("/municipalities/<code>/allocations")
@auth_required
@bp.input(IdempotencyHeaders, location="headers", arg_name="headers")
@bp.input(AllocationIn, arg_name="body")
@bp.output(SchoolBudgetOut, status_code=201)
@bp.doc(responses=WRITE)
def allocate(code: str, headers: dict[str, Any], body: dict[str, Any]) -> Response:
    """Allocate grant or own funds to a school of the municipality (buyer)

    Answers the school's budget after the allocation. 409 `insufficient_budget` when the
    municipality has not that much left to allocate (nothing moved).
    """
    session, principal = db.session(), require_principal()

    def run() -> tuple[dict[str, Any], int]:
        figures = ops.allocate(session, principal, code, **body)
        school = ops.school(session, body["school_id"])
        dumped = SchoolBudgetOut().dump({"school_id": school.id, "name": school.name, **figures})
        return dumped, 201

    return idempotent(session, principal, headers.get("idempotency_key"), run)


@bp.get("/municipalities/<code>/purchase-settings")
@auth_required
@bp.output(SettingsOut)
@bp.doc(responses=READ)
def get_settings(code: str) -> dict[str, Any]:
    """The municipality's EAN number, approval threshold and withdrawal period"""
    return settings_json(ops.read_settings(db.session(), require_principal(), code))


@bp.put("/municipalities/<code>/purchase-settings")
@auth_required
@bp.input(SettingsIn, arg_name="body")
@bp.output(SettingsOut)
@bp.doc(responses=WRITE)
def update_settings(code: str, body: dict[str, Any]) -> dict[str, Any]:
    """Set the EAN number (GS1 check digit), approval threshold, withdrawal days (buyer)

    Requests from `buyer_threshold_ore` (net) need the municipal buyer's approval; below it
    the school leader's. Default 10.000 kr. and 14 days.
    """
    return settings_json(ops.update_settings(db.session(), require_principal(), code, **body))


@bp.get("/municipalities/<code>/budget")
@auth_required
@bp.output(MunicipalityBudgetOut)
@bp.doc(responses=READ)
def municipality_budget(code: str) -> dict[str, Any]:
    """The municipality's budget: granted, own funds, allocated, spent, reserved, remaining

    In øre excl. VAT. `subsidy_used_ore` is the subsidy share of paid orders; `schools` has
    the same figures per school.
    """
    row, figures, schools = ops.read_municipality_budget(db.session(), require_principal(), code)
    return {"municipality_code": row.code, "name": row.name, **figures, "schools": schools}


@bp.get("/schools/<uuid:school_id>/budget")
@auth_required
@bp.output(SchoolBudgetOut)
@bp.doc(responses=READ)
def school_budget(school_id: uuid.UUID) -> dict[str, Any]:
    """The school's allocation: allocated, spent, reserved, remaining, subsidy used"""
    school, figures = ops.read_school_budget(db.session(), require_principal(), school_id)
    return {"school_id": school.id, "name": school.name, **figures}


def init_app(app: APIFlask) -> None:
    app.register_blueprint(bp)
