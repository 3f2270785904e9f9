"""The search port's contract: every SearchIndex adapter passes these tests.

A test module subclasses ``SearchIndexContract`` and provides three fixtures:

* ``index``: an adapter holding exactly ``search_products.DOCUMENTS`` (read-only tests);
* ``fresh_index``: an empty adapter of its own (tests that write);
* ``unavailable_index``: an adapter whose engine has gone away after it held documents.

Expectations are exact sets of fixture keys (``search_products.SPECS``) worked out from the
fixture texts. Where adapters may legitimately differ (how far a typo reaches beyond the
word it fixes), the test states the bounds: must find / may find.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from typing import Any

import pytest
from search_products import BY_ID, DOCUMENTS, PUB, SPECS, G, P, keys

from server.search.interfaces import (
    FACETS,
    CatalogueRestriction,
    SearchDocument,
    SearchIndex,
    SearchPage,
    SearchQuery,
    SearchUnavailable,
)

ALL = {spec.key for spec in SPECS}
MATEMATIK = {spec.key for spec in SPECS if "matematik" in spec.subjects}
BROK = {"brok4", "brokverden", "regnbrok"}  # brøk, brøker, brøkerne(s) in text or goals


def run(index: SearchIndex, text: str = "", **options: Any) -> SearchPage:
    options.setdefault("limit", 100)
    return index.search(SearchQuery(text, **options))


def found(index: SearchIndex, text: str = "", **options: Any) -> set[str]:
    page = run(index, text, **options)
    assert page.total == len(page.hits), "a 100-hit page holds every match of 30 products"
    return keys(page.ids)


def expected_facets(docs: list[SearchDocument], facet: str) -> dict[str, int]:
    counts = Counter(value for doc in docs for value in doc.facet_values(facet))
    return dict(counts)


class SearchIndexContract:
    # --- text -------------------------------------------------------------------------

    def test_plain_danish_text(self, index: SearchIndex) -> None:
        # "Geometri og måling" is also the competence area of "maaling"'s goal.
        assert found(index, "geometri") == {"geohaender", "mat5", "maaling"}
        assert found(index, "vikingetid") == {"tidslinje"}
        assert found(index, "ordblinde") == {"ordblinde"}

    def test_several_words_must_all_match(self, index: SearchIndex) -> None:
        assert found(index, "digital bog") == {"brokverden"}
        # "forsta" has "læse tekster" in its goal and "Læsning" as its competence area.
        assert found(index, "tekster læsning") == {"lix", "forsta"}

    def test_optional_words_do_not_narrow(self, index: SearchIndex) -> None:
        # "5." and "klasse" are optional: the products about brøker are what matters.
        assert found(index, "brøker 5. klasse") == BROK

    def test_no_product_has_every_word_falls_back_to_any_word(self, index: SearchIndex) -> None:
        assert found(index, "vikingetid geografi") == {"tidslinje", "verdenskort"}

    def test_stemming(self, index: SearchIndex) -> None:
        # "brøk" reaches "brøker" and "brøkerne" without prefix search (stem or derived term)
        assert found(index, "brøk", prefix_last_word=False) == BROK
        assert found(index, "brøker ", prefix_last_word=False) >= {"brok4", "regnbrok"}
        inflected = found(index, "brøkerne", prefix_last_word=False)
        assert {"brok4", "brokverden"} <= inflected <= BROK

    def test_typos(self, index: SearchIndex) -> None:
        brokker = found(index, "brøkker")
        assert "brok4" in brokker
        assert brokker <= BROK
        assert found(index, "matmatik") == MATEMATIK
        assert found(index, "læsnig") == {"lix", "laeseraketten", "forsta", "ordblinde"}
        assert found(index, "geomatri") == {"geohaender", "mat5", "maaling"}

    def test_ae_oe_aa_for_ae_oe_aa(self, index: SearchIndex) -> None:
        for danish, ascii_spelling in [
            ("brøker", "broeker"),
            ("gåder", "gaader"),
            ("læsning", "laesning"),
            ("kredsløb", "kredsloeb"),
            ("færdigheder", "faerdigheder"),
        ]:
            expected = found(index, danish)
            assert expected, danish
            assert found(index, ascii_spelling) == expected, ascii_spelling
        assert found(index, "gåder") == {"gaader"}
        assert found(index, "færdigheder") == {"stavning"}

    def test_prefix_for_search_as_you_type(self, index: SearchIndex) -> None:
        assert found(index, "brø") == BROK | {"broed"}
        assert found(index, "vikin") == {"tidslinje"}
        assert found(index, "tallinj") == {"tallinjen", "brok4"}
        assert found(index, "brø ") == set(), "a finished word is not a prefix"

    def test_goal_texts_are_searchable(self, index: SearchIndex) -> None:
        # Only in the goal text "… enkle undersøgelser af naturfænomener".
        assert found(index, "naturfænomener") == {"kredsloeb", "forsoeg"}
        assert found(index, "rationale tal") == {"brokverden", "mat5", "procent"}

    # --- filters ----------------------------------------------------------------------

    def test_goal_filter_includes_the_subtree(self, index: SearchIndex) -> None:
        # "brok4" and "regnbrok" are tagged only to the child goal mat.tal.6.brok.
        assert found(index, goal_id=G["mat.tal.6"]) == {
            "brok4",
            "regnbrok",
            "brokverden",
            "mat5",
            "procent",
        }
        assert found(index, goal_id=G["mat.tal"]) == {
            "brok4",
            "regnbrok",
            "brokverden",
            "mat5",
            "procent",
            "tallinjen",
            "gaader",
            "matquiz",
        }
        assert found(index, goal_id=G["mat.tal.6.brok"]) == {"brok4", "regnbrok"}
        assert found(index, "pizzaer", goal_id=G["mat.tal"]) == {"brok4"}
        assert found(index, goal_id=G["dan.laes"]) == {"lix", "laeseraketten", "forsta"}
        assert found(index, goal_id="no-such-goal") == set()

    def test_facet_filters_or_within_and_across(self, index: SearchIndex) -> None:
        assert found(index, filters={"subject": ["engelsk", "tysk"]}) == {
            "engbeg",
            "letstalk",
            "tysk",
        }
        assert found(index, filters={"subject": ["dansk"], "grade": [0]}) == {"laeseraketten"}
        assert found(index, filters={"grade": [9], "trial": [False]}) == {"matmyst", "digte"}
        assert found(index, filters={"offline": ["full"]}) == {"regnbrok", "laeseraketten"}
        assert found(index, filters={"accessibility": ["screen_reader"]}) == {"ordblinde"}
        assert found(index, filters={"platform": ["windows"]}) == {"robotter"}
        assert found(index, filters={"language": ["de"]}) == {"tysk"}
        assert found(index, filters={"licence_type": ["municipality"], "grade": ["0"]}) == {
            "tallinjen"
        }
        assert found(index, filters={"publisher": [PUB["laesehesten"]]}) == {
            "lix",
            "laeseraketten",
            "sang",
            "ordblinde",
        }
        assert found(index, filters={"competence_area": ["Undersøgelse"]}) == {
            "kredsloeb",
            "forsoeg",
        }
        assert found(index, filters={"media_type": ["audio"], "price_band": ["100_499"]}) == {
            "laeseraketten",
            "engbeg",
            "sang",
        }
        assert found(index, "brøk", filters={"offline": ["full"]}) == {"regnbrok"}

    def test_price_range(self, index: SearchIndex) -> None:
        assert found(index, max_price_ore=5_000) == {"brok4", "tallinjen", "matquiz"}
        assert found(index, min_price_ore=49_900) == {"mat5", "ordblinde"}
        assert found(index, min_price_ore=9_000, max_price_ore=9_900) == {"regnbrok", "farve"}
        assert found(index, "matematik", min_price_ore=1, max_price_ore=5_000) == {
            "brok4",
            "matquiz",
        }

    def test_restriction_allow_and_block_lists(self, index: SearchIndex) -> None:
        by_publisher = CatalogueRestriction(allowed_publisher_ids=frozenset({PUB["regnestykket"]}))
        assert found(index, restriction=by_publisher) == {
            "brok4",
            "regnbrok",
            "tallinjen",
            "procent",
            "matquiz",
        }
        mixed = CatalogueRestriction(
            allowed_publisher_ids=frozenset({PUB["regnestykket"]}),
            allowed_product_ids=frozenset({P["lix"]}),
            blocked_product_ids=frozenset({P["tallinjen"]}),
        )
        assert found(index, restriction=mixed) == {"brok4", "regnbrok", "procent", "matquiz", "lix"}
        assert found(index, "brøk", restriction=mixed) == {"brok4", "regnbrok"}
        blocked = CatalogueRestriction(
            blocked_publisher_ids=frozenset({PUB["regnestykket"], PUB["tavlen"]}),
            blocked_product_ids=frozenset({P["geohaender"]}),
        )
        assert found(index, "matematik", restriction=blocked) == {
            "matmyst",
            "maaling",
            "gaader",
            "robotter",
        }
        nothing = CatalogueRestriction(allowed_product_ids=frozenset())
        assert found(index, restriction=nothing) == set()
        page = run(index, restriction=by_publisher, facets=["publisher"])
        assert page.facets["publisher"] == {PUB["regnestykket"]: 5}

    # --- facets -----------------------------------------------------------------------

    def test_every_facet_counts_everything(self, index: SearchIndex) -> None:
        page = run(index, facets=list(FACETS))
        assert set(page.facets) == set(FACETS)
        for facet in FACETS:
            assert page.facets[facet] == expected_facets(DOCUMENTS, facet), facet

    def test_facet_counts_under_a_query_and_filter(self, index: SearchIndex) -> None:
        page = run(index, filters={"subject": ["dansk"]}, facets=["grade", "trial", "offline"])
        assert page.facets["grade"] == {
            "0": 1,
            "1": 1,
            "2": 1,
            "3": 1,
            "4": 3,
            "5": 4,
            "6": 4,
            "7": 3,
            "8": 2,
            "9": 2,
        }
        assert page.facets["trial"] == {"true": 6, "false": 1}
        assert page.facets["offline"] == {"none": 6, "full": 1}
        matched = [BY_ID[P[key]] for key in BROK]
        page = run(index, "brøk", facets=list(FACETS), prefix_last_word=False)
        for facet in FACETS:
            assert page.facets[facet] == expected_facets(matched, facet), facet

    def test_facet_values_are_ordered_by_count(self, index: SearchIndex) -> None:
        counts = list(run(index, facets=["subject"]).facets["subject"].values())
        assert counts == sorted(counts, reverse=True)

    def test_requested_facets_are_present_when_nothing_matches(self, index: SearchIndex) -> None:
        page = run(index, "zzzqqq", facets=["subject", "grade"])
        assert (page.total, page.hits, dict(page.facets)) == (0, (), {"subject": {}, "grade": {}})

    # --- order and pages --------------------------------------------------------------

    def test_empty_query_lists_everything_newest_first(self, index: SearchIndex) -> None:
        page = run(index)
        assert page.total == 30
        newest_first = [P[spec.key] for spec in reversed(SPECS)]
        assert page.ids == newest_first
        assert run(index, sort="newest").ids == newest_first

    def test_sort_orders(self, index: SearchIndex) -> None:
        prices = [BY_ID[i].min_price_ore for i in run(index, sort="price_asc").ids]
        assert prices == sorted(prices) and len(prices) == 30
        prices = [BY_ID[i].min_price_ore for i in run(index, sort="price_desc").ids]
        assert prices == sorted(prices, reverse=True)
        rated = run(index, sort="rating").ids
        ratings = [BY_ID[i].rating_mean for i in rated]
        known = [r for r in ratings if r is not None]
        assert known == sorted(known, reverse=True)
        assert ratings[: len(known)] == known, "unrated products come last"
        assert keys(rated[:3]) == {"ordblinde", "mat5", "tidslinje"}
        # An explicit sort applies to text results too.
        matched = run(index, "matematik", sort="price_asc").ids
        assert [BY_ID[i].min_price_ore for i in matched] == sorted(
            BY_ID[i].min_price_ore for i in matched
        )
        assert keys(matched) == MATEMATIK

    def test_relevance_puts_title_matches_first(self, index: SearchIndex) -> None:
        page = run(index, "matematik")
        assert page.hits[0].score >= page.hits[-1].score
        assert keys(page.ids[:3]) == {"mat5", "matquiz", "matmyst"}

    def test_paging_without_overlap(self, index: SearchIndex) -> None:
        for sort in ("newest", "price_asc", "relevance"):
            text = "" if sort != "relevance" else "matematik"
            everything = run(index, text, sort=sort).ids
            pages = [run(index, text, sort=sort, limit=7, offset=o) for o in range(0, 35, 7)]
            ids = [i for page in pages for i in page.ids]
            assert ids == everything, sort
            assert len(set(ids)) == len(ids)
            assert {page.total for page in pages} == {len(everything)}
        odd = run(index, sort="newest", limit=5, offset=3)
        assert odd.ids == run(index, sort="newest").ids[3:8]
        assert (odd.total, odd.offset, odd.limit) == (30, 3, 5)
        assert run(index, sort="newest", limit=10, offset=40).ids == []

    # --- highlights -------------------------------------------------------------------

    def test_highlights_mark_matches_and_escape_html(self, index: SearchIndex) -> None:
        page = run(index, "geometri", filters={"publisher": [PUB["kridt"]]})
        (hit,) = page.hits
        assert hit.id == P["geohaender"]
        assert hit.title_html == (
            "<mark>Geometri</mark> for &quot;små&quot; &lt;hænder&gt; &amp; store"
        )
        assert hit.description_html is not None
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in hit.description_html
        assert "<script>" not in hit.description_html

    def test_highlights_mark_other_spellings(self, index: SearchIndex) -> None:
        (hit,) = run(index, "broeker", filters={"grade": [4]}).hits
        assert hit.title_html is not None and hit.description_html is not None
        assert hit.title_html == "<mark>Brøker</mark> i 4. klasse"
        assert "forkorter <mark>brøker</mark>" in hit.description_html

    def test_no_highlights_when_off(self, index: SearchIndex) -> None:
        hit = run(index, "geometri", highlight=False).hits[0]
        assert (hit.title_html, hit.description_html) == (None, None)

    # --- odd input --------------------------------------------------------------------

    @pytest.mark.parametrize(
        "text",
        [
            '"brøker',
            "brøker*",
            "title:brøker",
            "(brøker OR",
            "AND OR NOT",
            "*",
            ":",
            '""',
            "\\",
            "brøker)))",
            "~2 ^3 [a TO b] {x}",
            "<script>alert(1)</script>",
            "x" * 300,
            " ".join(["brøker"] * 50),
            "brøker " * 40,
            "\x00\ue000\ue001",
            "🙂 emoji",
            "ÆØÅ æøå",
            "   ",
        ],
    )
    def test_odd_input_never_raises(self, index: SearchIndex, text: str) -> None:
        page = run(index, text, facets=["subject"], limit=5)
        assert page.total >= len(page.hits)

    def test_odd_input_still_finds_the_words(self, index: SearchIndex) -> None:
        assert found(index, '"brøker"') == found(index, "brøker")
        assert found(index, "title:vikingetid") >= {"tidslinje"}
        assert found(index, "brøk" + " brøk" * 60) == BROK

    # --- writes -----------------------------------------------------------------------

    def test_upsert_replaces_by_id(self, fresh_index: SearchIndex) -> None:
        fresh_index.upsert(DOCUMENTS[:5])
        assert fresh_index.count() == 5
        original = DOCUMENTS[0]
        changed = dataclasses.replace(original, title="Kvadrattal og kubiktal", version=2)
        fresh_index.upsert([changed])
        fresh_index.upsert([changed])
        assert fresh_index.count() == 5
        assert keys(fresh_index.search(SearchQuery("kvadrattal")).ids) == {"brok4"}
        assert fresh_index.search(SearchQuery("pizzaer")).ids == [original.id]
        assert fresh_index.search(SearchQuery("chokoladeplader brøker i 4")).total == 1
        assert fresh_index.versions() == {
            **{doc.id: 1 for doc in DOCUMENTS[1:5]},
            original.id: 2,
        }

    def test_delete_removes(self, fresh_index: SearchIndex) -> None:
        fresh_index.upsert(DOCUMENTS)
        fresh_index.delete([P["brok4"], P["regnbrok"], "not-indexed"])
        assert fresh_index.count() == 28
        remaining = fresh_index.search(SearchQuery("brøk", limit=100, prefix_last_word=False))
        assert keys(remaining.ids) == {"brokverden"}
        fresh_index.delete([])
        assert fresh_index.count() == 28

    def test_clear_empties(self, fresh_index: SearchIndex) -> None:
        fresh_index.upsert(DOCUMENTS)
        fresh_index.clear()
        assert fresh_index.count() == 0
        assert fresh_index.search(SearchQuery()).total == 0
        assert fresh_index.versions() == {}
        fresh_index.upsert(DOCUMENTS[:2])
        assert fresh_index.count() == 2

    def test_products_without_a_price(self, fresh_index: SearchIndex) -> None:
        unpriced = dataclasses.replace(DOCUMENTS[0], min_price_ore=None, price_band=None)
        fresh_index.upsert([unpriced, *DOCUMENTS[1:6]])
        ascending = fresh_index.search(SearchQuery(sort="price_asc")).ids
        descending = fresh_index.search(SearchQuery(sort="price_desc")).ids
        assert ascending[-1] == descending[-1] == unpriced.id
        assert unpriced.id not in fresh_index.search(SearchQuery(min_price_ore=0)).ids
        bands = fresh_index.search(SearchQuery(facets=["price_band"])).facets["price_band"]
        assert sum(bands.values()) == 5
        assert fresh_index.search(SearchQuery("pizzaer")).ids == [unpriced.id]

    def test_check_reports_ready(self, index: SearchIndex) -> None:
        health = index.check()
        assert (health.backend, health.documents) == (index.backend, 30)

    def test_unavailable_engine_raises_search_unavailable(
        self, unavailable_index: SearchIndex
    ) -> None:
        with pytest.raises(SearchUnavailable):
            unavailable_index.check()
        with pytest.raises(SearchUnavailable):
            unavailable_index.search(SearchQuery("brøk"))
        with pytest.raises(SearchUnavailable):
            unavailable_index.upsert(DOCUMENTS[:1])
        with pytest.raises(SearchUnavailable):
            unavailable_index.delete([DOCUMENTS[0].id])
        with pytest.raises(SearchUnavailable):
            unavailable_index.count()
