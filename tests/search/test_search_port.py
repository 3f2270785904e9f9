"""The port's own rules: query validation, document shape, restriction semantics, text helpers
and the adapter factory."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from search_products import DOCUMENTS, document_dict
from search_products import SPECS as PRODUCT_SPECS

from server.config import ConfigurationError
from server.search import build_search_index
from server.search.interfaces import (
    FACETS,
    CatalogueRestriction,
    InvalidSearchDocument,
    InvalidSearchQuery,
    SearchDocument,
    SearchIndex,
    SearchQuery,
)
from server.search.meilisearch_index import MeilisearchIndex
from server.search.tantivy_index import TantivySearchIndex
from server.search.text import Highlighter, QueryWord, clean_query_text, fold, within_edits


def test_facets_are_the_twelve_of_the_issue() -> None:
    assert FACETS == (
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
    )


@pytest.mark.parametrize(
    "options",
    [
        {"limit": 0},
        {"limit": 101},
        {"offset": -1},
        {"offset": 9_990, "limit": 20},
        {"sort": "cheapest"},
        {"facets": ["colour"]},
        {"facets": "subject"},
        {"filters": {"colour": ["red"]}},
        {"filters": {"grade": [11]}},
        {"filters": {"grade": ["5a"]}},
        {"filters": {"trial": ["yes"]}},
        {"filters": {"offline": ["sometimes"]}},
        {"filters": {"subject": "matematik"}},
        {"filters": {"subject": [""]}},
        {"min_price_ore": -1},
        {"max_price_ore": 1.5},
        {"goal_id": ""},
        {"text": None},
    ],
)
def test_invalid_queries_are_rejected(options: dict[str, Any]) -> None:
    with pytest.raises(InvalidSearchQuery):
        SearchQuery(**options)


def test_query_normalises_filters_and_text() -> None:
    query = SearchQuery(
        "  brøker   5. klasse ",
        filters={"grade": [5, "4", 5], "trial": [True], "subject": []},
        facets=["grade", "grade"],
    )
    assert query.text == "brøker 5. klasse "
    assert dict(query.facet_filters) == {"grade": ("4", "5"), "trial": ("true",)}
    assert query.facets == ("grade",)
    assert SearchQuery("x" * 300).text == "x" * 200
    assert SearchQuery(" ".join(f"w{n}" for n in range(50))).text == " ".join(
        f"w{n}" for n in range(10)
    )
    assert SearchQuery().effective_sort == "newest"
    assert SearchQuery("tal").effective_sort == "relevance"
    assert clean_query_text("a " * 20) == " ".join(["a"] * 10)


def test_document_round_trip_and_errors() -> None:
    data = document_dict(PRODUCT_SPECS[0], 0)
    doc = SearchDocument.from_dict({**data, "unknown_extra": 1})
    assert doc.to_dict() == data
    assert doc.facet_values("trial") == ("true",)
    assert doc.facet_values("grade") == ("4",)
    for broken in (
        {k: v for k, v in data.items() if k != "goal_path_ids"},
        {**data, "id": "not-a-uuid"},
        {**data, "grades": [11]},
        {**data, "grades": "4"},
        {**data, "offline": "sometimes"},
        {**data, "has_trial": "yes"},
        {**data, "min_price_ore": 9.5},
        {**data, "rating_mean": float("nan")},
        {**data, "published_at": "yesterday"},
        {**data, "subjects": [1]},
    ):
        with pytest.raises(InvalidSearchDocument):
            SearchDocument.from_dict(broken)
    naive = SearchDocument.from_dict({**data, "published_at": "2024-01-01T08:00:00"})
    assert naive.published_timestamp() == doc.published_timestamp()


def test_the_catalogue_builds_the_same_document() -> None:
    from dataclasses import fields

    from catalogue.documents import SEARCH_DOCUMENT_FIELDS

    ours = {
        f.name: str(f.type).replace("tuple[", "list[").replace(", ...]", "]")
        for f in fields(SearchDocument)
    }
    assert ours == SEARCH_DOCUMENT_FIELDS


def test_a_document_without_offers() -> None:
    data = {**document_dict(PRODUCT_SPECS[0], 0), "min_price_ore": None, "price_band": None}
    doc = SearchDocument.from_dict(data)
    assert doc.facet_values("price_band") == ()
    with pytest.raises(InvalidSearchDocument):
        SearchDocument.from_dict({**data, "price_band": "free"})
    with pytest.raises(InvalidSearchDocument):
        SearchDocument.from_dict({**data, "min_price_ore": 100})


def test_restriction_semantics() -> None:
    r = CatalogueRestriction(
        allowed_product_ids=frozenset({"p1"}),
        allowed_publisher_ids=frozenset({"pub1"}),
        blocked_product_ids=["p2"],  # type: ignore[arg-type]
    )
    assert r.blocked_product_ids == frozenset({"p2"})
    assert r.permits("p1", "other") and r.permits("p9", "pub1")
    assert not r.permits("p2", "pub1") and not r.permits("p9", "other")
    assert CatalogueRestriction().is_unrestricted
    assert not CatalogueRestriction(allowed_product_ids=frozenset()).permits("p1", "pub1")
    with pytest.raises(InvalidSearchQuery):
        CatalogueRestriction(blocked_product_ids="p1")  # type: ignore[arg-type]


def test_fold_and_edit_distance() -> None:
    assert fold("Brøker på Ærø, Århus, café") == "broeker paa aeroe, aarhus, cafe"
    assert within_edits("broekker", "broeker", 1)
    assert within_edits("matmatik", "matematik", 1)
    assert within_edits("laesnig", "laesning", 1)
    assert within_edits("tlaes", "tales", 1)  # swapping two letters is one edit
    assert not within_edits("laesn", "laesning", 2)
    assert not within_edits("abc", "abd", 0)


def test_highlighter_escapes_and_marks() -> None:
    words = [QueryWord("broeker", "broek", prefix=False, optional=False)]
    marker = Highlighter(words, lambda w: (fold(w), fold(w)[:5]))
    assert marker.mark("<b>Brøker</b> & brøkerne") == (
        "&lt;b&gt;<mark>Brøker</mark>&lt;/b&gt; &amp; <mark>brøkerne</mark>"
    )
    long = "ord " * 80 + "brøker " + "ord " * 80
    snippet = marker.snippet(long, max_chars=100)
    assert snippet.startswith("…") and snippet.endswith("…") and "<mark>brøker</mark>" in snippet
    assert len(snippet.replace("<mark>", "").replace("</mark>", "")) <= 102


def test_factory_chooses_by_config(tmp_path: Path) -> None:
    default = build_search_index({"VAR_DIR": str(tmp_path)})
    assert isinstance(default, TantivySearchIndex)
    assert default.path == tmp_path / "search"
    assert isinstance(default, SearchIndex)
    in_memory = build_search_index({"SEARCH_IN_MEMORY": True})
    assert isinstance(in_memory, TantivySearchIndex) and in_memory.path is None
    meili = build_search_index(
        {
            "SEARCH_BACKEND": "meilisearch",
            "MEILISEARCH_URL": "http://127.0.0.1:7700",
            "MEILISEARCH_API_KEY": "key",
        }
    )
    assert isinstance(meili, MeilisearchIndex) and meili.index_uid == "products"
    assert isinstance(meili, SearchIndex)
    named = build_search_index(
        {"SEARCH_BACKEND": "meilisearch", "MEILISEARCH_URL": "http://x", "MEILISEARCH_INDEX": "p2"}
    )
    assert isinstance(named, MeilisearchIndex) and named.index_uid == "p2"
    with pytest.raises(ConfigurationError, match="MEILISEARCH_URL"):
        build_search_index({"SEARCH_BACKEND": "meilisearch"})
    with pytest.raises(ConfigurationError, match="SEARCH_BACKEND"):
        build_search_index({"SEARCH_BACKEND": "elastic"})


def test_fixture_catalogue_has_thirty_products() -> None:
    assert len(DOCUMENTS) == 30 and len({d.id for d in DOCUMENTS}) == 30
