"""Embedded search: tantivy (tantivy-py), on disk under ``VAR_DIR/search`` or in RAM.

Text is folded in Python first (æ/ø/å → ae/oe/aa, accents stripped; ``server.search.text``),
then indexed twice by tantivy analyzers:

* ``da_stem``: simple tokenizer → long words dropped → lower case → Danish Snowball stemmer →
  ASCII folding. Finds other forms of a word (``brøkerne`` → ``broek`` ← ``brøk``).
* ``da_raw``: the same without the stemmer. Typos and prefixes are matched here, on whole
  words: fuzzy terms on stems miss typos that change the ending (``læsnig`` stems to
  ``laesn``, ``læsning`` to ``laesning``: three edits apart, one edit apart unstemmed).

Every query is built from terms (never through tantivy's query parser), so no input can make
it fail. Facets are terms aggregations over raw fast fields (tantivy-py has no facet
collector); ``Searcher.search`` is never called with ``limit=0`` (it panics).

An index on disk that disappears (directory removed or replaced) raises SearchUnavailable
rather than serving stale data or silently starting empty; ``clear()`` recreates it (the
first step of ``skolehylde search reindex``). Writers are opened per write and released
after the commit, so several processes can share one index directory.
"""

from __future__ import annotations

import json
import shutil
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Final, TypeVar, cast

import tantivy

from server.search.interfaces import (
    FACET_FIELDS,
    MAX_FACET_VALUES,
    MAX_TOTAL_HITS,
    CatalogueRestriction,
    IndexHealth,
    SearchDocument,
    SearchHit,
    SearchPage,
    SearchQuery,
    SearchUnavailable,
)
from server.search.text import (
    MAX_TOKEN_CHARS,
    OPTIONAL_WORDS,
    Highlighter,
    QueryWord,
    fold,
    query_words,
)

T = TypeVar("T")

STEMMED: Final = "da_stem"
UNSTEMMED: Final = "da_raw"
SCHEMA_VERSION: Final = 3  # bump when the schema changes: the index is then rebuilt

# Facet fields as indexed: raw (untokenised) strings. ``f_*`` holds each value (filters);
# ``c_*`` holds the document's whole set of values as one string (facet counts): a terms
# aggregation over a single-valued column is ~25× faster than over a multi-valued one
# (grades on 100k products: 0.15 ms against 3.9 ms), and the counts per value are the sums
# over the few distinct combinations.
_FACET_INDEX_FIELDS: Final = {facet: f"f_{facet}" for facet in FACET_FIELDS}
_FACET_COMBO_FIELDS: Final = {facet: f"c_{facet}" for facet in FACET_FIELDS}
_COMBO_SEPARATOR: Final = "\x1f"
_MAX_COMBINATIONS: Final = 5_000  # more distinct combinations: count the values directly
_SORT_FIELDS: Final = {
    "newest": ("published_ts", tantivy.Order.Desc),
    "price_asc": ("price_asc_key", tantivy.Order.Asc),
    "price_desc": ("price_desc_key", tantivy.Order.Desc),
    "rating": ("rating_sort", tantivy.Order.Desc),
}
# Weights of one query word's alternatives (title > body; exact > stem > typo/prefix).
_W_TITLE_EXACT, _W_TITLE_STEM, _W_TITLE_FUZZY = 4.0, 3.0, 1.2
_W_BODY_EXACT, _W_BODY_STEM, _W_BODY_FUZZY = 2.0, 1.5, 0.6
_NO_PRICE_LAST: Final = 2**62
_LOCK_RETRIES: Final = 50  # × 0.1 s waiting for another process's writer


def _count(result: tantivy.SearchResult) -> int:
    """Matches of a search (``count`` is missing from tantivy-py's type stub)."""
    return int(cast(Any, result).count)


def _analyzer(stem: bool) -> tantivy.TextAnalyzer:
    builder = (
        tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
        .filter(tantivy.Filter.remove_long(MAX_TOKEN_CHARS + 1))
        .filter(tantivy.Filter.lowercase())
    )
    if stem:
        builder = builder.filter(tantivy.Filter.stemmer("danish"))
    return builder.filter(tantivy.Filter.ascii_fold()).build()


def build_schema() -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    builder.add_text_field("id", stored=True, tokenizer_name="raw")
    builder.add_text_field("publisher", tokenizer_name="raw")
    builder.add_text_field("goal_path", tokenizer_name="raw", index_option="basic")
    for prefix in ("title", "body"):
        builder.add_text_field(f"{prefix}_stem", tokenizer_name=STEMMED, index_option="freq")
        builder.add_text_field(f"{prefix}_raw", tokenizer_name=UNSTEMMED, index_option="freq")
    for name in _FACET_INDEX_FIELDS.values():
        builder.add_text_field(name, fast=True, tokenizer_name="raw", index_option="basic")
    for name in _FACET_COMBO_FIELDS.values():
        builder.add_text_field(name, fast=True, tokenizer_name="raw", index_option="basic")
    builder.add_integer_field("min_price_ore", fast=True, indexed=True)  # absent: no price
    builder.add_integer_field("price_asc_key", fast=True)  # no price: after every price
    builder.add_integer_field("price_desc_key", fast=True)  # no price: -1, after every price
    builder.add_integer_field("published_ts", fast=True)
    builder.add_integer_field("version", fast=True)
    builder.add_float_field("rating_sort", fast=True)
    builder.add_bytes_field("display", stored=True)  # {"title", "description"} as JSON
    return builder.build()


class TantivySearchIndex:
    """The embedded ``SearchIndex``. ``path=None`` keeps the index in RAM (tests, demos)."""

    backend = "tantivy"

    def __init__(self, path: str | Path | None = None, *, writer_heap_bytes: int = 64_000_000):
        self._path = Path(path) if path is not None else None
        self._heap = writer_heap_bytes
        self._schema = build_schema()
        self._stem = _analyzer(stem=True)
        self._raw = _analyzer(stem=False)
        self._index: tantivy.Index | None = None
        self._opened = False
        self._lock = threading.RLock()
        self._normalised: dict[str, tuple[str, str]] = {}

    # --- lifecycle --------------------------------------------------------------------

    @property
    def path(self) -> Path | None:
        return self._path

    def _marker(self) -> Path | None:
        return None if self._path is None else self._path / "meta.json"

    def _open(self, *, create: bool) -> tantivy.Index:
        """The open index. On disk it first checks the index is still there (one stat).

        A directory with no index is created the first time this process opens it (a fresh
        installation); one that disappears after that raises SearchUnavailable until
        ``clear()`` recreates it, so a lost index is never silently replaced by an empty one.
        """
        marker = self._marker()
        if self._index is not None and (marker is None or marker.is_file()):
            return self._index
        with self._lock:
            if self._path is None or marker is None:
                if self._index is None:
                    self._index = self._new_index(None)
                return self._index
            exists = marker.is_file()
            if not exists and self._opened and not create:
                self._index = None
                raise SearchUnavailable(
                    f"the search index at {self._path} is gone; run `skolehylde search reindex`"
                )
            try:
                if not exists:
                    if self._path.exists() and not self._path.is_dir():
                        raise SearchUnavailable(f"{self._path} is not a directory")
                    self._path.mkdir(parents=True, exist_ok=True)
                self._index = self._new_index(self._path)
            except (OSError, ValueError) as error:
                raise SearchUnavailable(f"cannot open the search index: {error}") from error
            self._opened = True
            return self._index

    def _new_index(self, path: Path | None) -> tantivy.Index:
        stamp = None if path is None else path / "skolehylde-schema"
        if (
            stamp is not None
            and path is not None
            and (path / "meta.json").is_file()
            and (not stamp.is_file() or stamp.read_text().strip() != str(SCHEMA_VERSION))
        ):
            raise SearchUnavailable(
                f"the search index at {path} has another schema; run `skolehylde search reindex`"
            )
        index = tantivy.Index(self._schema, path=None if path is None else str(path))
        index.register_tokenizer(STEMMED, self._stem)
        index.register_tokenizer(UNSTEMMED, self._raw)
        if stamp is not None:
            stamp.write_text(f"{SCHEMA_VERSION}\n")
        return index

    def _call(self, action: Callable[[tantivy.Index], T], *, create: bool = False) -> T:
        index = self._open(create=create)
        try:
            return action(index)
        except SearchUnavailable:
            raise
        except (OSError, ValueError, RuntimeError) as error:
            if self._path is not None:
                self._index = None  # reopen (and re-check the directory) next time
            raise SearchUnavailable(f"search index error: {error}") from error

    @contextmanager
    def _writer(self, index: tantivy.Index) -> Iterator[tantivy.IndexWriter]:
        """A writer for one commit, released afterwards (other processes may write too)."""
        with self._lock:
            writer = None
            for _ in range(_LOCK_RETRIES):
                try:
                    writer = index.writer(heap_size=self._heap, num_threads=0)
                    break
                except ValueError as error:
                    if "lock" not in str(error).lower():
                        raise
                    time.sleep(0.1)
            if writer is None:
                raise SearchUnavailable("the search index is locked by another writer")
            try:
                yield writer
            except BaseException:
                writer.rollback()
                raise
            finally:
                writer.wait_merging_threads()
            index.reload()

    # --- writes -----------------------------------------------------------------------

    def upsert(self, documents: Iterable[SearchDocument]) -> None:
        batch = {doc.id: doc for doc in documents}  # the last version of an id wins
        if not batch:
            return

        def write(index: tantivy.Index) -> None:
            with self._writer(index) as writer:
                for doc in batch.values():
                    writer.delete_documents_by_term("id", doc.id)
                    writer.add_document(self._to_tantivy(doc))
                writer.commit()

        self._call(write)

    def delete(self, ids: Iterable[str]) -> None:
        unique = set(ids)
        if not unique:
            return

        def write(index: tantivy.Index) -> None:
            with self._writer(index) as writer:
                for product_id in unique:
                    writer.delete_documents_by_term("id", product_id)
                writer.commit()

        self._call(write)

    def clear(self) -> None:
        if self._path is not None:
            with self._lock:
                stamp = self._path / "skolehylde-schema"
                usable = (self._path / "meta.json").is_file() and (
                    stamp.is_file() and stamp.read_text().strip() == str(SCHEMA_VERSION)
                )
                if not usable:  # gone, half-gone or another schema: start afresh
                    self._index = None
                    if self._path.is_dir():
                        shutil.rmtree(self._path)
                    elif self._path.exists():
                        raise SearchUnavailable(f"{self._path} is not a directory")

        def write(index: tantivy.Index) -> None:
            with self._writer(index) as writer:
                writer.delete_all_documents()
                writer.commit()

        self._call(write, create=True)

    def _to_tantivy(self, doc: SearchDocument) -> tantivy.Document:
        body = [
            doc.description,
            *doc.goal_texts,
            *doc.competence_areas,
            doc.publisher_name,
            *doc.subjects,
        ]
        folded_title = fold(doc.title)
        folded_body = fold("\n".join(body))
        fields: dict[str, Any] = {
            "id": doc.id,
            "publisher": doc.publisher_id,
            "goal_path": list(doc.goal_path_ids),
            "title_stem": folded_title,
            "title_raw": folded_title,
            "body_stem": folded_body,
            "body_raw": folded_body,
            "price_asc_key": _NO_PRICE_LAST if doc.min_price_ore is None else doc.min_price_ore,
            "price_desc_key": -1 if doc.min_price_ore is None else doc.min_price_ore,
            "published_ts": doc.published_timestamp(),
            "version": doc.version,
            "rating_sort": -1.0 if doc.rating_mean is None else float(doc.rating_mean),
            "display": json.dumps(
                {"title": doc.title, "description": doc.description}, ensure_ascii=False
            ).encode(),
        }
        if doc.min_price_ore is not None:
            fields["min_price_ore"] = doc.min_price_ore
        for facet, name in _FACET_INDEX_FIELDS.items():
            values = doc.facet_values(facet)
            fields[name] = list(values)
            if values:
                fields[_FACET_COMBO_FIELDS[facet]] = _COMBO_SEPARATOR.join(sorted(values))
        document = tantivy.Document()
        for name, value in fields.items():
            for item in value if isinstance(value, list) else [value]:
                if isinstance(item, str):
                    document.add_text(name, item)
                elif isinstance(item, bytes):
                    document.add_bytes(name, item)
                elif isinstance(item, float):
                    document.add_float(name, item)
                else:
                    document.add_integer(name, item)
        return document

    # --- reads ------------------------------------------------------------------------

    def count(self) -> int:
        return self._call(lambda index: int(index.searcher().num_docs))

    def versions(self) -> dict[str, int]:
        def read(index: tantivy.Index) -> dict[str, int]:
            searcher = index.searcher()
            total = int(searcher.num_docs)
            if total == 0:
                return {}
            hits = searcher.search(tantivy.Query.all_query(), limit=total, count=False).hits
            addresses = [address for _, address in hits]
            versions = searcher.fast_field_values("version", addresses)
            return {
                str(searcher.doc(address).get_first("id")): int(cast(int, version))
                for address, version in zip(addresses, versions, strict=True)
            }

        return self._call(read)

    def check(self) -> IndexHealth:
        def probe(index: tantivy.Index) -> IndexHealth:
            searcher = index.searcher()
            searcher.search(tantivy.Query.all_query(), limit=1, count=True)
            where = "in memory" if self._path is None else str(self._path)
            return IndexHealth(self.backend, int(searcher.num_docs), f"tantivy index {where}")

        return self._call(probe)

    def search(self, query: SearchQuery) -> SearchPage:
        return self._call(lambda index: self._search(index, query))

    def _search(self, index: tantivy.Index, query: SearchQuery) -> SearchPage:
        searcher = index.searcher()
        words = self._query_words(query)
        filters = self._filters(query)
        required = [w for w in words if not w.optional] or words
        text_query = self._text_query(words, required)
        result = self._run(searcher, query, text_query, filters)
        if _count(result) == 0 and len(required) > 1:  # nothing has every word: any word
            text_query = self._text_query(words, [])
            result = self._run(searcher, query, text_query, filters)
        if _count(result):
            facets = self._facets(searcher, query, text_query, filters)
        else:
            facets = {facet: {} for facet in query.facets}
        highlighter = Highlighter(words, self._normalise) if query.highlight else None
        hits: list[SearchHit] = []
        for order_key, address in result.hits:
            stored = searcher.doc(address)
            product_id = str(stored.get_first("id"))
            if highlighter is None:
                hits.append(SearchHit(product_id, float(order_key)))
                continue
            display = json.loads(cast(bytes, stored.get_first("display")))
            hits.append(
                SearchHit(
                    product_id,
                    float(order_key),
                    highlighter.mark(display["title"]),
                    highlighter.snippet(display["description"]),
                )
            )
        return SearchPage(
            tuple(hits),
            min(int(_count(result)), MAX_TOTAL_HITS),
            facets,
            query.offset,
            query.limit,
        )

    def _run(
        self,
        searcher: tantivy.Searcher,
        query: SearchQuery,
        text_query: tantivy.Query | None,
        filters: list[tuple[tantivy.Occur, tantivy.Query]],
    ) -> tantivy.SearchResult:
        full = self._combine(text_query, filters)
        sort = query.effective_sort
        if sort == "relevance":
            return searcher.search(full, limit=query.limit, offset=query.offset, count=True)
        field, order = _SORT_FIELDS[sort]
        return searcher.search(
            full,
            limit=query.limit,
            offset=query.offset,
            count=True,
            order_by_field=field,
            order=order,
        )

    def _facets(
        self,
        searcher: tantivy.Searcher,
        query: SearchQuery,
        text_query: tantivy.Query | None,
        filters: list[tuple[tantivy.Occur, tantivy.Query]],
    ) -> dict[str, dict[str, int]]:
        if not query.facets:
            return {}
        combined = self._combine(text_query, filters)
        spec = {
            facet: {"terms": {"field": _FACET_COMBO_FIELDS[facet], "size": _MAX_COMBINATIONS}}
            for facet in query.facets
        }
        answer = searcher.aggregate(combined, spec)
        facets: dict[str, dict[str, int]] = {}
        for facet in query.facets:
            result = answer.get(facet, {})
            if result.get("sum_other_doc_count", 0):  # too many combinations: count directly
                direct = {"terms": {"field": _FACET_INDEX_FIELDS[facet], "size": MAX_FACET_VALUES}}
                result = searcher.aggregate(combined, {facet: direct})[facet]
                counts = {str(b["key"]): int(b["doc_count"]) for b in result["buckets"]}
            else:
                counts = {}
                for bucket in result.get("buckets", []):
                    for value in str(bucket["key"]).split(_COMBO_SEPARATOR):
                        counts[value] = counts.get(value, 0) + int(bucket["doc_count"])
            ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
            facets[facet] = dict(ordered[:MAX_FACET_VALUES])
        return facets

    # --- query building ---------------------------------------------------------------

    def _normalise(self, word: str) -> tuple[str, str]:
        """A word of stored text → (folded, stem) as indexed (for highlighting)."""
        known = self._normalised.get(word)
        if known is None:
            folded = fold(word)
            raw = self._raw.analyze(folded)
            stems = self._stem.analyze(folded)
            known = (raw[0] if raw else folded, stems[0] if stems else folded)
            if len(self._normalised) < 100_000:
                self._normalised[word] = known
        return known

    def _query_words(self, query: SearchQuery) -> list[QueryWord]:
        words: list[QueryWord] = []
        folded_words = query_words(query.text)
        prefix_last = query.prefix_last_word and not query.text.endswith(" ")
        for position, folded in enumerate(folded_words):
            raw = self._raw.analyze(folded)
            stems = self._stem.analyze(folded)
            if not raw or not stems:
                continue
            words.append(
                QueryWord(
                    folded=raw[0],
                    stem=stems[0],
                    prefix=prefix_last and position == len(folded_words) - 1,
                    optional=raw[0] in OPTIONAL_WORDS or raw[0].isdigit(),
                )
            )
        return words

    def _word_query(self, word: QueryWord) -> tantivy.Query:
        schema = self._schema
        Q = tantivy.Query
        alternatives = [
            Q.boost_query(Q.term_query(schema, "title_raw", word.folded), _W_TITLE_EXACT),
            Q.boost_query(Q.term_query(schema, "title_stem", word.stem), _W_TITLE_STEM),
            Q.boost_query(Q.term_query(schema, "body_raw", word.folded), _W_BODY_EXACT),
            Q.boost_query(Q.term_query(schema, "body_stem", word.stem), _W_BODY_STEM),
        ]
        prefix = word.prefix and len(word.folded) >= 2
        if word.typos or prefix:
            for name, weight in (("title_raw", _W_TITLE_FUZZY), ("body_raw", _W_BODY_FUZZY)):
                fuzzy = Q.fuzzy_term_query(
                    schema, name, word.folded, distance=word.typos, prefix=prefix
                )
                alternatives.append(Q.boost_query(fuzzy, weight))
        return Q.boolean_query([(tantivy.Occur.Should, q) for q in alternatives])

    def _text_query(
        self, words: list[QueryWord], required: list[QueryWord]
    ) -> tantivy.Query | None:
        if not words:
            return None
        clauses = [
            (tantivy.Occur.Must if w in required else tantivy.Occur.Should, self._word_query(w))
            for w in words
        ]
        return tantivy.Query.boolean_query(clauses)

    def _filters(self, query: SearchQuery) -> list[tuple[tantivy.Occur, tantivy.Query]]:
        schema = self._schema
        Q = tantivy.Query
        must = tantivy.Occur.Must
        clauses: list[tuple[tantivy.Occur, tantivy.Query]] = []
        for facet, values in query.facet_filters.items():
            clauses.append((must, Q.term_set_query(schema, _FACET_INDEX_FIELDS[facet], values)))
        if query.goal_id is not None:
            clauses.append((must, Q.term_query(schema, "goal_path", query.goal_id)))
        if query.min_price_ore is not None or query.max_price_ore is not None:
            price = Q.range_query(
                schema,
                "min_price_ore",
                tantivy.FieldType.Integer,
                query.min_price_ore,
                query.max_price_ore,
            )
            clauses.append((must, price))
        clauses.extend(self._restriction(query.restriction))
        return clauses

    def _restriction(
        self, restriction: CatalogueRestriction
    ) -> list[tuple[tantivy.Occur, tantivy.Query]]:
        schema = self._schema
        Q = tantivy.Query
        clauses: list[tuple[tantivy.Occur, tantivy.Query]] = []
        if restriction.has_allow_list:
            allowed = [
                (tantivy.Occur.Should, Q.term_set_query(schema, name, sorted(ids)))
                for name, ids in (
                    ("id", restriction.allowed_product_ids),
                    ("publisher", restriction.allowed_publisher_ids),
                )
                if ids
            ]
            clauses.append(
                (
                    tantivy.Occur.Must,
                    Q.boolean_query(allowed) if allowed else Q.empty_query(),
                )
            )
        for name, ids in (
            ("id", restriction.blocked_product_ids),
            ("publisher", restriction.blocked_publisher_ids),
        ):
            if ids:
                clauses.append((tantivy.Occur.MustNot, Q.term_set_query(schema, name, sorted(ids))))
        return clauses

    @staticmethod
    def _combine(
        text_query: tantivy.Query | None, filters: list[tuple[tantivy.Occur, tantivy.Query]]
    ) -> tantivy.Query:
        if not filters:
            return text_query if text_query is not None else tantivy.Query.all_query()
        clauses = list(filters)
        if text_query is not None:
            clauses.insert(0, (tantivy.Occur.Must, text_query))
        elif all(occur == tantivy.Occur.MustNot for occur, _ in clauses):
            clauses.insert(0, (tantivy.Occur.Must, tantivy.Query.all_query()))
        # Filters must not change the relevance score: only the text query scores.
        return tantivy.Query.boolean_query(
            [
                (occur, q if q is text_query else tantivy.Query.const_score_query(q, 0.0))
                for occur, q in clauses
            ]
        )
