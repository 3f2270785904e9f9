"""Use cases that write goal frameworks: import (create or update in place)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from learning_goals.model import (
    FrameworkPackage,
    Goal,
    GoalFrameworkError,
    all_grades,
    closure,
    parent_map,
    validate,
)
from learning_goals.text import weighted_terms
from server.goals.models import (
    AssociationRow,
    FrameworkRow,
    GoalClosureRow,
    GoalRow,
    GoalTermRow,
)

_CHUNK = 2000  # rows per executemany; keeps SQLite under its bound-parameter limit


@dataclass(frozen=True, slots=True)
class ImportReport:
    framework_id: uuid.UUID
    title: str
    items: int
    associations: int
    created: bool
    goals_added: int
    goals_updated: int
    goals_removed: int
    warnings: tuple[str, ...]


def import_package(session: Session, package: FrameworkPackage) -> ImportReport:
    """Store ``package``, replacing an earlier import of the same framework in place.

    Ids are kept (goals are updated, not re-created), so anything that refers to a goal keeps
    referring to it. All or nothing: the caller's transaction is committed only when every row
    is written; any error rolls it back.
    """
    validate(package)
    try:
        report = _write(session, package)
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return report


def _write(session: Session, package: FrameworkPackage) -> ImportReport:
    framework = package.framework
    goal_ids = [goal.id for goal in package.goals]
    foreign = _first_foreign(session, package)
    if foreign is not None:
        raise GoalFrameworkError(
            f"the identifier already belongs to another framework ({foreign[1]})",
            where=f"CFItem {foreign[0]} identifier",
        )

    existing = session.get(FrameworkRow, framework.id)
    now = datetime.now(UTC)
    grades = all_grades(package.goals)
    framework_values: dict[str, Any] = {
        "title": framework.title,
        "creator": framework.creator,
        "version": framework.version,
        "subject": framework.subject,
        "language": framework.language,
        "description": framework.description,
        "publisher": framework.publisher,
        "official_source_url": framework.official_source_url,
        "adoption_status": framework.adoption_status,
        "notes": framework.notes,
        "uri": framework.uri,
        "last_change": framework.last_change,
        "gaps": list(framework.gaps),
        "grade_min": min(grades) if grades else None,
        "grade_max": max(grades) if grades else None,
        "goal_count": len(package.goals),
        "imported_at": now,
    }
    if existing is None:
        session.execute(insert(FrameworkRow).values(id=framework.id, **framework_values))
    else:
        session.execute(
            update(FrameworkRow).where(FrameworkRow.id == framework.id).values(**framework_values)
        )

    parents = parent_map(package)
    pairs = closure(parents)
    depth = _depths(pairs)
    old_ids = set(session.scalars(select(GoalRow.id).where(GoalRow.framework_id == framework.id)))
    rows = [
        _goal_values(goal, framework.id, parents, depth, index)
        for index, goal in enumerate(_tree_order(package.goals, parents))
    ]
    new_rows = [r for r in rows if r["id"] not in old_ids]
    changed_rows = [r for r in rows if r["id"] in old_ids]
    removed = old_ids - set(goal_ids)

    # The derived tables and the associations are replaced whole; goals are updated in place.
    for table in (GoalClosureRow, GoalTermRow, AssociationRow):
        session.execute(delete(table).where(table.framework_id == framework.id))
    for chunk in _chunks(sorted(removed)):
        session.execute(delete(GoalRow).where(GoalRow.id.in_(chunk)))
    for chunk in _chunks(new_rows):
        session.execute(insert(GoalRow), chunk)
    for chunk in _chunks(changed_rows):
        session.execute(update(GoalRow), chunk)
    for chunk in _chunks([_association_values(a, framework.id) for a in package.associations]):
        session.execute(insert(AssociationRow), chunk)
    closure_rows = [
        {"ancestor_id": a, "descendant_id": d, "framework_id": framework.id, "depth": dep}
        for a, d, dep in pairs
    ]
    for chunk in _chunks(closure_rows):
        session.execute(insert(GoalClosureRow), chunk)
    term_rows = [
        {"term": term, "goal_id": goal.id, "framework_id": framework.id, "weight": weight}
        for goal in package.goals
        for term, weight in _goal_terms(goal).items()
    ]
    for chunk in _chunks(term_rows):
        session.execute(insert(GoalTermRow), chunk)

    return ImportReport(
        framework_id=framework.id,
        title=framework.title,
        items=len(package.goals),
        associations=len(package.associations),
        created=existing is None,
        goals_added=len(new_rows),
        goals_updated=len(changed_rows),
        goals_removed=len(removed),
        warnings=package.warnings,
    )


def _first_foreign(session: Session, package: FrameworkPackage) -> Any:
    ids = [goal.id for goal in package.goals]
    for chunk in _chunks(ids):
        row = session.execute(
            select(GoalRow.id, GoalRow.framework_id).where(
                GoalRow.id.in_(chunk), GoalRow.framework_id != package.framework.id
            )
        ).first()
        if row is not None:
            return row
    return None


def _depths(pairs: list[tuple[uuid.UUID, uuid.UUID, int]]) -> dict[uuid.UUID, int]:
    """A goal's depth is its longest distance to any ancestor (roots are 0)."""
    depth: dict[uuid.UUID, int] = {}
    for _, descendant, dep in pairs:
        if dep > depth.get(descendant, -1):
            depth[descendant] = dep
    return depth


def _tree_order(goals: Sequence[Goal], parents: dict[uuid.UUID, list[uuid.UUID]]) -> list[Goal]:
    """Goals in depth-first tree order, siblings by position then text (the sort key)."""
    children: dict[uuid.UUID | None, list[Goal]] = {}
    for goal in goals:
        first = parents[goal.id][0] if parents[goal.id] else None
        children.setdefault(first, []).append(goal)
    for siblings in children.values():
        siblings.sort(key=lambda g: (g.position is None, g.position or 0, g.full_statement))
    ordered: list[Goal] = []
    stack = list(reversed(children.get(None, [])))
    seen: set[uuid.UUID] = set()
    while stack:
        goal = stack.pop()
        if goal.id in seen:
            continue
        seen.add(goal.id)
        ordered.append(goal)
        stack.extend(reversed(children.get(goal.id, [])))
    ordered.extend(g for g in goals if g.id not in seen)  # unreachable only if data is odd
    return ordered


def _goal_values(
    goal: Goal,
    framework_id: uuid.UUID,
    parents: dict[uuid.UUID, list[uuid.UUID]],
    depth: dict[uuid.UUID, int],
    sort_key: int,
) -> dict[str, Any]:
    return {
        "id": goal.id,
        "framework_id": framework_id,
        "full_statement": goal.full_statement,
        "kind": str(goal.kind),
        "human_code": goal.human_code,
        "abbreviated_statement": goal.abbreviated_statement,
        "item_type": goal.item_type,
        "grade_band": goal.grade_band,
        "grades": list(goal.grades),
        "grade_min": min(goal.grades) if goal.grades else None,
        "grade_max": max(goal.grades) if goal.grades else None,
        "position": goal.position,
        "language": goal.language,
        "notes": goal.notes,
        "uri": goal.uri,
        "last_change": goal.last_change,
        "guidance_only": goal.guidance_only,
        "source_url": goal.source_url,
        "parent_id": parents[goal.id][0] if parents[goal.id] else None,
        "depth": depth.get(goal.id, 0),
        "sort_key": sort_key,
    }


def _association_values(assoc: Any, framework_id: uuid.UUID) -> dict[str, Any]:
    return {
        "id": assoc.id,
        "framework_id": framework_id,
        "type": str(assoc.type),
        "origin_identifier": assoc.origin.identifier,
        "origin_uri": assoc.origin.uri,
        "origin_title": assoc.origin.title,
        "destination_identifier": assoc.destination.identifier,
        "destination_uri": assoc.destination.uri,
        "destination_title": assoc.destination.title,
        "sequence_number": assoc.sequence_number,
        "uri": assoc.uri,
        "last_change": assoc.last_change,
    }


def _goal_terms(goal: Goal) -> dict[str, int]:
    return weighted_terms(
        [
            (goal.full_statement, 3),
            (goal.abbreviated_statement, 3),
            (goal.human_code, 2),
            (goal.grade_band, 1),
        ]
    )


def _chunks(rows: Sequence[Any]) -> list[Sequence[Any]]:
    return [rows[i : i + _CHUNK] for i in range(0, len(rows), _CHUNK)]
