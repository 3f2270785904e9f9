"""Product search over HTTP: ``GET /api/v1/products``.

Public (the catalogue is public), but a signed-in user's municipality rules (allow/block
lists) apply to what they find, so the bearer token is optional. The index being down is a
503 with ``{"error": {"code": "search_unavailable", …}}`` and ``Retry-After``, never a 500.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

from apiflask import APIBlueprint
from marshmallow import RAISE

from catalogue.money import format_dkk
from catalogue.vocabulary import (
    ACCESSIBILITY_FEATURES,
    LANGUAGES,
    LICENCE_TYPES,
    MEDIA_TYPES,
    OFFLINE_CAPABILITIES,
    PLATFORMS,
    PRICE_BANDS,
    SUBJECTS,
    Vocabulary,
)
from server.errors import ApiError
from server.extensions import db
from server.identity.current import current_principal, require_principal
from server.oauth.resource import BEARER_SCHEME, bearer_token_from_request
from server.search import service
from server.search.interfaces import SearchHit, SearchUnavailable
from server.search.schemas import ProductSearchPage, ProductSearchQuery

bp = APIBlueprint("search", __name__, url_prefix="/api/v1", tag="Catalogue search")

RETRY_AFTER_SECONDS = 5


class SearchUnavailableError(ApiError):
    status_code = 503
    code = "search_unavailable"


_VOCABULARIES: dict[str, Vocabulary] = {
    "subject": SUBJECTS,
    "media_type": MEDIA_TYPES,
    "platform": PLATFORMS,
    "language": LANGUAGES,
    "accessibility": ACCESSIBILITY_FEATURES,
    "licence_type": LICENCE_TYPES,
    "offline": OFFLINE_CAPABILITIES,
}
_BANDS = {band.code: band for band in PRICE_BANDS}
_TRIAL = {
    "true": {"da": "Gratis prøveperiode", "en": "Free trial"},
    "false": {"da": "Ingen prøveperiode", "en": "No trial"},
}


@bp.get("/products")
@bp.input(ProductSearchQuery, location="query", arg_name="params", unknown=RAISE)
@bp.output(ProductSearchPage)
@bp.doc(
    # Anonymous or signed in: a token only narrows the results to the municipality's rules.
    security=[{}, {BEARER_SCHEME: []}],
    responses={503: "The search index is down; try again (`Retry-After`)"},
)
def search_products(params: dict[str, Any]) -> dict[str, Any]:
    """Search products

    Danish text with typo tolerance, stems and search-as-you-type; filters for every facet
    (values within a facet: any; facets: all), `goal` for a learning goal and everything
    below it, prices in øre excl. VAT. Facets come with counts over the whole result. Signed
    in, the municipality's allow/block lists apply; a token that is not valid (expired) is a
    401 rather than a silently unrestricted search.
    """
    session = db.session()
    principal = current_principal()
    if principal is None and bearer_token_from_request() is not None:
        require_principal()  # a token that is expired or unknown: 401, so the app renews it
    try:
        result = service.search_products(session, principal, params)
    except SearchUnavailable:
        error = SearchUnavailableError(
            "Search is unavailable right now; please try again shortly.",
            details={"retry_after_seconds": RETRY_AFTER_SECONDS},
        )
        error.headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
        raise error from None
    lang = params.get("lang", "da")
    page = result.page
    return {
        "items": [
            _item(hit, result.documents[hit.id])
            for hit in page.hits
            if hit.id in result.documents  # written to the index but not (yet) recorded
        ],
        "total": page.total,
        "facets": {
            facet: [
                {
                    "value": value,
                    "label": _label(facet, value, lang, result.publisher_names),
                    "count": n,
                }
                for value, n in counts.items()
            ]
            for facet, counts in page.facets.items()
        },
        "limit": page.limit,
        "offset": page.offset,
    }


def _item(hit: SearchHit, doc: Mapping[str, Any]) -> dict[str, Any]:
    price = doc["min_price_ore"]
    return {
        "id": doc["id"],
        "title": doc["title"],
        "title_html": hit.title_html or "",
        "description_html": hit.description_html or "",
        "publisher": {"id": doc["publisher_id"], "name": doc["publisher_name"]},
        "subjects": doc["subjects"],
        "grades": doc["grades"],
        "languages": doc["languages"],
        "media_types": doc["media_types"],
        "platforms": doc["platforms"],
        "accessibility": doc["accessibility"],
        "licence_types": doc["licence_types"],
        "min_price_ore": price,
        "min_price": None if price is None else _kroner(price),
        "price_band": doc["price_band"],
        "rating": {"mean": doc["rating_mean"], "count": doc["rating_count"]},
        "has_trial": doc["has_trial"],
        "offline": doc["offline"],
        "published_at": doc["published_at"],
        "score": hit.score,
    }


@functools.lru_cache(maxsize=4096)
def _kroner(ore: int) -> str:
    """``format_dkk`` (Babel, ~70 µs a call) once per distinct price: prices repeat a lot."""
    return format_dkk(ore)


def _label(facet: str, value: str, lang: str, publishers: Mapping[str, str]) -> str:
    vocabulary = _VOCABULARIES.get(facet)
    if vocabulary is not None:
        return vocabulary.label(value, lang) if value in vocabulary else value
    if facet == "grade":
        if value == "0":
            return "Børnehaveklasse" if lang == "da" else "Kindergarten class"
        return f"{value}. klasse" if lang == "da" else f"Grade {value}"
    if facet == "price_band":
        band = _BANDS.get(value)
        return band.label(lang) if band else value
    if facet == "publisher":
        return publishers.get(value, value)
    if facet == "trial":
        return _TRIAL.get(value, {}).get(lang, value)
    return value  # competence areas are their own names
