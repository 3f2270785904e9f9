"""Organisations and people: municipalities, schools, classes, publishers, users, memberships.

Tenancy: a school belongs to one municipality; a class to one school. A user is nobody until
a membership gives a role *in* a tenant (pupil/teacher/school_leader in a school,
municipal_buyer in a municipality, publisher_admin in a publisher; platform_admin alone).
About pupils we keep the minimum: a display name, their class and school. Never a CPR number.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column

from server.extensions import db


class MunicipalityRow(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "municipalities"

    code: Mapped[str] = mapped_column(String(3), primary_key=True)  # kommunekode
    name: Mapped[str] = mapped_column(String(100))
    region: Mapped[str] = mapped_column(String(100))


class SchoolRow(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "schools"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    institution_number: Mapped[str] = mapped_column(String(6), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    municipality_code: Mapped[str] = mapped_column(ForeignKey("municipalities.code"), index=True)
    #: The school year the roster is in now, e.g. "2026/27" (rollover moves it on).
    school_year: Mapped[str] = mapped_column(String(7))


class SchoolClassRow(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "school_classes"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    school_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("schools.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(20))  # "4.B"
    grade: Mapped[int] = mapped_column(Integer)
    school_year: Mapped[str] = mapped_column(String(7))
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    __table_args__ = (
        UniqueConstraint("school_id", "school_year", "name", name="uq_school_classes_name"),
        CheckConstraint("grade >= 0 AND grade <= 10", name="grade_range"),
    )


class PublisherRow(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "publishers"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(String(200))
    cvr: Mapped[str] = mapped_column(String(8), unique=True)
    contact_email: Mapped[str | None] = mapped_column(String(320))
    dpa_url: Mapped[str | None] = mapped_column(Text)  # data-processing agreement


class UserRow(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "users"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    display_name: Mapped[str] = mapped_column(String(200))
    #: Adults only; pupils need none.
    email: Mapped[str | None] = mapped_column(String(320))
    #: Login name of a local account (lower-case); None for federated-only users.
    username: Mapped[str | None] = mapped_column(String(100), unique=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class UserIdentityRow(db.Model):  # type: ignore[name-defined,misc]
    """How an outside system names a user: a school IdP's ``sub``, a roster file's id."""

    __tablename__ = "user_identities"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    #: "oidc:<issuer>" or "roster:<school id>"
    provider: Mapped[str] = mapped_column(String(300))
    subject: Mapped[str] = mapped_column(String(300))

    __table_args__ = (UniqueConstraint("provider", "subject", name="uq_user_identities_subject"),)


ROLES = (
    "pupil",
    "teacher",
    "school_leader",
    "municipal_buyer",
    "publisher_admin",
    "platform_admin",
)
SCHOOL_ROLES = frozenset({"pupil", "teacher", "school_leader"})


class MembershipRow(db.Model):  # type: ignore[name-defined,misc]
    """A role in a tenant. The tenant columns that apply to the role are set; others are null."""

    __tablename__ = "memberships"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[str] = mapped_column(String(30))
    municipality_code: Mapped[str | None] = mapped_column(ForeignKey("municipalities.code"))
    school_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("schools.id", ondelete="CASCADE"), index=True
    )
    class_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("school_classes.id", ondelete="SET NULL"), index=True
    )
    publisher_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("publishers.id", ondelete="CASCADE"), index=True
    )
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    __table_args__ = (
        CheckConstraint(
            "role IN ('pupil','teacher','school_leader','municipal_buyer','publisher_admin',"
            "'platform_admin')",
            name="role_known",
        ),
        Index("ix_memberships_user_role", "user_id", "role"),
    )
