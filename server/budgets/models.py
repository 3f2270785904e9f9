"""Subsidy programmes, grants per municipality and each municipality's purchase settings.

Money that moves (grants, own funds, allocations) is in the ledger (``server.ledger.models``);
these rows are the records it is posted from. A grant's ``amount_ore`` is
``per_pupil_ore × pupils`` when computed, or set by the admin; changing it posts the
difference to the ledger.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column

from server.extensions import db

#: default: the municipal buyer approves requests from 10.000 kr. (excl. VAT)
DEFAULT_BUYER_THRESHOLD_ORE = 10_000_00
DEFAULT_WITHDRAWAL_DAYS = 14


class SubsidyProgrammeRow(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "subsidy_programmes"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    #: co-financing rate in basis points (5000 = 50 %)
    rate_bp: Mapped[int] = mapped_column(Integer)
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date] = mapped_column(Date)  # inclusive
    #: the grant per pupil a computed grant uses (øre)
    per_pupil_ore: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        CheckConstraint("rate_bp > 0 AND rate_bp <= 10000", name="rate_range"),
        CheckConstraint("valid_to >= valid_from", name="period"),
        CheckConstraint("per_pupil_ore >= 0", name="per_pupil_not_negative"),
    )


class MunicipalityGrantRow(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "municipality_grants"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    programme_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("subsidy_programmes.id"), index=True)
    municipality_code: Mapped[str] = mapped_column(ForeignKey("municipalities.code"))
    pupils: Mapped[int | None] = mapped_column(Integer)
    amount_ore: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        UniqueConstraint("programme_id", "municipality_code", name="uq_municipality_grants"),
        CheckConstraint("amount_ore >= 0", name="amount_not_negative"),
    )


class MunicipalitySettingsRow(db.Model):  # type: ignore[name-defined,misc]
    """A municipality's purchasing settings: EAN for invoices, approval limit, withdrawal."""

    __tablename__ = "municipality_purchase_settings"

    municipality_code: Mapped[str] = mapped_column(
        ForeignKey("municipalities.code"), primary_key=True
    )
    ean: Mapped[str | None] = mapped_column(String(13))
    #: requests from this amount (excl. VAT) need the municipal buyer, not the school leader
    buyer_threshold_ore: Mapped[int] = mapped_column(
        BigInteger, default=DEFAULT_BUYER_THRESHOLD_ORE
    )
    withdrawal_days: Mapped[int] = mapped_column(Integer, default=DEFAULT_WITHDRAWAL_DAYS)

    __table_args__ = (
        CheckConstraint("buyer_threshold_ore >= 0", name="threshold_not_negative"),
        CheckConstraint("withdrawal_days >= 0", name="withdrawal_not_negative"),
    )
