"""Request and response schemas of product search (they generate the OpenAPI document)."""

from __future__ import annotations

from apiflask import Schema
from apiflask.fields import UUID, Boolean, Dict, Float, Integer, List, Nested, String
from apiflask.validators import Length, OneOf, Range
from marshmallow import RAISE

from catalogue.money import MAX_ORE
from catalogue.vocabulary import (
    ACCESSIBILITY_FEATURES,
    LANGUAGES,
    LICENCE_TYPES,
    MEDIA_TYPES,
    OFFLINE_CAPABILITIES,
    PLATFORMS,
    PRICE_BANDS,
    SUBJECTS,
)
from server.search.interfaces import FACETS, MAX_LIMIT, MAX_TOTAL_HITS, SORTS
from server.validation import Text

MAX_QUERY_CHARS = 200
MAX_VALUES_PER_FILTER = 30


def _codes(codes: tuple[str, ...] | list[str], description: str) -> List[str]:
    return List(
        String(validate=OneOf(list(codes))),
        validate=Length(max=MAX_VALUES_PER_FILTER),
        metadata={"description": f"{description}; repeat for several (any of them matches)"},
    )


class ProductSearchQuery(Schema):
    class Meta:
        unknown = RAISE  # a misspelt filter is an error, not silently ignored

    q = Text(
        load_default="",
        validate=Length(0, MAX_QUERY_CHARS),
        metadata={
            "description": "Danish text: typos, stems, ae/oe/aa for æ/ø/å and the start of the"
            " last word match (search as you type). At most 10 words are used.",
            "example": "brøkker 5. klasse",
        },
    )
    subject = _codes(SUBJECTS.codes(), "Subject code")
    grade = List(
        Integer(validate=Range(0, 10)),
        validate=Length(max=11),
        metadata={"description": "Grade 0–10 (0 = børnehaveklasse); repeat for several"},
    )
    competence_area = List(
        Text(validate=Length(1, 200)),
        validate=Length(max=MAX_VALUES_PER_FILTER),
        metadata={"description": "Competence area of a tagged goal, e.g. `Tal og algebra`"},
    )
    media_type = _codes(MEDIA_TYPES.codes(), "Media type code")
    platform = _codes(PLATFORMS.codes(), "Platform code")
    language = _codes(LANGUAGES.codes(), "Language (ISO 639-1)")
    accessibility = _codes(ACCESSIBILITY_FEATURES.codes(), "Accessibility feature code")
    licence_type = _codes(LICENCE_TYPES.codes(), "Licence type offered")
    price_band = _codes([b.code for b in PRICE_BANDS], "Price band of the lowest price")
    publisher = List(
        UUID(),
        validate=Length(max=MAX_VALUES_PER_FILTER),
        metadata={"description": "Publisher id; repeat for several"},
    )
    trial = Boolean(metadata={"description": "true: only products with a free trial"})
    offline = _codes(OFFLINE_CAPABILITIES.codes(), "Offline capability")
    goal = UUID(
        metadata={"description": "A learning goal: products tagged to it or any goal below it"}
    )
    min_price_ore = Integer(
        validate=Range(0, MAX_ORE),
        metadata={
            "description": "Lowest price at least this, in øre excl. VAT (14950 = 149,50 kr.)"
        },
    )
    max_price_ore = Integer(
        validate=Range(0, MAX_ORE), metadata={"description": "Lowest price at most this, in øre"}
    )
    sort = String(
        load_default="relevance",
        validate=OneOf(list(SORTS)),
        metadata={"description": "relevance (newest first without text), newest, price, rating"},
    )
    limit = Integer(load_default=20, validate=Range(1, MAX_LIMIT))
    offset = Integer(
        load_default=0,
        validate=Range(0, MAX_TOTAL_HITS - 1),
        metadata={"description": f"Paging stops at {MAX_TOTAL_HITS} hits: the page is cut there"},
    )
    facets = List(
        String(validate=OneOf(list(FACETS))),
        validate=Length(max=len(FACETS)),
        metadata={"description": "Facets to count (default: all); repeat for several"},
    )
    lang = String(
        load_default="da",
        validate=OneOf(["da", "en"]),
        metadata={"description": "Language of facet labels"},
    )


class PublisherRef(Schema):
    id = UUID(required=True)
    name = String(required=True)


class RatingOut(Schema):
    mean = Float(allow_none=True, metadata={"description": "1–5, null without reviews"})
    count = Integer(required=True)


class ProductHit(Schema):
    id = UUID(required=True)
    title = String(required=True)
    title_html = String(
        required=True,
        metadata={"description": "The title as safe HTML: `<mark>` around matched words"},
    )
    description_html = String(
        required=True,
        metadata={"description": "A snippet of the description as safe HTML, with `<mark>`"},
    )
    publisher = Nested(PublisherRef, required=True)
    subjects = List(String(), required=True)
    grades = List(Integer(), required=True)
    languages = List(String(), required=True)
    media_types = List(String(), required=True)
    platforms = List(String(), required=True)
    accessibility = List(String(), required=True)
    licence_types = List(String(), required=True)
    min_price_ore = Integer(
        allow_none=True, metadata={"description": "Lowest offer in øre excl. VAT; null: no offers"}
    )
    min_price = String(
        allow_none=True,
        metadata={
            "description": "The same for display, Danish: `1.234,50 kr.`",
            "example": "149,50 kr.",
        },
    )
    price_band = String(allow_none=True)
    rating = Nested(RatingOut, required=True)
    has_trial = Boolean(required=True)
    offline = String(required=True)
    published_at = String(required=True, metadata={"format": "date-time"})
    score = Float(required=True)


class FacetValue(Schema):
    value = String(required=True)
    label = String(required=True)
    count = Integer(required=True)


class ProductSearchPage(Schema):
    items = List(Nested(ProductHit), required=True)
    total = Integer(
        required=True, metadata={"description": f"Matches (exact up to {MAX_TOTAL_HITS})"}
    )
    facets = Dict(
        keys=String(),
        values=List(Nested(FacetValue)),
        required=True,
        metadata={"description": "Facet → values with counts, most frequent first"},
    )
    limit = Integer(required=True)
    offset = Integer(required=True)
