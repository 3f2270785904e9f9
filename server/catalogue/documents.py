"""Search documents of published products, read from the database in batches.

``documents_for`` is what the search outbox and ``skolehylde search reindex`` call: for the
given product ids, the ``catalogue.documents.search_document`` dict of each one that is
published now. Ids of products that are not published (drafts, withdrawn, deleted) are left
out, so the caller removes them from the index.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalogue.documents import search_document
from catalogue.model import ProductStatus
from server.catalogue import queries
from server.catalogue.models import ProductRow
from server.organisations.models import PublisherRow


def documents_for(session: Session, product_ids: Iterable[uuid.UUID]) -> list[dict[str, object]]:
    """The search documents of those of ``product_ids`` that are published, in id order."""
    ids = sorted(set(product_ids))
    documents: list[dict[str, object]] = []
    for part in queries.chunks(ids):
        rows = list(
            session.scalars(
                select(ProductRow)
                .where(ProductRow.id.in_(part), ProductRow.status == ProductStatus.PUBLISHED.value)
                .order_by(ProductRow.id)
            )
        )
        if not rows:
            continue
        row_ids = [row.id for row in rows]
        listings = queries.listings(session, rows)
        offers = queries.offers_of(session, row_ids)
        ratings = queries.rating_summaries(session, row_ids)
        goals = queries.tagged_goals(
            session, (goal_id for listing in listings.values() for goal_id in listing.goal_ids)
        )
        publisher_names: dict[uuid.UUID, str] = {
            publisher_id: name
            for publisher_id, name in session.execute(
                select(PublisherRow.id, PublisherRow.name).where(
                    PublisherRow.id.in_({row.publisher_id for row in rows})
                )
            )
        }
        for row in rows:
            listing = listings[row.id]
            documents.append(
                search_document(
                    queries.product_from_row(row, listing),
                    [queries.offer_from_row(offer) for offer in offers.get(row.id, [])],
                    publisher_names[row.publisher_id],
                    [goals[goal_id] for goal_id in listing.goal_ids if goal_id in goals],
                    ratings.get(row.id),
                )
            )
    return documents


def published_product_ids(session: Session) -> list[uuid.UUID]:
    """Every published product's id (for a full reindex or a drift check)."""
    return list(
        session.scalars(
            select(ProductRow.id)
            .where(ProductRow.status == ProductStatus.PUBLISHED.value)
            .order_by(ProductRow.id)
        )
    )
