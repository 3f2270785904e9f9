"""Tables of the catalogue: products and their listings, revisions, offers, goal tags, assets,
the workflow history, reviews and municipalities' allow/block rules.

A product row holds the listing that is shown now (the draft's while it is unpublished, the
live one once published): its scalar fields as ``listing`` (JSON, the form of
``catalogue.validation.listing_data`` without ``goal_ids`` and ``screenshots``), its goal tags
in ``product_goal_tags`` (foreign keys to ``goals``, so a tag always names a real goal) and its
screenshots in ``product_assets`` (foreign keys to ``assets``). A pending edit of a published
product is a ``product_revisions`` row with the whole listing as JSON; it becomes the product's
listing only when it is published.

Money is integer øre (``BigInteger``: ``catalogue.money.MAX_ORE`` is above 2³¹). Timestamps
are stored with their time zone; SQLite hands them back naive, so readers use ``utc``.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
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

PRODUCT_STATUSES = ("draft", "submitted", "approved", "rejected", "published", "withdrawn")
ASSET_KINDS = ("screenshot", "preview")
REVIEW_STATUSES = ("pending", "approved", "rejected")
RULE_KINDS = ("allow", "block")


def utc(moment: datetime | None) -> datetime | None:
    """A stored timestamp as an aware UTC datetime (SQLite returns it naive)."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class ProductRow(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "products"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    publisher_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("publishers.id"), index=True)
    #: The publisher's own key of the product (bulk import updates in place by it).
    external_id: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20), index=True)
    version: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    #: The listing's other fields (``listing_data`` without goal_ids and screenshots).
    listing: Mapped[dict[str, Any]] = mapped_column(JSON)
    rejection_reason: Mapped[str | None] = mapped_column(Text)
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        UniqueConstraint("publisher_id", "external_id", name="uq_products_publisher_external"),
        CheckConstraint(_in("status", PRODUCT_STATUSES), name="status"),
    )


class ProductRevisionRow(db.Model):  # type: ignore[name-defined,misc]
    """A pending (or merged) edit of a published product, with its own review status."""

    __tablename__ = "product_revisions"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    product_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("products.id", ondelete="CASCADE"), index=True
    )
    version: Mapped[int] = mapped_column(Integer)
    base_version: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20))
    #: The whole listing (``listing_data``), goal ids and screenshots included.
    listing: Mapped[dict[str, Any]] = mapped_column(JSON)
    rejection_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        UniqueConstraint("product_id", "version", name="uq_product_revisions_version"),
        CheckConstraint(_in("status", PRODUCT_STATUSES[:5]), name="status"),
    )


class OfferRow(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "offers"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    product_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("products.id", ondelete="CASCADE"), index=True
    )
    licence_type: Mapped[str] = mapped_column(String(20))
    period: Mapped[str] = mapped_column(String(20))
    price_ore: Mapped[int] = mapped_column(BigInteger)  # excluding VAT
    vat_percent: Mapped[int] = mapped_column(Integer)
    subsidy_eligible: Mapped[bool] = mapped_column(Boolean)
    min_quantity: Mapped[int] = mapped_column(Integer)
    max_quantity: Mapped[int | None] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (CheckConstraint("price_ore >= 0", name="price_not_negative"),)


class ProductGoalTagRow(db.Model):  # type: ignore[name-defined,misc]
    """A goal the product's listing is tagged to (``position``: the listing's order)."""

    __tablename__ = "product_goal_tags"

    product_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("products.id", ondelete="CASCADE"), primary_key=True
    )
    goal_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("goals.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    position: Mapped[int] = mapped_column(Integer)


class AssetRow(db.Model):  # type: ignore[name-defined,misc]
    """An uploaded image, addressed by the SHA-256 of its bytes (files under VAR_DIR/assets)."""

    __tablename__ = "assets"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    media_type: Mapped[str] = mapped_column(String(50))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    size_bytes: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ProductAssetRow(db.Model):  # type: ignore[name-defined,misc]
    """An image of the product's listing: its screenshots in order, with their alt texts."""

    __tablename__ = "product_assets"

    product_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("products.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    sha256: Mapped[str] = mapped_column(ForeignKey("assets.sha256"), index=True)
    alt_text: Mapped[str] = mapped_column(String(300), default="")

    __table_args__ = (
        UniqueConstraint("product_id", "kind", "sha256", name="uq_product_assets_image"),
        CheckConstraint(_in("kind", ASSET_KINDS), name="kind"),
    )


class ProductHistoryRow(db.Model):  # type: ignore[name-defined,misc]
    """One step of the review workflow (``version`` tells a revision's steps from the live)."""

    __tablename__ = "product_history"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    product_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("products.id", ondelete="CASCADE"), index=True
    )
    version: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(20))
    from_status: Mapped[str] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    actor_role: Mapped[str] = mapped_column(String(40))
    actor_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    actor_client_id: Mapped[str | None] = mapped_column(String(200))
    reason: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (Index("ix_product_history_product_at", "product_id", "at"),)


class ReviewRow(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "reviews"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    product_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("products.id", ondelete="CASCADE"), index=True
    )
    author_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    rating: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text, default="")
    #: "It worked for goal X in grade Y" (both or neither).
    goal_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("goals.id", ondelete="SET NULL"))
    grade: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20))
    moderated_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    moderated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        UniqueConstraint("product_id", "author_id", name="uq_reviews_one_per_teacher"),
        CheckConstraint("rating BETWEEN 1 AND 5", name="rating"),
        CheckConstraint(_in("status", REVIEW_STATUSES), name="status"),
    )


class CatalogueRuleRow(db.Model):  # type: ignore[name-defined,misc]
    """A municipality allows or blocks one product or one publisher's products."""

    __tablename__ = "municipality_catalogue_rules"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    municipality_code: Mapped[str] = mapped_column(ForeignKey("municipalities.code"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    product_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("products.id", ondelete="CASCADE")
    )
    publisher_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("publishers.id", ondelete="CASCADE")
    )
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        CheckConstraint(_in("kind", RULE_KINDS), name="kind"),
        CheckConstraint(
            "(product_id IS NULL) <> (publisher_id IS NULL)", name="one_product_or_publisher"
        ),
    )
