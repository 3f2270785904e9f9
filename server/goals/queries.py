"""Reads of goal frameworks: lists, trees, one goal in context, subtrees, Danish goal search."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, func, literal, or_, select, union_all
from sqlalchemy.orm import Session

from learning_goals.model import (
    Association,
    AssociationType,
    Framework,
    FrameworkPackage,
    Goal,
    GoalKind,
    NodeRef,
)
from learning_goals.text import PREFIX_END, query_words
from server.goals.models import (
    AssociationRow,
    FrameworkRow,
    GoalClosureRow,
    GoalRow,
    GoalTermRow,
)


class GoalNotFound(LookupError):
    """No goal or framework with that id."""


@dataclass(frozen=True, slots=True)
class Page:
    items: list[Any]
    total: int
    limit: int
    offset: int


def list_frameworks(
    session: Session,
    *,
    subject: str | None = None,
    grade: int | None = None,
    limit: int = 50,
    offset: int = 0,
) -> Page:
    query = select(FrameworkRow)
    if subject:
        query = query.where(func.lower(FrameworkRow.subject) == subject.casefold())
    if grade is not None:
        query = query.where(FrameworkRow.grade_min <= grade, FrameworkRow.grade_max >= grade)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.order_by(FrameworkRow.subject, FrameworkRow.title, FrameworkRow.id)
        .limit(limit)
        .offset(offset)
    ).all()
    return Page(list(rows), total, limit, offset)


def get_framework(session: Session, framework_id: uuid.UUID) -> FrameworkRow:
    row = session.get(FrameworkRow, framework_id)
    if row is None:
        raise GoalNotFound(f"framework {framework_id}")
    return row


def get_goal(session: Session, goal_id: uuid.UUID) -> GoalRow:
    row = session.get(GoalRow, goal_id)
    if row is None:
        raise GoalNotFound(f"goal {goal_id}")
    return row


def framework_goals(
    session: Session, framework_id: uuid.UUID, *, max_depth: int | None = None
) -> list[GoalRow]:
    """A framework's goals in tree order (depth first), down to ``max_depth`` (0 = roots)."""
    query = select(GoalRow).where(GoalRow.framework_id == framework_id)
    if max_depth is not None:
        query = query.where(GoalRow.depth <= max_depth)
    return list(session.scalars(query.order_by(GoalRow.sort_key)))


def nest(rows: Sequence[GoalRow], serialise: Any) -> list[dict[str, Any]]:
    """Rows in tree order → nested dicts with ``children`` (first parent decides the place)."""
    by_id: dict[uuid.UUID, dict[str, Any]] = {}
    roots: list[dict[str, Any]] = []
    for row in rows:
        node = serialise(row)
        node["children"] = []
        by_id[row.id] = node
        parent = by_id.get(row.parent_id) if row.parent_id else None
        (parent["children"] if parent is not None else roots).append(node)
    return roots


def descendant_ids(
    session: Session, goal_id: uuid.UUID, *, include_self: bool = True
) -> list[uuid.UUID]:
    """Every goal below ``goal_id`` (one indexed lookup in the closure table)."""
    query = select(GoalClosureRow.descendant_id).where(GoalClosureRow.ancestor_id == goal_id)
    if not include_self:
        query = query.where(GoalClosureRow.depth > 0)
    return list(session.scalars(query))


def ancestors(session: Session, goal_id: uuid.UUID) -> list[GoalRow]:
    """The goal's ancestors, nearest last (root first)."""
    query = (
        select(GoalRow)
        .join(GoalClosureRow, GoalClosureRow.ancestor_id == GoalRow.id)
        .where(GoalClosureRow.descendant_id == goal_id, GoalClosureRow.depth > 0)
        .order_by(GoalClosureRow.depth.desc())
    )
    return list(session.scalars(query))


def children(session: Session, goal_id: uuid.UUID) -> list[GoalRow]:
    query = (
        select(GoalRow)
        .join(GoalClosureRow, GoalClosureRow.descendant_id == GoalRow.id)
        .where(GoalClosureRow.ancestor_id == goal_id, GoalClosureRow.depth == 1)
        .order_by(GoalRow.sort_key)
    )
    return list(session.scalars(query))


def associations_of(session: Session, goal_id: uuid.UUID) -> list[AssociationRow]:
    """Every association with this goal at either end, isChildOf included."""
    key = str(goal_id)
    query = select(AssociationRow).where(
        or_(AssociationRow.origin_identifier == key, AssociationRow.destination_identifier == key)
    )
    return list(session.scalars(query.order_by(AssociationRow.type, AssociationRow.id)))


def get_association(session: Session, association_id: uuid.UUID) -> AssociationRow:
    row = session.get(AssociationRow, association_id)
    if row is None:
        raise GoalNotFound(f"association {association_id}")
    return row


def search_goals(
    session: Session,
    text: str,
    *,
    subject: str | None = None,
    grade: int | None = None,
    framework_id: uuid.UUID | None = None,
    kinds: Sequence[str] = (),
    limit: int = 20,
    offset: int = 0,
) -> Page:
    """Goals whose words match every word of ``text`` (stem or prefix), best first.

    Items are ``(goal, framework title, subject, score)``.

    Each query word may match any of its alternatives (its stem, and the same with ae/oe/aa
    read as æ/ø/å) as a prefix of an index term. A goal must match every word; its score is
    the sum of the best weight per word. An empty query lists goals in tree order.
    """
    alternatives = query_words(text)
    frameworks = None
    if subject:
        frameworks = select(FrameworkRow.id).where(
            func.lower(FrameworkRow.subject) == subject.casefold()
        )
    if framework_id is not None:
        frameworks = (
            select(FrameworkRow.id).where(FrameworkRow.id == framework_id)
            if frameworks is None
            else frameworks.where(FrameworkRow.id == framework_id)
        )
    filters: list[ColumnElement[bool]] = []
    if frameworks is not None:
        filters.append(GoalRow.framework_id.in_(frameworks))
    if grade is not None:
        filters.append(and_(GoalRow.grade_min <= grade, GoalRow.grade_max >= grade))
    if kinds:
        filters.append(GoalRow.kind.in_(list(kinds)))
    total = func.count().over().label("total")  # the count rides along with the page
    order = (GoalRow.depth, GoalRow.sort_key, GoalRow.id)

    if not alternatives:
        score: Any = literal(0)
        ranked = select(GoalRow.id, score.label("score"), total).where(*filters)
        ranked = ranked.order_by(GoalRow.framework_id, *order)
    else:
        per_word = []
        for index, prefixes in enumerate(alternatives):
            ranges = [
                and_(GoalTermRow.term >= prefix, GoalTermRow.term < prefix + PREFIX_END)
                for prefix in sorted(prefixes)
            ]
            word = (
                select(
                    GoalTermRow.goal_id.label("goal_id"),
                    literal(index).label("word"),
                    func.max(GoalTermRow.weight).label("weight"),
                )
                .where(or_(*ranges))
                .group_by(GoalTermRow.goal_id)
            )
            per_word.append(word)
        hits = union_all(*per_word).subquery()
        matched = (
            select(hits.c.goal_id, func.sum(hits.c.weight).label("score"))
            .group_by(hits.c.goal_id)
            .having(func.count(hits.c.word) == len(alternatives))
            .subquery()
        )
        score = matched.c.score
        ranked = (
            select(GoalRow.id, score.label("score"), total)
            .join(matched, matched.c.goal_id == GoalRow.id)
            .where(*filters)
            .order_by(score.desc(), *order)
        )
    # Rank narrow rows first; only the page's rows are then read whole.
    page = ranked.limit(limit).offset(offset).subquery()
    rows = session.execute(
        select(GoalRow, FrameworkRow.title, FrameworkRow.subject, page.c.score, page.c.total)
        .join(page, page.c.id == GoalRow.id)
        .join(FrameworkRow, FrameworkRow.id == GoalRow.framework_id)
        .order_by(
            page.c.score.desc(),
            *((FrameworkRow.subject, GoalRow.framework_id) if not alternatives else ()),
            *order,
        )
    ).all()
    if rows:
        count = int(rows[0].total)
    elif offset:  # past the end: the window saw no rows, so count separately
        count = session.scalar(select(func.count()).select_from(ranked.subquery())) or 0
    else:
        count = 0
    return Page([tuple(r)[:4] for r in rows], count, limit, offset)


def load_package(session: Session, framework_id: uuid.UUID) -> FrameworkPackage:
    """The stored framework as a domain package (for CASE export)."""
    framework = framework_from_row(get_framework(session, framework_id))
    goals = tuple(goal_from_row(g) for g in framework_goals(session, framework_id))
    associations = tuple(
        association_from_row(a)
        for a in session.scalars(
            select(AssociationRow)
            .where(AssociationRow.framework_id == framework_id)
            .order_by(AssociationRow.id)
        )
    )
    return FrameworkPackage(framework, goals, associations)


def framework_from_row(row: FrameworkRow) -> Framework:
    return Framework(
        id=row.id,
        title=row.title,
        creator=row.creator,
        version=row.version,
        subject=row.subject,
        language=row.language,
        description=row.description,
        publisher=row.publisher,
        official_source_url=row.official_source_url,
        adoption_status=row.adoption_status,
        notes=row.notes,
        uri=row.uri,
        last_change=row.last_change,
        gaps=tuple(row.gaps or ()),
    )


def goal_from_row(row: GoalRow) -> Goal:
    return Goal(
        id=row.id,
        full_statement=row.full_statement,
        kind=GoalKind(row.kind),
        human_code=row.human_code,
        abbreviated_statement=row.abbreviated_statement,
        item_type=row.item_type,
        grade_band=row.grade_band,
        grades=tuple(row.grades or ()),
        position=row.position,
        language=row.language,
        notes=row.notes,
        uri=row.uri,
        last_change=row.last_change,
        guidance_only=row.guidance_only,
        source_url=row.source_url,
    )


def association_from_row(row: AssociationRow) -> Association:
    return Association(
        id=row.id,
        type=row.type,
        origin=NodeRef(row.origin_identifier, row.origin_uri, row.origin_title),
        destination=NodeRef(row.destination_identifier, row.destination_uri, row.destination_title),
        sequence_number=row.sequence_number,
        uri=row.uri,
        last_change=row.last_change,
    )


def related_goals(
    session: Session, goal_id: uuid.UUID
) -> list[tuple[str, str, GoalRow | None, AssociationRow]]:
    """Non-tree associations of a goal: (type, direction, the other goal if ours, association)."""
    key = str(goal_id)
    result = []
    for assoc in associations_of(session, goal_id):
        if assoc.type == AssociationType.IS_CHILD_OF:
            continue
        outgoing = assoc.origin_identifier == key
        other_key = assoc.destination_identifier if outgoing else assoc.origin_identifier
        other = _goal_by_identifier(session, other_key)
        result.append((assoc.type, "outgoing" if outgoing else "incoming", other, assoc))
    return result


def goals_by_identifier(session: Session, identifiers: Sequence[str]) -> dict[str, Goal]:
    """Our goals among ``identifiers`` (others, such as external ends, are left out)."""
    ids = []
    for identifier in identifiers:
        try:
            ids.append(uuid.UUID(identifier))
        except ValueError:
            continue
    if not ids:
        return {}
    rows = session.scalars(select(GoalRow).where(GoalRow.id.in_(ids)))
    return {str(row.id): goal_from_row(row) for row in rows}


def _goal_by_identifier(session: Session, identifier: str) -> GoalRow | None:
    try:
        return session.get(GoalRow, uuid.UUID(identifier))
    except ValueError:
        return None
