"""The search document: the one flat, JSON-serialisable dict the search index stores per product.

Both search adapters (tantivy and Meilisearch) index exactly this; ``skolehylde search check``
compares it with what the index holds, so it is deterministic: the same product, offers,
goals and rating always give the same dict (lists in a fixed order, no floats but the
rating mean, rounded).

=================  ==============  ============================================================
field              type            meaning
=================  ==============  ============================================================
id                 str             product UUID (the document's primary key)
title              str             listing title (plain text)
description        str             listing description (plain text, may have line breaks)
publisher_id       str             publisher UUID
publisher_name     str             publisher name (facet "publisher", searchable)
subjects           list[str]       subject codes, listing order (first = main subject)
grades             list[int]       grades 0–10, ascending
languages          list[str]       ISO 639-1 codes, listing order
media_types        list[str]       media-type codes, listing order
platforms          list[str]       platform codes, listing order
accessibility      list[str]       accessibility-feature codes, listing order (may be empty)
licence_types      list[str]       distinct licence types of the offers, vocabulary order
min_price_ore      int | None      lowest offer price in øre excl. VAT; None without offers
price_band         str | None      ``PRICE_BANDS`` code of min_price_ore; None without offers
has_trial          bool            trial_days > 0
offline            str             "none" | "partial" | "full"
goal_ids           list[str]       UUIDs of the goals the product is tagged to, listing order
goal_path_ids      list[str]       those goals and all their ancestors, distinct, sorted —
                                   filter ``goal_path_ids = G`` finds products tagged to G or
                                   to any goal below G
goal_texts         list[str]       full statements of the tagged goals, in goal_ids order
competence_areas   list[str]       distinct competence-area names of the tagged goals, sorted
rating_mean        float | None    mean of approved reviews, rounded half up to 2 decimals;
                                   None without approved reviews
rating_count       int             number of approved reviews
published_at       str             first publication, ISO 8601 in UTC ("…+00:00")
version            int             listing version (for drift checks)
=================  ==============  ============================================================

Labels (Danish/English) are not in the document: facets return codes and the API labels them
from ``catalogue.vocabulary``.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC
from typing import NamedTuple

from catalogue.errors import CatalogueError
from catalogue.model import Offer, Product
from catalogue.reviews import RatingSummary
from catalogue.vocabulary import LICENCE_TYPES, price_band

#: Field name → type, in document order. The contract for the search port.
SEARCH_DOCUMENT_FIELDS: dict[str, str] = {
    "id": "str",
    "title": "str",
    "description": "str",
    "publisher_id": "str",
    "publisher_name": "str",
    "subjects": "list[str]",
    "grades": "list[int]",
    "languages": "list[str]",
    "media_types": "list[str]",
    "platforms": "list[str]",
    "accessibility": "list[str]",
    "licence_types": "list[str]",
    "min_price_ore": "int | None",
    "price_band": "str | None",
    "has_trial": "bool",
    "offline": "str",
    "goal_ids": "list[str]",
    "goal_path_ids": "list[str]",
    "goal_texts": "list[str]",
    "competence_areas": "list[str]",
    "rating_mean": "float | None",
    "rating_count": "int",
    "published_at": "str",
    "version": "int",
}


class TaggedGoal(NamedTuple):
    """A goal a product is tagged to, as the goal store describes it."""

    goal_id: uuid.UUID
    full_statement: str
    ancestor_ids: Sequence[uuid.UUID]  # all ancestors (closure table), the goal itself or not
    competence_area_name: str | None


GoalLike = tuple[uuid.UUID, str, Sequence[uuid.UUID], str | None]


def search_document(
    product: Product,
    offers: Sequence[Offer],
    publisher_name: str,
    goals: Sequence[GoalLike],
    rating: RatingSummary | None,
) -> dict[str, object]:
    """The search document of a published product (see the module docstring for the fields).

    ``offers`` are the product's current offers; ``goals`` describe exactly the goals the
    listing is tagged to (``TaggedGoal`` or plain tuples in that order); ``rating`` is the
    aggregate of approved reviews (``reviews.aggregate``), or None for none.
    Raises ``CatalogueError`` when the product is not published, an offer is another
    product's, or ``goals`` do not match the listing's goal tags.
    """
    if not product.is_listed or product.published_at is None:
        raise CatalogueError(
            f"only a published product is indexed; this one is {product.status}", field="status"
        )
    listing = product.listing
    foreign = [str(offer.id) for offer in offers if offer.product_id != product.id]
    if foreign:
        raise CatalogueError(f"offers of another product: {', '.join(foreign)}", field="offers")
    by_id = {goal[0]: TaggedGoal(*goal) for goal in goals}
    tagged = set(listing.goal_ids)
    if set(by_id) != tagged or len(by_id) != len(goals):
        missing = sorted(str(g) for g in tagged - set(by_id))
        extra = sorted(str(g) for g in set(by_id) - tagged)
        raise CatalogueError(
            "goals must describe exactly the tagged goals, once each"
            + (f"; missing: {', '.join(missing)}" if missing else "")
            + (f"; not tagged: {', '.join(extra)}" if extra else ""),
            field="goals",
        )
    path_ids = set(tagged)
    for goal in by_id.values():
        path_ids.update(goal.ancestor_ids)
    areas = {goal.competence_area_name for goal in by_id.values() if goal.competence_area_name}
    min_price = min((offer.price_ore for offer in offers), default=None)
    count = rating.count if rating else 0
    rounded = rating.mean_rounded(2) if rating else None
    rating_mean = None if rounded is None else float(rounded)
    return {
        "id": str(product.id),
        "title": listing.title,
        "description": listing.description,
        "publisher_id": str(product.publisher_id),
        "publisher_name": publisher_name,
        "subjects": list(listing.subjects),
        "grades": sorted(listing.grades),
        "languages": list(listing.languages),
        "media_types": list(listing.media_types),
        "platforms": list(listing.platforms),
        "accessibility": [str(code) for code in listing.accessibility],
        "licence_types": [
            str(code) for code in LICENCE_TYPES.in_order(offer.licence_type for offer in offers)
        ],
        "min_price_ore": min_price,
        "price_band": None if min_price is None else price_band(min_price).code,
        "has_trial": listing.trial_days > 0,
        "offline": str(listing.offline),
        "goal_ids": [str(goal_id) for goal_id in listing.goal_ids],
        "goal_path_ids": sorted(str(goal_id) for goal_id in path_ids),
        "goal_texts": [by_id[goal_id].full_statement for goal_id in listing.goal_ids],
        "competence_areas": sorted(areas),
        "rating_mean": rating_mean,
        "rating_count": count,
        "published_at": product.published_at.astimezone(UTC).isoformat(),
        "version": product.version,
    }
