"""Production search: Meilisearch through the official ``meilisearch`` client.

The index settings are declared here (``MEILISEARCH_SETTINGS``) and applied by
``apply_settings()`` (``skolehylde search reindex`` calls it through ``clear()``).

Meilisearch has typo tolerance and prefix search but no Danish stemmer, and its normaliser
does not turn ø/å into oe/aa. So each document carries two derived searchable attributes,
``title_terms`` and ``text_terms``: the words folded (æ/ø/å → ae/oe/aa, as
``server.search.text.fold``) plus their Danish Snowball stems, and the query is sent folded.
"brøk", "broek" and "brøkerne" then all reach a product about "brøker". Synonyms add the
ae/oe/aa spellings of common catalogue words for the original ``title``/``description`` (so
they rank and highlight) and a few subject synonyms ("matte" → "matematik").

Optional words ("og", "klasse", digits) are left out of ``q``; every other word must match
(``matchingStrategy: all``); if that finds nothing and there were several words, the search
is repeated with ``matchingStrategy: last`` — the same rule as the embedded adapter.

A municipality's restrictions become a filter on every search, and ``tenant_token()`` bakes
the same filter into a tenant token (searchRules) for clients that query Meilisearch directly.
Client errors are translated: unreachable/timeouts/5xx/auth → SearchUnavailable, a 400 on a
search → InvalidSearchQuery.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from functools import lru_cache
from typing import Any, Final, Protocol

import meilisearch
import snowballstemmer
from meilisearch.errors import (
    MeilisearchApiError,
    MeilisearchCommunicationError,
    MeilisearchError,
    MeilisearchTimeoutError,
)

from server.search.interfaces import (
    FACET_FIELDS,
    MAX_FACET_VALUES,
    MAX_TOTAL_HITS,
    CatalogueRestriction,
    IndexHealth,
    InvalidSearchQuery,
    SearchDocument,
    SearchError,
    SearchHit,
    SearchPage,
    SearchQuery,
    SearchUnavailable,
)
from server.search.text import OPTIONAL_WORDS, fold, query_words

DEFAULT_INDEX_UID: Final = "products"
PRE_TAG: Final = "\ue000"  # private-use characters: survive html.escape, never in real text
POST_TAG: Final = "\ue001"
BATCH_SIZE: Final = 1_000
CROP_WORDS: Final = 30

# Words of the catalogue spelt with æ/ø/å; their ae/oe/aa spellings become synonyms.
DANISH_WORDS: Final = (
    "brøk", "brøker", "brøkerne", "læsning", "læse", "læser", "læsere", "skærm", "færdigheder",
    "fællesnævner", "målinger", "måling", "måle", "gåder", "tænkning", "rækkefølge", "øvelser",
    "øve", "forståelse", "forsøg", "kredsløb", "sætninger", "stavning", "værksted", "digte",
    "grønland", "dansk", "natur", "teknologi", "samfundsfag", "kristendomskundskab", "idræt",
    "håndværk", "billedkunst", "madkundskab", "musik", "tysk", "fransk", "engelsk",
    "matematik", "geografi", "biologi", "fysik", "kemi", "historie", "sprogforståelse",
    "læsehastighed", "ordblinde", "oplæsning", "tekstforståelse", "problemløsning",
    "ræsonnement", "undersøgelse", "fænomener",
)  # fmt: skip
SUBJECT_SYNONYMS: Final[Mapping[str, tuple[str, ...]]] = {
    "matte": ("matematik",),
    "regning": ("matematik",),
    "nt": ("natur", "teknologi"),
    "natekn": ("natur", "teknologi"),
    "kristendom": ("kristendomskundskab",),
    "krist": ("kristendomskundskab",),
    "samfund": ("samfundsfag",),
    "hjemkundskab": ("madkundskab",),
    "gym": ("idraet",),
    "sloejd": ("haandvaerk",),
    "kunst": ("billedkunst",),
    "ordblindhed": ("ordblinde", "dysleksi"),
    "dysleksi": ("ordblinde",),
    "retskrivning": ("stavning",),
    "staveprove": ("stavning",),
}


def _synonyms() -> dict[str, list[str]]:
    result: dict[str, list[str]] = {}
    for word in DANISH_WORDS:
        folded = fold(word)
        if folded != word:
            result.setdefault(folded, []).append(word)
            result.setdefault(word, []).append(folded)
    for word, alternatives in SUBJECT_SYNONYMS.items():
        result.setdefault(word, []).extend(alternatives)
    return {word: sorted(set(alts)) for word, alts in sorted(result.items())}


_FILTERABLE: Final = (
    "id",
    "publisher_id",
    "goal_path_ids",
    "min_price_ore",
    *sorted({field for field in FACET_FIELDS.values() if field != "publisher_id"}),
)

MEILISEARCH_SETTINGS: Final[dict[str, Any]] = {
    # Ranking order of the searchable attributes: title first, then goals, then the rest.
    "searchableAttributes": [
        "title",
        "title_terms",
        "goal_texts",
        "description",
        "competence_areas",
        "text_terms",
        "subjects",
        "publisher_name",
    ],
    "displayedAttributes": ["id", "title", "description", "version"],
    "filterableAttributes": list(_FILTERABLE),
    "sortableAttributes": ["published_ts", "min_price_ore", "rating_mean", "rating_count"],
    # "sort" first: an explicit sort order wins over relevance, as in the embedded adapter.
    "rankingRules": ["sort", "words", "typo", "proximity", "attribute", "exactness"],
    "synonyms": _synonyms(),
    "typoTolerance": {
        "enabled": True,
        "minWordSizeForTypos": {"oneTypo": 5, "twoTypos": 9},
        "disableOnWords": [],
        "disableOnAttributes": [],
    },
    "faceting": {"maxValuesPerFacet": MAX_FACET_VALUES, "sortFacetValuesBy": {"*": "count"}},
    "pagination": {"maxTotalHits": MAX_TOTAL_HITS},
    "localizedAttributes": [
        {
            "attributePatterns": [
                "title",
                "description",
                "goal_texts",
                "competence_areas",
                "title_terms",
                "text_terms",
            ],
            "locales": ["dan"],
        }
    ],
}

_SORTS: Final[Mapping[str, list[str]]] = {
    "newest": ["published_ts:desc"],
    "price_asc": ["min_price_ore:asc"],
    "price_desc": ["min_price_ore:desc"],
    "rating": ["rating_mean:desc", "rating_count:desc"],
}
_FIELD_FACETS: Final = {field: facet for facet, field in FACET_FIELDS.items()}
_SEARCH_ERRORS_4XX: Final = 400
_WORD: Final = re.compile(r"\w+", re.UNICODE)
_STEMMER = snowballstemmer.stemmer("danish")


class MeilisearchIndexClient(Protocol):
    """The part of ``meilisearch.index.Index`` the adapter uses."""

    def search(self, query: str, opt_params: Mapping[str, Any] | None = None) -> Any: ...
    def add_documents(
        self, documents: Sequence[Mapping[str, Any]], primary_key: str | None = None
    ) -> Any: ...
    def delete_documents(self, ids: list[str]) -> Any: ...
    def delete_all_documents(self) -> Any: ...
    def update_settings(self, body: dict[str, Any]) -> Any: ...
    def get_stats(self) -> Any: ...
    def get_documents(self, parameters: dict[str, Any]) -> Any: ...


class MeilisearchClient(Protocol):
    """The part of ``meilisearch.Client`` the adapter uses (tests pass a recording fake)."""

    def index(self, uid: str) -> MeilisearchIndexClient: ...
    def create_index(self, uid: str, options: Mapping[str, Any] | None = None) -> Any: ...
    def wait_for_task(
        self, uid: int, timeout_in_ms: int = ..., interval_in_ms: int = ...
    ) -> Any: ...
    def health(self) -> Any: ...
    def generate_tenant_token(
        self,
        api_key_uid: str,
        search_rules: Mapping[str, Any],
        *,
        expires_at: datetime | None = None,
        api_key: str | None = None,
    ) -> str: ...


# --- filter expressions ----------------------------------------------------------------


def quote(value: str) -> str:
    """A string literal of Meilisearch's filter syntax."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _in(field: str, values: Iterable[str], *, negate: bool = False) -> str:
    listed = ", ".join(quote(v) for v in sorted(values))
    return f"{field} {'NOT IN' if negate else 'IN'} [{listed}]"


def restriction_filter(restriction: CatalogueRestriction) -> str | None:
    """The filter expression of a municipality's allow/block lists (None: unrestricted)."""
    parts: list[str] = []
    if restriction.has_allow_list:
        allowed = [
            _in(field, ids)
            for field, ids in (
                ("id", restriction.allowed_product_ids),
                ("publisher_id", restriction.allowed_publisher_ids),
            )
            if ids
        ]
        parts.append("(" + " OR ".join(allowed) + ")" if allowed else 'id = ""')
    if restriction.blocked_product_ids:
        parts.append(_in("id", restriction.blocked_product_ids, negate=True))
    if restriction.blocked_publisher_ids:
        parts.append(_in("publisher_id", restriction.blocked_publisher_ids, negate=True))
    return " AND ".join(parts) or None


def search_filter(query: SearchQuery) -> str | None:
    """The whole filter of a query: facet filters, goal subtree, price, restriction."""
    parts: list[str] = []
    for facet, values in query.facet_filters.items():
        field = FACET_FIELDS[facet]
        if facet == "grade":
            parts.append(f"{field} IN [{', '.join(values)}]")
        elif facet == "trial":
            parts.append(f"{field} IN [{', '.join(values)}]")  # true / false, unquoted
        else:
            parts.append(_in(field, values))
    if query.goal_id is not None:
        parts.append(f"goal_path_ids = {quote(query.goal_id)}")
    if query.min_price_ore is not None:
        parts.append(f"min_price_ore >= {query.min_price_ore}")
    if query.max_price_ore is not None:
        parts.append(f"min_price_ore <= {query.max_price_ore}")
    restricted = restriction_filter(query.restriction)
    if restricted:
        parts.append(restricted if len(parts) == 0 else f"({restricted})")
    return " AND ".join(parts) or None


@lru_cache(maxsize=65536)
def _stem(folded_word: str) -> str:
    return str(_STEMMER.stemWord(folded_word))


def search_terms(text: str) -> str:
    """Folded words and their stems, for the derived ``*_terms`` attributes."""
    words = [w for w in _WORD.findall(fold(text.replace(PRE_TAG, "").replace(POST_TAG, "")))]
    terms = dict.fromkeys(words)
    terms.update(dict.fromkeys(_stem(w) for w in words))
    return " ".join(terms)


def to_meilisearch_document(doc: SearchDocument) -> dict[str, Any]:
    body = "\n".join([doc.description, *doc.goal_texts, *doc.competence_areas, doc.publisher_name])
    data = doc.to_dict()
    for name in ("title", "description"):  # the highlight sentinels must not occur in text
        data[name] = data[name].replace(PRE_TAG, "").replace(POST_TAG, "")
    data["published_ts"] = doc.published_timestamp()
    data["title_terms"] = search_terms(doc.title)
    data["text_terms"] = search_terms(body)
    return data


def search_params(
    query: SearchQuery, *, matching_strategy: str = "all"
) -> tuple[str, dict[str, Any]]:
    """``(q, opt_params)`` for ``Index.search``."""
    words = query_words(query.text)
    required = [w for w in words if w not in OPTIONAL_WORDS and not w.isdigit()] or words
    q = " ".join(required)
    if q and (not query.prefix_last_word or query.text.endswith(" ")):
        q += " "  # Meilisearch: a word followed by a space is not a prefix
    params: dict[str, Any] = {"matchingStrategy": matching_strategy, "showRankingScore": True}
    if query.offset % query.limit == 0:
        params["hitsPerPage"] = query.limit  # page/hitsPerPage: exact totalHits
        params["page"] = query.offset // query.limit + 1
    else:
        params["limit"] = query.limit
        params["offset"] = query.offset
    expression = search_filter(query)
    if expression:
        params["filter"] = expression
    if query.facets:
        params["facets"] = [FACET_FIELDS[f] for f in query.facets]
    sort = query.effective_sort
    if sort != "relevance":
        params["sort"] = list(_SORTS[sort])
    if query.highlight:
        params["attributesToRetrieve"] = ["id", "title", "description"]
        params["attributesToHighlight"] = ["title", "description"]
        params["highlightPreTag"] = PRE_TAG
        params["highlightPostTag"] = POST_TAG
        params["attributesToCrop"] = ["description"]
        params["cropLength"] = CROP_WORDS
        params["cropMarker"] = "…"
    else:
        params["attributesToRetrieve"] = ["id"]
    return q, params


def highlighted_html(formatted: str) -> str:
    """Meilisearch's formatted text (sentinel tags) as safe HTML with ``<mark>``."""
    escaped = html.escape(formatted)
    return escaped.replace(PRE_TAG, "<mark>").replace(POST_TAG, "</mark>")


def _total(response: Mapping[str, Any]) -> int:
    return int(response.get("totalHits", response.get("estimatedTotalHits", 0)))


def page_from_response(query: SearchQuery, response: Mapping[str, Any]) -> SearchPage:
    hits: list[SearchHit] = []
    for hit in response.get("hits", []):
        formatted = hit.get("_formatted") or {}
        hits.append(
            SearchHit(
                id=str(hit["id"]),
                score=float(hit.get("_rankingScore", 0.0)),
                title_html=highlighted_html(str(formatted.get("title", hit.get("title", ""))))
                if query.highlight
                else None,
                description_html=highlighted_html(
                    str(formatted.get("description", hit.get("description", "")))
                )
                if query.highlight
                else None,
            )
        )
    total = _total(response)
    distribution = response.get("facetDistribution") or {}
    facets: dict[str, dict[str, int]] = {}
    for facet in query.facets:
        counts = distribution.get(FACET_FIELDS[facet]) or {}
        ordered = sorted(counts.items(), key=lambda item: (-int(item[1]), str(item[0])))
        facets[facet] = {str(value): int(count) for value, count in ordered}
    return SearchPage(
        tuple(hits), min(int(total), MAX_TOTAL_HITS), facets, query.offset, query.limit
    )


# --- the adapter ------------------------------------------------------------------------


def translate(error: MeilisearchError, *, during_search: bool = False) -> SearchError:
    """A client error as the port's error."""
    if isinstance(error, MeilisearchTimeoutError):
        return SearchUnavailable(f"Meilisearch timed out: {error.message}")
    if isinstance(error, MeilisearchCommunicationError):
        return SearchUnavailable(f"Meilisearch is unreachable: {error.message}")
    if isinstance(error, MeilisearchApiError):
        status = int(error.status_code)
        if status in (401, 403):
            return SearchUnavailable(f"Meilisearch refused the API key ({error.code})")
        if during_search and status == _SEARCH_ERRORS_4XX:
            return InvalidSearchQuery(f"Meilisearch rejected the search: {error.message}")
        return SearchUnavailable(f"Meilisearch error {status} ({error.code}): {error.message}")
    return SearchUnavailable(f"Meilisearch error: {error}")


class MeilisearchIndex:
    """The production ``SearchIndex``; the client is a collaborator (``meilisearch.Client``)."""

    backend = "meilisearch"

    def __init__(
        self,
        client: MeilisearchClient,
        index_uid: str = DEFAULT_INDEX_UID,
        *,
        task_timeout_ms: int = 30_000,
    ) -> None:
        self._client = client
        self._uid = index_uid
        self._task_timeout_ms = task_timeout_ms

    @classmethod
    def from_url(
        cls,
        url: str,
        api_key: str | None = None,
        index_uid: str = DEFAULT_INDEX_UID,
        *,
        timeout_s: int = 5,
    ) -> MeilisearchIndex:
        return cls(meilisearch.Client(url, api_key, timeout=timeout_s), index_uid)

    @property
    def index_uid(self) -> str:
        return self._uid

    @contextmanager
    def _translated(self, *, during_search: bool = False) -> Iterator[None]:
        try:
            yield
        except MeilisearchError as error:
            raise translate(error, during_search=during_search) from error

    def _index(self) -> MeilisearchIndexClient:
        return self._client.index(self._uid)

    def _wait(self, task_info: Any, *, accept: Callable[[Any], bool] | None = None) -> None:
        task = self._client.wait_for_task(task_info.task_uid, timeout_in_ms=self._task_timeout_ms)
        if task.status != "succeeded" and not (accept and accept(task)):
            raise SearchUnavailable(
                f"Meilisearch task {task_info.task_uid} {task.status}: {task.error}"
            )

    # --- settings and tenant tokens ----------------------------------------------------

    def apply_settings(self) -> None:
        """Create the index (primary key ``id``) if needed and apply MEILISEARCH_SETTINGS."""
        with self._translated():
            created = self._client.create_index(self._uid, {"primaryKey": "id"})
            self._wait(
                created,
                accept=lambda task: (task.error or {}).get("code") == "index_already_exists",
            )
            self._wait(self._index().update_settings(dict(MEILISEARCH_SETTINGS)))

    def tenant_token(
        self,
        api_key_uid: str,
        api_key: str,
        restriction: CatalogueRestriction,
        expires_at: datetime,
    ) -> str:
        """A tenant token that can search only what ``restriction`` allows, until expiry."""
        if expires_at.tzinfo is None:
            raise ValueError("expires_at must be timezone-aware (UTC)")
        expression = restriction_filter(restriction)
        rules: dict[str, Any] = {self._uid: {"filter": expression} if expression else {}}
        with self._translated():
            return self._client.generate_tenant_token(
                api_key_uid, rules, expires_at=expires_at, api_key=api_key
            )

    # --- the port -----------------------------------------------------------------------

    def upsert(self, documents: Iterable[SearchDocument]) -> None:
        batch = list({doc.id: to_meilisearch_document(doc) for doc in documents}.values())
        with self._translated():
            for start in range(0, len(batch), BATCH_SIZE):
                chunk = batch[start : start + BATCH_SIZE]
                self._wait(self._index().add_documents(chunk, primary_key="id"))

    def delete(self, ids: Iterable[str]) -> None:
        unique = sorted(set(ids))
        with self._translated():
            for start in range(0, len(unique), BATCH_SIZE):
                self._wait(self._index().delete_documents(unique[start : start + BATCH_SIZE]))

    def search(self, query: SearchQuery) -> SearchPage:
        q, params = search_params(query)
        with self._translated(during_search=True):
            response = self._index().search(q, params)
            if _total(response) == 0 and len(q.split()) > 1:  # no product has every word
                q, params = search_params(query, matching_strategy="last")
                response = self._index().search(q, params)
        return page_from_response(query, response)

    def count(self) -> int:
        with self._translated():
            return int(self._index().get_stats().number_of_documents)

    def versions(self) -> dict[str, int]:
        result: dict[str, int] = {}
        offset = 0
        with self._translated():
            while True:
                page = self._index().get_documents(
                    {"fields": ["id", "version"], "limit": BATCH_SIZE, "offset": offset}
                )
                for document in page.results:
                    values = dict(document)
                    result[str(values["id"])] = int(values["version"])
                offset += BATCH_SIZE
                if offset >= int(page.total) or not page.results:
                    return result

    def clear(self) -> None:
        self.apply_settings()
        with self._translated():
            self._wait(self._index().delete_all_documents())

    def check(self) -> IndexHealth:
        with self._translated():
            health = self._client.health()
            if (health or {}).get("status") != "available":
                raise SearchUnavailable(f"Meilisearch is not available: {health}")
            documents = int(self._index().get_stats().number_of_documents)
        return IndexHealth(self.backend, documents, f"Meilisearch index {self._uid!r}")
