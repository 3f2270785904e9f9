"""Licences, pupil seats and trials.

A licence is held by a municipality, a school, a class or (``pupil``) by the pupils assigned
a seat. Class licences need no seats: every active pupil of the class is entitled through
their class membership, so a pupil who joins the class is covered at once. The class id
stays the same through the school-year rollover, so a class licence moves with its class;
``school_year`` records the year the licence was last rolled to.

``status``: ``active`` → ``revoked`` (the order was cancelled). Expiry is ``valid_until``.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column

from server.extensions import db

LICENCE_STATUSES = ("active", "revoked")


class LicenceRow(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "licences"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    order_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("orders.id"), index=True)
    product_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("products.id"), index=True)
    licence_type: Mapped[str] = mapped_column(String(20))
    municipality_code: Mapped[str] = mapped_column(ForeignKey("municipalities.code"))
    school_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("schools.id"), index=True)
    school_class_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("school_classes.id"), index=True
    )
    school_year: Mapped[str | None] = mapped_column(String(7))
    #: pupil licences: how many seats
    seats: Mapped[int | None] = mapped_column(Integer)
    valid_from: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    valid_until: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(20))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        CheckConstraint("status IN ('active', 'revoked')", name="status"),
        CheckConstraint(
            "licence_type IN ('pupil', 'class', 'school', 'municipality')", name="licence_type"
        ),
        Index("ix_licences_municipality_product", "municipality_code", "product_id"),
    )


class LicenceSeatRow(db.Model):  # type: ignore[name-defined,misc]
    """A pupil's seat on a pupil licence (released seats are deleted: seats are no ledger)."""

    __tablename__ = "licence_seats"

    licence_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("licences.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), primary_key=True, index=True)
    assigned_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    assigned_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class TrialRow(db.Model):  # type: ignore[name-defined,misc]
    """A class's time-limited trial of a product: one per product and class, ever (a trial
    that could be restarted would be a free licence)."""

    __tablename__ = "trials"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    product_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("products.id"), index=True)
    school_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("schools.id"), index=True)
    school_class_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("school_classes.id"))
    started_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ends_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    #: launches during the trial (the launch side may count them)
    launches: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (
        UniqueConstraint("product_id", "school_class_id", name="uq_trials_product_class"),
    )
