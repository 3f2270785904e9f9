"""Reads of the catalogue: rows → domain values (``catalogue.model``), goal lookups, ratings,
a municipality's rules (``server.search.service`` makes the search restriction of them).
No authorization here: the operations decide who may read."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, TypeVar

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from catalogue.documents import TaggedGoal
from catalogue.model import Listing, Offer, Product, ProductStatus, Revision
from catalogue.reviews import RatingSummary
from catalogue.validation import UnknownGoalIds, listing_data, validate_product
from catalogue.vocabulary import LicenceType, Period
from learning_goals.model import GoalKind
from server.catalogue.models import (
    AssetRow,
    CatalogueRuleRow,
    OfferRow,
    ProductAssetRow,
    ProductGoalTagRow,
    ProductRevisionRow,
    ProductRow,
    ReviewRow,
    utc,
)
from server.goals.models import GoalClosureRow, GoalRow

#: Listing fields kept in their own tables rather than in ``products.listing``.
TABLE_FIELDS = ("goal_ids", "screenshots")
CHUNK = 500
T = TypeVar("T")


def chunks(items: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _no_goal_check(ids: set[uuid.UUID]) -> set[uuid.UUID]:
    return set()


def listing_from_data(data: dict[str, Any]) -> Listing:
    """A stored listing (validated when it was written) back as a ``Listing``."""
    return validate_product(data, unknown_goal_ids=_no_goal_check)


def unknown_goal_ids(session: Session) -> UnknownGoalIds:
    """The goal check ``validate_product`` asks: which of these ids name no stored goal."""

    def unknown(ids: set[uuid.UUID]) -> set[uuid.UUID]:
        known: set[uuid.UUID] = set()
        for part in chunks(sorted(ids)):
            known.update(session.scalars(select(GoalRow.id).where(GoalRow.id.in_(part))))
        return set(ids) - known

    return unknown


# -- products -------------------------------------------------------------------------------


def _table_fields(
    session: Session, product_ids: Sequence[uuid.UUID]
) -> tuple[dict[uuid.UUID, list[str]], dict[uuid.UUID, list[dict[str, Any]]]]:
    goals: dict[uuid.UUID, list[str]] = defaultdict(list)
    shots: dict[uuid.UUID, list[dict[str, Any]]] = defaultdict(list)
    for part in chunks(product_ids):
        for tag in session.scalars(
            select(ProductGoalTagRow)
            .where(ProductGoalTagRow.product_id.in_(part))
            .order_by(ProductGoalTagRow.product_id, ProductGoalTagRow.position)
        ):
            goals[tag.product_id].append(str(tag.goal_id))
        rows = session.execute(
            select(ProductAssetRow, AssetRow)
            .join(AssetRow, AssetRow.sha256 == ProductAssetRow.sha256)
            .where(ProductAssetRow.product_id.in_(part), ProductAssetRow.kind == "screenshot")
            .order_by(ProductAssetRow.product_id, ProductAssetRow.position)
        )
        for link, asset in rows:
            shots[link.product_id].append(
                {
                    "sha256": asset.sha256,
                    "media_type": asset.media_type,
                    "width": asset.width,
                    "height": asset.height,
                    "alt_text": link.alt_text,
                }
            )
    return goals, shots


def listings(session: Session, rows: Sequence[ProductRow]) -> dict[uuid.UUID, Listing]:
    """The current listing of each product row (its JSON plus goal tags and screenshots)."""
    goals, shots = _table_fields(session, [row.id for row in rows])
    return {
        row.id: listing_from_data(
            {**row.listing, "goal_ids": goals.get(row.id, []), "screenshots": shots.get(row.id, [])}
        )
        for row in rows
    }


def product_from_row(row: ProductRow, listing: Listing) -> Product:
    created, updated = utc(row.created_at), utc(row.updated_at)
    assert created is not None and updated is not None  # noqa: S101 - NOT NULL columns
    return Product(
        id=row.id,
        publisher_id=row.publisher_id,
        listing=listing,
        status=ProductStatus(row.status),
        version=row.version,
        created_at=created,
        updated_at=updated,
        published_at=utc(row.published_at),
        rejection_reason=row.rejection_reason,
    )


def product_of(session: Session, row: ProductRow) -> Product:
    return product_from_row(row, listings(session, [row])[row.id])


def listing_columns(listing: Listing) -> tuple[str, dict[str, Any]]:
    """What ``products`` stores of a listing itself: the title and the JSON of the rest."""
    data = listing_data(listing)
    for name in TABLE_FIELDS:
        data.pop(name)
    return listing.title, data


def revision_from_row(row: ProductRevisionRow) -> Revision:
    created, updated = utc(row.created_at), utc(row.updated_at)
    assert created is not None and updated is not None  # noqa: S101
    return Revision(
        product_id=row.product_id,
        version=row.version,
        base_version=row.base_version,
        listing=listing_from_data(row.listing),
        status=ProductStatus(row.status),
        created_at=created,
        updated_at=updated,
        rejection_reason=row.rejection_reason,
    )


def open_revision(session: Session, product_id: uuid.UUID) -> ProductRevisionRow | None:
    """The product's revision that is not published yet (there is at most one)."""
    return session.scalar(
        select(ProductRevisionRow)
        .where(
            ProductRevisionRow.product_id == product_id,
            ProductRevisionRow.status != ProductStatus.PUBLISHED.value,
        )
        .order_by(ProductRevisionRow.version.desc())
        .limit(1)
    )


# -- offers ---------------------------------------------------------------------------------


def offer_from_row(row: OfferRow) -> Offer:
    return Offer(
        id=row.id,
        product_id=row.product_id,
        licence_type=LicenceType(row.licence_type),
        period=Period(row.period),
        price_ore=int(row.price_ore),
        subsidy_eligible=row.subsidy_eligible,
        min_quantity=row.min_quantity,
        max_quantity=row.max_quantity,
        vat_percent=row.vat_percent,
    )


def offers_of(
    session: Session, product_ids: Sequence[uuid.UUID], *, active_only: bool = True
) -> dict[uuid.UUID, list[OfferRow]]:
    found: dict[uuid.UUID, list[OfferRow]] = defaultdict(list)
    for part in chunks(product_ids):
        query = select(OfferRow).where(OfferRow.product_id.in_(part))
        if active_only:
            query = query.where(OfferRow.active)
        for row in session.scalars(
            query.order_by(OfferRow.product_id, OfferRow.price_ore, OfferRow.created_at)
        ):
            found[row.product_id].append(row)
    return found


# -- goals ----------------------------------------------------------------------------------


def tagged_goals(session: Session, goal_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, TaggedGoal]:
    """Each goal with its statement, all its ancestors (closure table) and the name of its
    competence area (the goal itself or an ancestor of kind competence_area)."""
    ids = sorted(set(goal_ids))
    statements: dict[uuid.UUID, str] = {}
    ancestors: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
    areas: dict[uuid.UUID, str] = {}
    for part in chunks(ids):
        for goal_id, statement in session.execute(
            select(GoalRow.id, GoalRow.full_statement).where(GoalRow.id.in_(part))
        ):
            statements[goal_id] = statement
        rows = session.execute(
            select(
                GoalClosureRow.descendant_id,
                GoalClosureRow.ancestor_id,
                GoalClosureRow.depth,
                GoalRow.kind,
                GoalRow.full_statement,
            )
            .join(GoalRow, GoalRow.id == GoalClosureRow.ancestor_id)
            .where(GoalClosureRow.descendant_id.in_(part))
            .order_by(GoalClosureRow.descendant_id, GoalClosureRow.depth)
        )
        for descendant, ancestor, depth, kind, statement in rows:
            if depth > 0:
                ancestors[descendant].append(ancestor)
            if kind == GoalKind.COMPETENCE_AREA.value and descendant not in areas:
                areas[descendant] = statement  # the nearest one (rows are by depth)
    return {
        goal_id: TaggedGoal(goal_id, statements[goal_id], ancestors[goal_id], areas.get(goal_id))
        for goal_id in ids
        if goal_id in statements
    }


def goal_rows(session: Session, goal_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, GoalRow]:
    found: dict[uuid.UUID, GoalRow] = {}
    for part in chunks(list(goal_ids)):
        found.update(
            {row.id: row for row in session.scalars(select(GoalRow).where(GoalRow.id.in_(part)))}
        )
    return found


# -- reviews --------------------------------------------------------------------------------


def rating_summaries(
    session: Session, product_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, RatingSummary]:
    """The aggregate of each product's APPROVED reviews (products without any are left out)."""
    histograms: dict[uuid.UUID, list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0])
    for part in chunks(product_ids):
        rows = session.execute(
            select(ReviewRow.product_id, ReviewRow.rating, func.count())
            .where(ReviewRow.product_id.in_(part), ReviewRow.status == "approved")
            .group_by(ReviewRow.product_id, ReviewRow.rating)
        )
        for product_id, rating, count in rows:
            histograms[product_id][rating - 1] += count
    summaries = {}
    for product_id, h in histograms.items():
        summaries[product_id] = RatingSummary(
            count=sum(h),
            total=sum(rating * n for rating, n in enumerate(h, start=1)),
            histogram=(h[0], h[1], h[2], h[3], h[4]),
        )
    return summaries


# -- municipalities' rules ------------------------------------------------------------------


def catalogue_rules(session: Session, municipality_code: str) -> list[CatalogueRuleRow]:
    return list(
        session.scalars(
            select(CatalogueRuleRow)
            .where(CatalogueRuleRow.municipality_code == municipality_code)
            .order_by(CatalogueRuleRow.kind, CatalogueRuleRow.created_at, CatalogueRuleRow.id)
        )
    )
