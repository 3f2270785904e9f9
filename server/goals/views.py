"""JSON API for the apps: frameworks, trees, one goal in context, goal search.

Goal reads need no sign-in: pupils, parents and the public can read the learning goals.
"""

from __future__ import annotations

import uuid
from typing import Any

from apiflask import APIBlueprint
from flask import current_app
from marshmallow import RAISE

from server.errors import NotFound
from server.extensions import db
from server.goals import queries
from server.goals.models import FrameworkRow, GoalRow
from server.goals.schemas import (
    FrameworkPage,
    FrameworkQuery,
    FrameworkTree,
    GoalDetail,
    GoalSearchPage,
    GoalSearchQuery,
    TreeQuery,
)

bp = APIBlueprint("goals", __name__, url_prefix="/api/v1", tag="Learning goals")


def _case_base() -> str:
    return str(current_app.config["PUBLIC_BASE_URL"])


def framework_json(row: FrameworkRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "title": row.title,
        "subject": row.subject,
        "version": row.version,
        "creator": row.creator,
        "publisher": row.publisher,
        "language": row.language,
        "description": row.description,
        "official_source_url": row.official_source_url,
        "notes": row.notes,
        "gaps": list(row.gaps or ()),
        "grades": {"min": row.grade_min, "max": row.grade_max},
        "goal_count": row.goal_count,
        "case_uri": f"{_case_base()}/ims/case/v1p0/CFDocuments/{row.id}",
    }


def goal_json(row: GoalRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "framework_id": row.framework_id,
        "full_statement": row.full_statement,
        "kind": row.kind,
        "human_code": row.human_code,
        "grade_band": row.grade_band,
        "grades": list(row.grades or ()),
        "position": row.position,
        "notes": row.notes,
        "guidance_only": row.guidance_only,
        "source_url": row.source_url,
        "depth": row.depth,
        "case_uri": f"{_case_base()}/ims/case/v1p0/CFItems/{row.id}",
    }


def _not_found(what: str, ident: uuid.UUID) -> NotFound:
    return NotFound(f"No {what} with id {ident}.", code=f"{what}_not_found")


@bp.get("/frameworks")
@bp.input(FrameworkQuery, location="query", arg_name="query", unknown=RAISE)
@bp.output(FrameworkPage)
def list_frameworks(query: dict[str, Any]) -> dict[str, Any]:
    """List goal frameworks

    Filter by subject (e.g. `Matematik`) and by a grade the framework covers.
    """
    page = queries.list_frameworks(db.session(), **query)
    return {
        "items": [framework_json(r) for r in page.items],
        "total": page.total,
        "limit": page.limit,
        "offset": page.offset,
    }


@bp.get("/frameworks/<uuid:framework_id>")
@bp.output(FrameworkTree)
@bp.input(TreeQuery, location="query", arg_name="query", unknown=RAISE)
def framework_tree(framework_id: uuid.UUID, query: dict[str, Any]) -> dict[str, Any]:
    """One framework with its goal tree

    The goals come nested (`children`), in the framework's order. `depth` limits how deep the
    tree goes: 0 gives the competence areas only.
    """
    try:
        framework = queries.get_framework(db.session(), framework_id)
    except queries.GoalNotFound:
        raise _not_found("framework", framework_id) from None
    rows = queries.framework_goals(db.session(), framework_id, max_depth=query.get("depth"))
    return {"framework": framework_json(framework), "goals": queries.nest(rows, goal_json)}


@bp.get("/goals/<uuid:goal_id>")
@bp.output(GoalDetail)
def goal_detail(goal_id: uuid.UUID) -> dict[str, Any]:
    """One goal with its ancestors, children and related goals"""
    try:
        goal = queries.get_goal(db.session(), goal_id)
    except queries.GoalNotFound:
        raise _not_found("goal", goal_id) from None
    framework = queries.get_framework(db.session(), goal.framework_id)
    related = [
        {
            "type": kind,
            "direction": direction,
            "goal": goal_json(other) if other is not None else None,
            "node": _other_end(assoc, direction),
        }
        for kind, direction, other, assoc in queries.related_goals(db.session(), goal_id)
    ]
    return {
        "goal": goal_json(goal),
        "framework": framework_json(framework),
        "ancestors": [goal_json(r) for r in queries.ancestors(db.session(), goal_id)],
        "children": [goal_json(r) for r in queries.children(db.session(), goal_id)],
        "related": related,
        "descendant_count": len(queries.descendant_ids(db.session(), goal_id, include_self=False)),
    }


def _other_end(assoc: Any, direction: str) -> dict[str, Any]:
    if direction == "outgoing":
        return {
            "identifier": assoc.destination_identifier,
            "uri": assoc.destination_uri,
            "title": assoc.destination_title,
        }
    return {
        "identifier": assoc.origin_identifier,
        "uri": assoc.origin_uri,
        "title": assoc.origin_title,
    }


@bp.get("/goals")
@bp.input(GoalSearchQuery, location="query", arg_name="query", unknown=RAISE)
@bp.output(GoalSearchPage)
def search_goals(query: dict[str, Any]) -> dict[str, Any]:
    """Search learning goals in Danish

    `brøk` finds goals about *brøker*; `broek` works too. Every word must match (as a stem or
    the start of a word). Filter by subject, grade, framework and kind.
    """
    kind = query.pop("kind", None)
    page = queries.search_goals(db.session(), query.pop("q"), kinds=[kind] if kind else [], **query)
    return {
        "items": [
            {
                "goal": goal_json(goal),
                "score": float(score or 0),
                "framework_title": title,
                "subject": subject,
            }
            for goal, title, subject, score in page.items
        ],
        "total": page.total,
        "limit": page.limit,
        "offset": page.offset,
    }
