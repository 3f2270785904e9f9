"""The CASE 1.0 provider: any CASE client can read our goal frameworks.

Paths, paging (``limit``, ``offset``, ``X-Total-Count``) and error bodies (``imsx_StatusInfo``)
follow the 1EdTech CASE REST binding. Objects are written by the strict CASE writer, so what
we serve validates against the CASE 1.1 package schema.
"""

from __future__ import annotations

import uuid
from typing import Any

from apiflask import APIBlueprint, Schema
from apiflask.fields import Integer
from apiflask.validators import Range
from flask import current_app, jsonify
from flask.typing import ResponseReturnValue
from marshmallow import RAISE

from learning_goals import case
from server.errors import NotFound
from server.extensions import db
from server.goals import queries

bp = APIBlueprint("case", __name__, url_prefix="/ims/case/v1p0", tag="CASE provider")

CASE_OBJECT = {"type": "object", "additionalProperties": True}


def _doc(description: str, *, paged: bool = False) -> Any:
    ok: dict[str, Any] = {
        "description": description,
        "content": {"application/json": {"schema": CASE_OBJECT}},
    }
    if paged:
        ok["headers"] = {
            "X-Total-Count": {
                "description": "Number of objects in all pages",
                "schema": {"type": "integer"},
            }
        }
    return {200: ok}


class CasePaging(Schema):
    class Meta:
        unknown = RAISE

    limit = Integer(load_default=100, validate=Range(1, 1000))
    offset = Integer(load_default=0, validate=Range(0, 1_000_000))


def _base() -> str:
    return str(current_app.config["PUBLIC_BASE_URL"])


def _unknown(kind: str, ident: uuid.UUID) -> NotFound:
    return NotFound(f"No {kind} with identifier {ident}.")


@bp.get("/CFDocuments")
@bp.input(CasePaging, location="query", arg_name="paging", unknown=RAISE)
@bp.doc(responses=_doc("The CFDocuments (one per framework)", paged=True))
def documents(paging: dict[str, Any]) -> ResponseReturnValue:
    """CASE: all CFDocuments"""
    page = queries.list_frameworks(db.session(), limit=paging["limit"], offset=paging["offset"])
    body = {
        "CFDocuments": [
            case.document_to_case(queries.framework_from_row(row), _base()) for row in page.items
        ]
    }
    response = jsonify(body)
    response.headers["X-Total-Count"] = str(page.total)
    return response


@bp.get("/CFDocuments/<uuid:document_id>")
@bp.doc(responses=_doc("One CFDocument"))
def document(document_id: uuid.UUID) -> ResponseReturnValue:
    """CASE: one CFDocument"""
    try:
        row = queries.get_framework(db.session(), document_id)
    except queries.GoalNotFound:
        raise _unknown("CFDocument", document_id) from None
    return jsonify(case.document_to_case(queries.framework_from_row(row), _base()))


@bp.get("/CFPackages/<uuid:document_id>")
@bp.doc(responses=_doc("The whole framework as a CASE 1.1 CFPackage"))
def package(document_id: uuid.UUID) -> ResponseReturnValue:
    """CASE: a whole CFPackage"""
    try:
        loaded = queries.load_package(db.session(), document_id)
    except queries.GoalNotFound:
        raise _unknown("CFPackage", document_id) from None
    return jsonify(case.package_to_case(loaded, _base()))


@bp.get("/CFItems/<uuid:item_id>")
@bp.doc(responses=_doc("One CFItem"))
def item(item_id: uuid.UUID) -> ResponseReturnValue:
    """CASE: one CFItem"""
    goal, framework = _goal_and_framework(item_id)
    return jsonify(case.item_to_case(goal, framework, _base()))


@bp.get("/CFAssociations/<uuid:association_id>")
@bp.doc(responses=_doc("One CFAssociation"))
def association(association_id: uuid.UUID) -> ResponseReturnValue:
    """CASE: one CFAssociation"""
    try:
        row = queries.get_association(db.session(), association_id)
    except queries.GoalNotFound:
        raise _unknown("CFAssociation", association_id) from None
    framework = queries.framework_from_row(queries.get_framework(db.session(), row.framework_id))
    return jsonify(_association(row, framework))


@bp.get("/CFItemAssociations/<uuid:item_id>")
@bp.doc(responses=_doc("A CFItem with every association it takes part in"))
def item_associations(item_id: uuid.UUID) -> ResponseReturnValue:
    """CASE: one CFItem and its CFAssociations"""
    goal, framework = _goal_and_framework(item_id)
    associations = [
        _association(row, framework) for row in queries.associations_of(db.session(), item_id)
    ]
    return jsonify(
        {"CFItem": case.item_to_case(goal, framework, _base()), "CFAssociations": associations}
    )


def _association(row: Any, framework: Any) -> dict[str, Any]:
    """One CFAssociation, its ends that are our goals written with our URIs and titles."""
    ends = queries.goals_by_identifier(
        db.session(), [row.origin_identifier, row.destination_identifier]
    )
    return case.association_to_case(queries.association_from_row(row), framework, _base(), ends)


def _goal_and_framework(item_id: uuid.UUID) -> tuple[Any, Any]:
    try:
        row = queries.get_goal(db.session(), item_id)
    except queries.GoalNotFound:
        raise _unknown("CFItem", item_id) from None
    framework = queries.framework_from_row(queries.get_framework(db.session(), row.framework_id))
    return queries.goal_from_row(row), framework
