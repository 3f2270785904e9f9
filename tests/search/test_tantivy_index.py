"""What only the embedded adapter has: an index directory that persists, is shared between
processes' adapters, can be lost and comes back through clear()."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from search_products import DOCUMENTS, P

from server.search.interfaces import SearchQuery, SearchUnavailable
from server.search.tantivy_index import TantivySearchIndex


def test_the_index_persists_and_is_shared(tmp_path: Path) -> None:
    first = TantivySearchIndex(tmp_path / "search")
    first.upsert(DOCUMENTS[:10])
    second = TantivySearchIndex(tmp_path / "search")  # as another worker process would
    assert second.count() == 10
    second.upsert(DOCUMENTS[10:])  # the writer of `first` was released after its commit
    first.upsert(DOCUMENTS[:1])
    assert TantivySearchIndex(tmp_path / "search").count() == 30


def test_a_fresh_directory_is_created_on_first_use(tmp_path: Path) -> None:
    index = TantivySearchIndex(tmp_path / "var" / "search")
    assert index.check().documents == 0
    assert (tmp_path / "var" / "search" / "meta.json").is_file()


def test_a_lost_index_stays_unavailable_until_clear(tmp_path: Path) -> None:
    path = tmp_path / "search"
    index = TantivySearchIndex(path)
    index.upsert(DOCUMENTS)
    shutil.rmtree(path)
    with pytest.raises(SearchUnavailable, match="reindex"):
        index.search(SearchQuery("brøk"))
    assert not path.exists(), "a lost index is not silently replaced by an empty one"
    index.clear()
    assert index.count() == 0
    index.upsert(DOCUMENTS[:3])
    assert index.search(SearchQuery("pizzaer")).ids == [P["brok4"]]


def test_a_file_where_the_directory_should_be(tmp_path: Path) -> None:
    path = tmp_path / "search"
    path.write_text("not an index")
    index = TantivySearchIndex(path)
    with pytest.raises(SearchUnavailable, match="not a directory"):
        index.check()
    with pytest.raises(SearchUnavailable):
        index.clear()
    assert path.read_text() == "not an index"


def test_an_index_of_another_schema_is_unavailable_until_clear(tmp_path: Path) -> None:
    path = tmp_path / "search"
    TantivySearchIndex(path).upsert(DOCUMENTS[:2])
    (path / "skolehylde-schema").write_text("0\n")
    index = TantivySearchIndex(path)
    with pytest.raises(SearchUnavailable, match="another schema"):
        index.count()
    index.clear()
    assert index.count() == 0


def test_versions_lists_every_document(tmp_path: Path) -> None:
    index = TantivySearchIndex(None)
    assert index.versions() == {}
    index.upsert(DOCUMENTS)
    assert index.versions() == {doc.id: doc.version for doc in DOCUMENTS}


def test_facet_counts_without_the_combination_shortcut(monkeypatch: pytest.MonkeyPatch) -> None:
    from collections import Counter

    import server.search.tantivy_index as module
    from server.search.interfaces import FACETS

    index = TantivySearchIndex(None)
    index.upsert(DOCUMENTS)
    fast = index.search(SearchQuery(facets=FACETS)).facets
    monkeypatch.setattr(module, "_MAX_COMBINATIONS", 2)  # every facet overflows: direct count
    direct = index.search(SearchQuery(facets=FACETS)).facets
    assert direct == fast
    for facet in FACETS:
        counts = Counter(v for doc in DOCUMENTS for v in doc.facet_values(facet))
        assert direct[facet] == dict(counts), facet
