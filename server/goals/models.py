"""Tables for goal frameworks.

The tree is stored twice on purpose: as the CASE associations it came from, and as a closure
table (every ancestor–descendant pair with its depth) so subtree and ancestor queries are one
indexed lookup however deep the tree. ``goal_terms`` holds the stemmed words of each goal for
Danish goal search. Both derived tables are rebuilt from the associations on every import.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Index, Integer, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from server.extensions import db


class FrameworkRow(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "goal_frameworks"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    title: Mapped[str] = mapped_column(Text)
    creator: Mapped[str] = mapped_column(Text)
    version: Mapped[str | None] = mapped_column(Text)
    subject: Mapped[str | None] = mapped_column(String(200), index=True)
    language: Mapped[str] = mapped_column(String(20))
    description: Mapped[str | None] = mapped_column(Text)
    publisher: Mapped[str | None] = mapped_column(Text)
    official_source_url: Mapped[str | None] = mapped_column(Text)
    adoption_status: Mapped[str | None] = mapped_column(String(100))
    notes: Mapped[str | None] = mapped_column(Text)
    uri: Mapped[str | None] = mapped_column(Text)
    last_change: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    gaps: Mapped[list[str]] = mapped_column(JSON, default=list)
    grade_min: Mapped[int | None] = mapped_column(Integer)
    grade_max: Mapped[int | None] = mapped_column(Integer)
    goal_count: Mapped[int] = mapped_column(Integer, default=0)
    imported_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class GoalRow(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "goals"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    framework_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("goal_frameworks.id", ondelete="CASCADE"), index=True
    )
    full_statement: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(40))
    human_code: Mapped[str | None] = mapped_column(String(200))
    abbreviated_statement: Mapped[str | None] = mapped_column(Text)
    item_type: Mapped[str | None] = mapped_column(String(200))
    grade_band: Mapped[str | None] = mapped_column(String(100))
    grades: Mapped[list[int]] = mapped_column(JSON, default=list)
    grade_min: Mapped[int | None] = mapped_column(Integer)
    grade_max: Mapped[int | None] = mapped_column(Integer)
    position: Mapped[int | None] = mapped_column(Integer)
    language: Mapped[str | None] = mapped_column(String(20))
    notes: Mapped[str | None] = mapped_column(Text)
    uri: Mapped[str | None] = mapped_column(Text)
    last_change: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    guidance_only: Mapped[bool] = mapped_column(Boolean, default=False)
    source_url: Mapped[str | None] = mapped_column(Text)
    #: The first parent inside the framework (the tree view); all parents are in associations.
    parent_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    depth: Mapped[int] = mapped_column(Integer, default=0)
    sort_key: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (Index("ix_goals_framework_parent", "framework_id", "parent_id", "sort_key"),)


class AssociationRow(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "goal_associations"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    framework_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("goal_frameworks.id", ondelete="CASCADE"), index=True
    )
    type: Mapped[str] = mapped_column(String(100))
    origin_identifier: Mapped[str] = mapped_column(String(300), index=True)
    origin_uri: Mapped[str] = mapped_column(Text)
    origin_title: Mapped[str | None] = mapped_column(Text)
    destination_identifier: Mapped[str] = mapped_column(String(300), index=True)
    destination_uri: Mapped[str] = mapped_column(Text)
    destination_title: Mapped[str | None] = mapped_column(Text)
    sequence_number: Mapped[int | None] = mapped_column(Integer)
    uri: Mapped[str | None] = mapped_column(Text)
    last_change: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class GoalClosureRow(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "goal_closure"

    ancestor_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    descendant_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    framework_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("goal_frameworks.id", ondelete="CASCADE"), index=True
    )
    depth: Mapped[int] = mapped_column(Integer)

    __table_args__ = (Index("ix_goal_closure_descendant", "descendant_id", "depth"),)


class GoalTermRow(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "goal_terms"

    # Bytewise order on every database, so a prefix is an index range (see learning_goals.text).
    term: Mapped[str] = mapped_column(
        String(100).with_variant(String(100, collation="C"), "postgresql"), primary_key=True
    )
    goal_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    framework_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("goal_frameworks.id", ondelete="CASCADE"), index=True
    )
    weight: Mapped[int] = mapped_column(Integer)

    __table_args__ = (
        Index("ix_goal_terms_goal", "goal_id"),
        # covers the search's range scan: term → goal and weight without touching the table
        Index("ix_goal_terms_covering", "term", "goal_id", "weight"),
    )


def row_dict(row: Any) -> dict[str, Any]:
    return {c.key: getattr(row, c.key) for c in row.__table__.columns}
