"""The search port: what the catalogue indexes, what a search asks, what it answers.

Adapters: ``TantivySearchIndex`` (embedded default, ``server/search/tantivy_index.py``) and
``MeilisearchIndex`` (production, ``server/search/meilisearch_index.py``), chosen by
``SEARCH_BACKEND`` in ``server.search.build_search_index``. Both pass
``tests/search/contract.py``.

Semantics every adapter keeps:

* text: Danish, typo tolerant, ae/oe/aa for æ/ø/å, the last word a prefix (search as you
  type) unless ``prefix_last_word`` is off or the text ends with a space; at most 200
  characters and 10 words are used (the rest is ignored, never an error); any input is safe.
* every non-optional word must match (``OPTIONAL_WORDS`` such as "og", "til", "klasse" only
  add to the score); when that finds nothing, products matching any word are returned.
* ``filters``: values OR-ed within a facet, facets AND-ed; ``goal_id`` matches products
  tagged to that goal or any goal below it (``goal_path_ids``); prices are inclusive, in øre.
* ``restriction`` (a municipality's allow/block lists) applies before anything else: with an
  allow list, a product must be allowed by id or by publisher; a block list always wins.
* facet counts are over the products matching the whole query (text, filters, restriction);
  values sorted by count, at most ``MAX_FACET_VALUES`` per facet; booleans are "true"/"false"
  and grades "0".."10".
* ``total`` is exact up to ``MAX_TOTAL_HITS`` and capped there; ``offset + limit`` may not
  exceed it.
* ``sort="relevance"`` with no text lists the newest first; other sorts ignore relevance;
  products without a price (no offers) come last in both price orders, match no price range
  and count under no price band.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any, Final, Literal, Protocol, cast, get_args, runtime_checkable
from uuid import UUID

from server.search.text import clean_query_text

Sort = Literal["relevance", "newest", "price_asc", "price_desc", "rating"]
SORTS: Final[tuple[Sort, ...]] = get_args(Sort)

Facet = Literal[
    "subject",
    "grade",
    "competence_area",
    "media_type",
    "platform",
    "language",
    "accessibility",
    "licence_type",
    "price_band",
    "publisher",
    "trial",
    "offline",
]
FACETS: Final[tuple[Facet, ...]] = get_args(Facet)

# Facet name → the SearchDocument field it counts.
FACET_FIELDS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "subject": "subjects",
        "grade": "grades",
        "competence_area": "competence_areas",
        "media_type": "media_types",
        "platform": "platforms",
        "language": "languages",
        "accessibility": "accessibility",
        "licence_type": "licence_types",
        "price_band": "price_band",
        "publisher": "publisher_id",
        "trial": "has_trial",
        "offline": "offline",
    }
)

OFFLINE_VALUES: Final = ("none", "partial", "full")
MAX_LIMIT: Final = 100
MAX_TOTAL_HITS: Final = 10_000
MAX_FACET_VALUES: Final = 100
MAX_RESTRICTION_IDS: Final = 10_000


class SearchError(Exception):
    """Base of the search port's errors."""


class SearchUnavailable(SearchError):
    """The search engine cannot serve now (down, unreachable, index missing): HTTP 503."""


class InvalidSearchQuery(SearchError, ValueError):
    """The query itself is wrong (unknown facet, limit out of range): HTTP 400."""


class InvalidSearchDocument(SearchError, ValueError):
    """A document does not have the shape of ``SearchDocument``."""


# ---------------------------------------------------------------------------------------
# What is indexed
# ---------------------------------------------------------------------------------------

_STR_LISTS: Final = (
    "subjects",
    "languages",
    "media_types",
    "platforms",
    "accessibility",
    "licence_types",
    "goal_ids",
    "goal_path_ids",
    "goal_texts",
    "competence_areas",
)


@dataclass(frozen=True)
class SearchDocument:
    """One product as the index sees it: ``catalogue.documents.search_document`` builds the
    dict (its ``SEARCH_DOCUMENT_FIELDS`` lists the same fields and types).

    ``from_dict`` takes the flat dict the catalogue produces and checks every field; keys it
    does not know are ignored. ``to_dict`` gives that dict back (lists, not tuples).
    """

    id: str
    title: str
    description: str
    publisher_id: str
    publisher_name: str
    subjects: tuple[str, ...]
    grades: tuple[int, ...]
    languages: tuple[str, ...]
    media_types: tuple[str, ...]
    platforms: tuple[str, ...]
    accessibility: tuple[str, ...]
    licence_types: tuple[str, ...]
    min_price_ore: int | None  # None: no offers yet
    price_band: str | None  # None exactly when min_price_ore is None
    has_trial: bool
    offline: str
    goal_ids: tuple[str, ...]
    goal_path_ids: tuple[str, ...]
    goal_texts: tuple[str, ...]
    competence_areas: tuple[str, ...]
    rating_mean: float | None
    rating_count: int
    published_at: str
    version: int

    def __post_init__(self) -> None:
        try:
            UUID(self.id)
        except (ValueError, TypeError, AttributeError):
            raise InvalidSearchDocument(f"id must be a UUID string, not {self.id!r}") from None
        for name in ("title", "description", "publisher_id", "publisher_name"):
            if not isinstance(getattr(self, name), str):
                raise InvalidSearchDocument(f"{name} must be a string")
        for name in _STR_LISTS:
            value = getattr(self, name)
            if not isinstance(value, tuple) or not all(isinstance(v, str) for v in value):
                raise InvalidSearchDocument(f"{name} must be a list of strings")
        if not all(_is_int(g) and 0 <= g <= 10 for g in self.grades):
            raise InvalidSearchDocument("grades must be whole numbers 0–10")
        if self.min_price_ore is None:
            if self.price_band is not None:
                raise InvalidSearchDocument("price_band must be null when min_price_ore is")
        elif not _is_int(self.min_price_ore) or self.min_price_ore < 0:
            raise InvalidSearchDocument("min_price_ore must be a whole number of øre >= 0")
        elif not isinstance(self.price_band, str) or not self.price_band:
            raise InvalidSearchDocument("price_band must be a band code when there is a price")
        if not isinstance(self.has_trial, bool):
            raise InvalidSearchDocument("has_trial must be true or false")
        if self.offline not in OFFLINE_VALUES:
            raise InvalidSearchDocument(f"offline must be one of {', '.join(OFFLINE_VALUES)}")
        if self.rating_mean is not None and (
            isinstance(self.rating_mean, bool)
            or not isinstance(self.rating_mean, int | float)
            or not math.isfinite(self.rating_mean)
        ):
            raise InvalidSearchDocument("rating_mean must be a number or null")
        if not _is_int(self.rating_count) or self.rating_count < 0:
            raise InvalidSearchDocument("rating_count must be a whole number >= 0")
        if not _is_int(self.version):
            raise InvalidSearchDocument("version must be a whole number")
        self.published_datetime()  # raises when not ISO 8601

    def published_datetime(self) -> datetime:
        """``published_at`` as an aware datetime (a naive one is taken as UTC)."""
        try:
            moment = datetime.fromisoformat(self.published_at)
        except (TypeError, ValueError):
            raise InvalidSearchDocument(
                f"published_at must be an ISO 8601 date-time, not {self.published_at!r}"
            ) from None
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)

    def published_timestamp(self) -> int:
        """Seconds since the epoch (what "newest" sorts on)."""
        return int(self.published_datetime().timestamp())

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SearchDocument:
        names = [f.name for f in fields(cls)]
        missing = [n for n in names if n not in data]
        if missing:
            raise InvalidSearchDocument(f"missing fields: {', '.join(missing)}")
        values: dict[str, Any] = {}
        for name in names:
            value = data[name]
            if name in _STR_LISTS or name == "grades":
                if isinstance(value, str | bytes) or not isinstance(value, Sequence):
                    raise InvalidSearchDocument(f"{name} must be a list")
                value = tuple(value)
            values[name] = value
        return cls(**values)

    def to_dict(self) -> dict[str, Any]:
        return {
            f.name: list(v) if isinstance(v := getattr(self, f.name), tuple) else v
            for f in fields(self)
        }

    def facet_values(self, facet: str) -> tuple[str, ...]:
        """The values this document counts under ``facet``, as facet values are spelt."""
        value = getattr(self, FACET_FIELDS[facet])
        if value is None:
            return ()
        if isinstance(value, bool):
            return ("true" if value else "false",)
        if isinstance(value, tuple):
            return tuple(dict.fromkeys(str(v) for v in value))
        return (str(value),)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


# ---------------------------------------------------------------------------------------
# What a search asks
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CatalogueRestriction:
    """A municipality's allow/block lists, applied to every search of its users.

    ``None`` allow lists mean "no allow list". With either allow list set, a product must be
    in ``allowed_product_ids`` or published by one of ``allowed_publisher_ids``. The block
    lists remove products whatever the allow lists say.
    """

    allowed_product_ids: frozenset[str] | None = None
    allowed_publisher_ids: frozenset[str] | None = None
    blocked_product_ids: frozenset[str] = frozenset()
    blocked_publisher_ids: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        for name in (
            "allowed_product_ids",
            "allowed_publisher_ids",
            "blocked_product_ids",
            "blocked_publisher_ids",
        ):
            value = getattr(self, name)
            if value is None:
                continue
            if isinstance(value, str) or not isinstance(value, Iterable):
                raise InvalidSearchQuery(f"{name} must be a set of ids")
            ids = frozenset(value)
            if not all(isinstance(i, str) and i for i in ids):
                raise InvalidSearchQuery(f"{name} must hold non-empty strings")
            if len(ids) > MAX_RESTRICTION_IDS:
                raise InvalidSearchQuery(f"{name} holds more than {MAX_RESTRICTION_IDS} ids")
            object.__setattr__(self, name, ids)

    @property
    def has_allow_list(self) -> bool:
        return self.allowed_product_ids is not None or self.allowed_publisher_ids is not None

    @property
    def is_unrestricted(self) -> bool:
        return (
            not self.has_allow_list
            and not self.blocked_product_ids
            and not self.blocked_publisher_ids
        )

    def permits(self, product_id: str, publisher_id: str) -> bool:
        """The rule itself, for callers that check one product (detail pages, launches)."""
        if product_id in self.blocked_product_ids or publisher_id in self.blocked_publisher_ids:
            return False
        if not self.has_allow_list:
            return True
        return product_id in (self.allowed_product_ids or ()) or publisher_id in (
            self.allowed_publisher_ids or ()
        )


UNRESTRICTED: Final = CatalogueRestriction()


@dataclass(frozen=True)
class SearchQuery:
    """One search. Construct it from request input; invalid input raises InvalidSearchQuery.

    ``filters`` maps facet names (``FACETS``) to accepted values; grades may be given as
    ints, trial as bools. After construction ``filters`` is a read-only mapping of facet →
    sorted tuple of value strings, and ``text`` is cleaned (``clean_query_text``).
    """

    text: str = ""
    filters: Mapping[str, Sequence[str | int | bool]] = field(default_factory=dict)
    goal_id: str | None = None
    min_price_ore: int | None = None
    max_price_ore: int | None = None
    sort: Sort = "relevance"
    limit: int = 20
    offset: int = 0
    facets: Sequence[str] = ()
    restriction: CatalogueRestriction = UNRESTRICTED
    highlight: bool = True
    prefix_last_word: bool = True

    def __post_init__(self) -> None:
        if not isinstance(self.text, str):
            raise InvalidSearchQuery("text must be a string")
        object.__setattr__(self, "text", clean_query_text(self.text))
        if self.sort not in SORTS:
            raise InvalidSearchQuery(f"sort must be one of {', '.join(SORTS)}")
        if not _is_int(self.limit) or not 1 <= self.limit <= MAX_LIMIT:
            raise InvalidSearchQuery(f"limit must be 1–{MAX_LIMIT}")
        if not _is_int(self.offset) or self.offset < 0:
            raise InvalidSearchQuery("offset must be >= 0")
        if self.offset + self.limit > MAX_TOTAL_HITS:
            raise InvalidSearchQuery(f"offset + limit may not exceed {MAX_TOTAL_HITS}")
        for name in ("min_price_ore", "max_price_ore"):
            value = getattr(self, name)
            if value is not None and (not _is_int(value) or value < 0):
                raise InvalidSearchQuery(f"{name} must be a whole number of øre >= 0")
        if self.goal_id is not None and (not isinstance(self.goal_id, str) or not self.goal_id):
            raise InvalidSearchQuery("goal_id must be a non-empty string")
        if isinstance(self.facets, str) or not all(f in FACETS for f in self.facets):
            raise InvalidSearchQuery(f"facets must be among {', '.join(FACETS)}")
        object.__setattr__(self, "facets", tuple(dict.fromkeys(self.facets)))
        if not isinstance(self.restriction, CatalogueRestriction):
            raise InvalidSearchQuery("restriction must be a CatalogueRestriction")
        object.__setattr__(self, "filters", MappingProxyType(_normalise_filters(self.filters)))

    @property
    def facet_filters(self) -> Mapping[str, tuple[str, ...]]:
        """``filters`` as normalised in ``__post_init__``: facet → sorted value strings."""
        return cast(Mapping[str, tuple[str, ...]], self.filters)

    @property
    def is_empty_text(self) -> bool:
        return not self.text.strip()

    @property
    def effective_sort(self) -> Sort:
        """Relevance without text means newest first."""
        return "newest" if self.sort == "relevance" and self.is_empty_text else self.sort


def _normalise_filters(
    filters: Mapping[str, Sequence[str | int | bool]],
) -> dict[str, tuple[str, ...]]:
    if not isinstance(filters, Mapping):
        raise InvalidSearchQuery("filters must map facet names to lists of values")
    result: dict[str, tuple[str, ...]] = {}
    for facet, raw_values in filters.items():
        if facet not in FACETS:
            raise InvalidSearchQuery(f"unknown facet {facet!r}; facets: {', '.join(FACETS)}")
        if isinstance(raw_values, str | bytes | bool | int) or not isinstance(raw_values, Iterable):
            raise InvalidSearchQuery(f"filter {facet!r} must be a list of values")
        values = {_filter_value(facet, v) for v in raw_values}
        if values:
            result[facet] = tuple(sorted(values))
    return result


def _filter_value(facet: str, value: object) -> str:
    if facet == "grade":
        if _is_int(value) or (isinstance(value, str) and value.isdigit()):
            grade = int(value)  # type: ignore[call-overload]
            if 0 <= grade <= 10:
                return str(grade)
        raise InvalidSearchQuery(f"grade filter values are 0–10, not {value!r}")
    if facet == "trial":
        if isinstance(value, bool):
            return "true" if value else "false"
        if value in ("true", "false"):
            return str(value)
        raise InvalidSearchQuery(f"trial filter values are true/false, not {value!r}")
    if facet == "offline" and value not in OFFLINE_VALUES:
        raise InvalidSearchQuery(f"offline filter values are {', '.join(OFFLINE_VALUES)}")
    if not isinstance(value, str) or not value or len(value) > 200:
        raise InvalidSearchQuery(f"{facet} filter values must be non-empty strings")
    return value


# ---------------------------------------------------------------------------------------
# What a search answers
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SearchHit:
    """One product found. The ``*_html`` snippets are safe HTML: ``<mark>`` around the
    matched words, everything else escaped; ``None`` when highlighting was off."""

    id: str
    score: float
    title_html: str | None = None
    description_html: str | None = None


@dataclass(frozen=True)
class SearchPage:
    hits: tuple[SearchHit, ...]
    total: int
    facets: Mapping[str, Mapping[str, int]]
    offset: int
    limit: int

    @property
    def ids(self) -> list[str]:
        return [hit.id for hit in self.hits]


@dataclass(frozen=True)
class IndexHealth:
    """What ``check()`` reports when the engine is ready."""

    backend: str
    documents: int
    detail: str


# ---------------------------------------------------------------------------------------
# The port
# ---------------------------------------------------------------------------------------


@runtime_checkable
class SearchIndex(Protocol):
    """A product search index. Every method raises SearchUnavailable when the engine is
    down; writes are durable and visible to the next search when they return."""

    backend: str

    def upsert(self, documents: Iterable[SearchDocument]) -> None:
        """Add or replace documents by id (one commit for the batch)."""

    def delete(self, ids: Iterable[str]) -> None:
        """Remove documents by id; unknown ids are ignored."""

    def search(self, query: SearchQuery) -> SearchPage: ...

    def count(self) -> int:
        """Number of documents in the index."""

    def versions(self) -> dict[str, int]:
        """Every indexed id with its document version (for ``skolehylde search check``)."""

    def clear(self) -> None:
        """Remove every document (first step of ``skolehylde search reindex``); also
        recreates a missing index, which is how an embedded index comes back after loss."""

    def check(self) -> IndexHealth:
        """Readiness: returns when the engine can serve, raises SearchUnavailable if not."""
