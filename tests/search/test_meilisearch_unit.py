"""MeilisearchIndex without a server: the exact settings, filters and search parameters it
sends to the client (a recording FakeMeilisearchClient), how it reads answers, and how client
errors become the port's errors."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from fake_meilisearch import FakeMeilisearchClient, api_error
from meilisearch.errors import MeilisearchCommunicationError, MeilisearchTimeoutError
from search_products import DOCUMENTS, PUB, G, P

from server.search.interfaces import (
    CatalogueRestriction,
    InvalidSearchQuery,
    SearchQuery,
    SearchUnavailable,
)
from server.search.meilisearch_index import (
    MEILISEARCH_SETTINGS,
    POST_TAG,
    PRE_TAG,
    MeilisearchIndex,
    quote,
    search_filter,
    search_params,
    to_meilisearch_document,
)

EXPECTED_SETTINGS_WITHOUT_SYNONYMS = {
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
    "filterableAttributes": [
        "id",
        "publisher_id",
        "goal_path_ids",
        "min_price_ore",
        "accessibility",
        "competence_areas",
        "grades",
        "has_trial",
        "languages",
        "licence_types",
        "media_types",
        "offline",
        "platforms",
        "price_band",
        "subjects",
    ],
    "sortableAttributes": ["published_ts", "min_price_ore", "rating_mean", "rating_count"],
    "rankingRules": ["sort", "words", "typo", "proximity", "attribute", "exactness"],
    "typoTolerance": {
        "enabled": True,
        "minWordSizeForTypos": {"oneTypo": 5, "twoTypos": 9},
        "disableOnWords": [],
        "disableOnAttributes": [],
    },
    "faceting": {"maxValuesPerFacet": 100, "sortFacetValuesBy": {"*": "count"}},
    "pagination": {"maxTotalHits": 10000},
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
KEY_UID = "85c3c2f9-bdd6-41f1-abd8-11fcf80e0f76"  # the search API key's uid (a UUIDv4)
HIGHLIGHT = {
    "attributesToRetrieve": ["id", "title", "description"],
    "attributesToHighlight": ["title", "description"],
    "highlightPreTag": PRE_TAG,
    "highlightPostTag": POST_TAG,
    "attributesToCrop": ["description"],
    "cropLength": 30,
    "cropMarker": "…",
}


@pytest.fixture
def client() -> FakeMeilisearchClient:
    return FakeMeilisearchClient()


@pytest.fixture
def index(client: FakeMeilisearchClient) -> MeilisearchIndex:
    return MeilisearchIndex(client, "products", task_timeout_ms=1234)


# --- settings ---------------------------------------------------------------------------


def test_apply_settings_creates_the_index_and_sends_the_declared_settings(
    client: FakeMeilisearchClient, index: MeilisearchIndex
) -> None:
    index.apply_settings()
    assert client.calls == [
        ("create_index", ("products", {"primaryKey": "id"})),
        ("wait_for_task", (1, 1234)),
        ("index(products).update_settings", (MEILISEARCH_SETTINGS,)),
        ("wait_for_task", (2, 1234)),
    ]
    sent = dict(client.args_of("index(products).update_settings")[0][0])
    synonyms = sent.pop("synonyms")
    assert sent == EXPECTED_SETTINGS_WITHOUT_SYNONYMS
    assert synonyms["broeker"] == ["brøker"]
    assert synonyms["brøker"] == ["broeker"]
    assert synonyms["laesning"] == ["læsning"]
    assert synonyms["gaader"] == ["gåder"]
    assert synonyms["matte"] == ["matematik"]
    assert synonyms["nt"] == ["natur", "teknologi"]
    assert all(word != alt for word, alts in synonyms.items() for alt in alts)


def test_apply_settings_accepts_an_existing_index(
    client: FakeMeilisearchClient, index: MeilisearchIndex
) -> None:
    client.task_results = [
        SimpleNamespace(status="failed", error={"code": "index_already_exists"}),
    ]
    index.apply_settings()
    assert client.methods()[-2:] == ["index(products).update_settings", "wait_for_task"]


def test_a_failed_settings_task_is_unavailable(
    client: FakeMeilisearchClient, index: MeilisearchIndex
) -> None:
    client.task_results = [
        SimpleNamespace(status="succeeded", error=None),
        SimpleNamespace(status="failed", error={"code": "invalid_settings_ranking_rules"}),
    ]
    with pytest.raises(SearchUnavailable, match="invalid_settings_ranking_rules"):
        index.apply_settings()


# --- filters and search parameters ------------------------------------------------------


def test_quote_escapes_backslashes_and_quotes() -> None:
    assert quote('a"b\\c') == '"a\\"b\\\\c"'
    assert quote("") == '""'


def test_search_params_of_a_full_query() -> None:
    query = SearchQuery(
        "Brøker i 5. klasse",
        filters={
            "subject": ["matematik", "dansk"],
            "grade": [5, "4"],
            "trial": [True],
            "publisher": ['Kridt "&" Klog'],
        },
        goal_id=G["mat.tal.6"],
        min_price_ore=100,
        max_price_ore=50_000,
        sort="price_asc",
        limit=20,
        offset=40,
        facets=["subject", "grade", "trial"],
        restriction=CatalogueRestriction(
            allowed_publisher_ids=frozenset({PUB["tavlen"]}),
            allowed_product_ids=frozenset({P["lix"]}),
            blocked_product_ids=frozenset({P["mat5"]}),
        ),
    )
    q, params = search_params(query)
    assert q == "broeker"
    assert params == {
        "matchingStrategy": "all",
        "showRankingScore": True,
        "hitsPerPage": 20,
        "page": 3,
        "filter": (
            'subjects IN ["dansk", "matematik"] AND grades IN [4, 5] AND has_trial IN [true] '
            'AND publisher_id IN ["Kridt \\"&\\" Klog"] '
            f'AND goal_path_ids = "{G["mat.tal.6"]}" '
            "AND min_price_ore >= 100 AND min_price_ore <= 50000 "
            f'AND ((id IN ["{P["lix"]}"] OR publisher_id IN ["{PUB["tavlen"]}"]) '
            f'AND id NOT IN ["{P["mat5"]}"])'
        ),
        "facets": ["subjects", "grades", "has_trial"],
        "sort": ["min_price_ore:asc"],
        **HIGHLIGHT,
    }


def test_search_params_empty_text_lists_newest_first_with_limit_offset() -> None:
    q, params = search_params(SearchQuery("", limit=7, offset=3, highlight=False))
    assert (q, params) == (
        "",
        {
            "matchingStrategy": "all",
            "showRankingScore": True,
            "limit": 7,
            "offset": 3,
            "sort": ["published_ts:desc"],
            "attributesToRetrieve": ["id"],
        },
    )


def test_search_params_sorts() -> None:
    sorts = {s: search_params(SearchQuery("tal", sort=s))[1].get("sort") for s in (
        "relevance", "newest", "price_asc", "price_desc", "rating")}  # fmt: skip
    assert sorts == {
        "relevance": None,
        "newest": ["published_ts:desc"],
        "price_asc": ["min_price_ore:asc"],
        "price_desc": ["min_price_ore:desc"],
        "rating": ["rating_mean:desc", "rating_count:desc"],
    }


def test_query_text_is_folded_cleaned_and_prefix_controlled() -> None:
    assert search_params(SearchQuery('"Gåder": (logik*'))[0] == "gaader logik"
    assert search_params(SearchQuery("læsning", prefix_last_word=False))[0] == "laesning "
    assert search_params(SearchQuery("læsning "))[0] == "laesning "
    assert search_params(SearchQuery("og i til"))[0] == "og i til"  # only optional words
    assert search_params(SearchQuery(" ".join(["ord"] * 50)))[0] == " ".join(["ord"] * 10)


def test_restriction_filters() -> None:
    nothing = CatalogueRestriction(allowed_product_ids=frozenset())
    assert search_filter(SearchQuery(restriction=nothing)) == 'id = ""'
    blocked = CatalogueRestriction(blocked_publisher_ids=frozenset({"b", "a"}))
    assert search_filter(SearchQuery(restriction=blocked)) == 'publisher_id NOT IN ["a", "b"]'
    assert search_filter(SearchQuery()) is None


def test_search_reads_hits_highlights_facets_and_total(
    client: FakeMeilisearchClient, index: MeilisearchIndex
) -> None:
    client.search_responses = [
        {
            "hits": [
                {
                    "id": P["geohaender"],
                    "_rankingScore": 0.93,
                    "_formatted": {
                        "id": P["geohaender"],
                        "title": f'{PRE_TAG}Geometri{POST_TAG} for "små" <hænder> & store',
                        "description": "Figurer… <script>alert(1)</script>…",
                    },
                }
            ],
            "totalHits": 12_345,
            "facetDistribution": {"subjects": {"dansk": 2, "matematik": 5}, "has_trial": {}},
        }
    ]
    page = index.search(SearchQuery("geometri", facets=["subject", "trial", "grade"]))
    (hit,) = page.hits
    assert hit.id == P["geohaender"] and hit.score == 0.93
    assert hit.title_html == "<mark>Geometri</mark> for &quot;små&quot; &lt;hænder&gt; &amp; store"
    assert hit.description_html == "Figurer… &lt;script&gt;alert(1)&lt;/script&gt;…"
    assert page.total == 10_000
    assert page.facets == {"subject": {"matematik": 5, "dansk": 2}, "trial": {}, "grade": {}}
    assert list(page.facets["subject"]) == ["matematik", "dansk"]


def test_search_without_any_full_match_falls_back_to_any_word(
    client: FakeMeilisearchClient, index: MeilisearchIndex
) -> None:
    client.search_responses = [
        {"hits": [], "totalHits": 0},
        {"hits": [{"id": P["tidslinje"]}], "totalHits": 1},
    ]
    page = index.search(SearchQuery("vikingetid geografi", highlight=False))
    strategies = [args[1]["matchingStrategy"] for args in client.args_of("index(products).search")]
    assert strategies == ["all", "last"]
    assert page.ids == [P["tidslinje"]]
    assert page.hits[0].title_html is None


# --- writes -------------------------------------------------------------------------------


def test_upsert_sends_documents_with_derived_fields_and_waits(
    client: FakeMeilisearchClient, index: MeilisearchIndex
) -> None:
    doc = DOCUMENTS[0]
    index.upsert([doc, doc])  # the same id twice: sent once
    ((sent, primary_key),) = client.args_of("index(products).add_documents")
    assert primary_key == "id"
    (document,) = sent
    assert document == {
        **doc.to_dict(),
        "published_ts": 1704096000,
        "title_terms": "broeker i 4 klasse broek klas",
        "text_terms": (
            "oev broeker med pizzaer chokoladeplader og tallinjer eleverne sammenligner "
            "forkorter eleven kan beregne decimaltal tal algebra regnestykket aps broek pizza "
            "chokoladeplad tallinj elev sammenlign forkort beregn regnestyk"
        ),
    }
    assert client.methods() == ["index(products).add_documents", "wait_for_task"]


def test_upsert_batches_of_a_thousand(
    client: FakeMeilisearchClient, index: MeilisearchIndex
) -> None:
    import dataclasses
    import uuid

    many = [dataclasses.replace(DOCUMENTS[0], id=str(uuid.uuid4())) for _ in range(2_001)]
    index.upsert(many)
    sizes = [len(args[0]) for args in client.args_of("index(products).add_documents")]
    assert sizes == [1000, 1000, 1]
    assert client.methods().count("wait_for_task") == 3


def test_a_failed_write_task_is_unavailable(
    client: FakeMeilisearchClient, index: MeilisearchIndex
) -> None:
    client.task_results = [SimpleNamespace(status="failed", error={"code": "internal"})]
    with pytest.raises(SearchUnavailable, match="failed"):
        index.upsert(DOCUMENTS[:1])


def test_delete_and_clear(client: FakeMeilisearchClient, index: MeilisearchIndex) -> None:
    index.delete(["b", "a", "b"])
    assert client.args_of("index(products).delete_documents") == [(["a", "b"],)]
    client.calls.clear()
    index.clear()
    assert client.methods() == [
        "create_index",
        "wait_for_task",
        "index(products).update_settings",
        "wait_for_task",
        "index(products).delete_all_documents",
        "wait_for_task",
    ]


def test_count_versions_and_check(client: FakeMeilisearchClient, index: MeilisearchIndex) -> None:
    client.document_count = 1_500
    client.stored_documents = [{"id": f"id-{n}", "version": n % 3} for n in range(1_500)]
    assert index.count() == 1_500
    versions = index.versions()
    assert len(versions) == 1_500 and versions["id-4"] == 1
    offsets = [a[0]["offset"] for a in client.args_of("index(products).get_documents")]
    assert offsets == [0, 1000]
    health = index.check()
    assert (health.backend, health.documents) == ("meilisearch", 1_500)
    client.health_status = {"status": "unavailable"}
    with pytest.raises(SearchUnavailable):
        index.check()


# --- errors -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "error",
    [
        MeilisearchCommunicationError("connection refused"),
        MeilisearchTimeoutError("read timed out"),
        api_error(500, "internal"),
        api_error(503, "service_unavailable"),
        api_error(401, "missing_authorization_header"),
        api_error(403, "invalid_api_key"),
        api_error(404, "index_not_found"),
    ],
    ids=lambda e: type(e).__name__ + getattr(e, "code", "") if e else "",
)
def test_engine_errors_are_search_unavailable(
    client: FakeMeilisearchClient, index: MeilisearchIndex, error: Exception
) -> None:
    client.fail_with = error
    for operation in (
        lambda: index.search(SearchQuery("brøk")),
        lambda: index.upsert(DOCUMENTS[:1]),
        lambda: index.delete(["x"]),
        index.count,
        index.check,
        index.clear,
        index.versions,
    ):
        with pytest.raises(SearchUnavailable) as raised:
            operation()
        assert raised.value.__cause__ is error


def test_a_rejected_search_is_an_invalid_query(
    client: FakeMeilisearchClient, index: MeilisearchIndex
) -> None:
    client.fail_with = api_error(400, "invalid_search_filter", "bad filter")
    with pytest.raises(InvalidSearchQuery, match="bad filter"):
        index.search(SearchQuery("brøk"))
    with pytest.raises(SearchUnavailable):  # a 400 on a write is not the user's query
        index.upsert(DOCUMENTS[:1])


def test_no_network_when_unreachable() -> None:
    unreachable = MeilisearchIndex.from_url("http://127.0.0.1:9", None, "products", timeout_s=1)
    with pytest.raises(SearchUnavailable, match="unreachable"):
        unreachable.check()


# --- tenant tokens --------------------------------------------------------------------------


def _claims(token: str) -> dict[str, object]:
    payload = token.split(".")[1]
    return dict(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))))


def test_tenant_token_carries_the_restriction_filter(
    client: FakeMeilisearchClient, index: MeilisearchIndex
) -> None:
    expires = datetime(2030, 1, 1, tzinfo=UTC)
    restriction = CatalogueRestriction(
        allowed_publisher_ids=frozenset({PUB["tavlen"]}),
        blocked_product_ids=frozenset({P["mat5"]}),
    )
    token = index.tenant_token(KEY_UID, "a-search-api-key-0123456789", restriction, expires)
    claims = _claims(token)
    assert claims == {
        "apiKeyUid": KEY_UID,
        "searchRules": {
            "products": {
                "filter": f'(publisher_id IN ["{PUB["tavlen"]}"]) AND id NOT IN ["{P["mat5"]}"]'
            }
        },
        "exp": int(expires.timestamp()),
    }
    unrestricted = _claims(
        index.tenant_token(KEY_UID, "a-search-api-key-0123456789", CatalogueRestriction(), expires)
    )
    assert unrestricted["searchRules"] == {"products": {}}


def test_tenant_token_needs_an_aware_expiry(index: MeilisearchIndex) -> None:
    with pytest.raises(ValueError, match="timezone"):
        index.tenant_token(KEY_UID, "key", CatalogueRestriction(), datetime(2030, 1, 1))
    with pytest.raises(ValueError):
        index.tenant_token(
            KEY_UID, "key", CatalogueRestriction(), datetime.now(UTC) - timedelta(days=1)
        )


def test_only_the_adapter_imports_the_vendor_sdk() -> None:
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "server" / "search"
    importers = sorted(p.name for p in root.glob("*.py") if "import meilisearch" in p.read_text())
    assert importers == ["meilisearch_index.py"]
    assert to_meilisearch_document  # the document mapping lives in the adapter
