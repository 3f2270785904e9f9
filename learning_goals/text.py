"""Danish text analysis for goal search: words, stems, and æ/ø/å typed as ae/oe/aa.

Index terms are Danish Snowball stems folded to ASCII (``brøker`` → ``brøk`` → ``broek``), so
one bytewise-ordered index serves both "brøk" and "broek", and a prefix of a stem is a range
of that index (search-as-you-type). Folding to ASCII also keeps the order of terms the same on
every database (no collation surprises).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import cache, lru_cache

import snowballstemmer

_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_FOLD = str.maketrans({"æ": "ae", "ø": "oe", "å": "aa", "ä": "ae", "ö": "oe", "ü": "ue"})
_UNFOLD = (("aa", "å"), ("ae", "æ"), ("oe", "ø"))
#: Upper bound of a prefix range: the byte after the largest character a term may hold.
PREFIX_END = "{"
MAX_TERM_LENGTH = 60

# Short function words that would match nearly every goal ("Eleven kan …").
STOPWORDS = frozenset(
    [
        "og",
        "i",
        "at",
        "en",
        "et",
        "den",
        "det",
        "de",
        "der",
        "til",
        "af",
        "for",
        "med",
        "på",
        "om",
        "som",
        "er",
        "har",
        "kan",
        "skal",
        "eleven",
        "eleverne",
        "eller",
        "fra",
        "ved",
        "sin",
        "sine",
        "sit",
    ]
)


@cache
def _stemmer() -> snowballstemmer.stemmer:
    return snowballstemmer.stemmer("danish")


def fold(word: str) -> str:
    """Lower-case ASCII form: æ→ae, ø→oe, å→aa, other accents dropped, non-letters removed."""
    folded = word.casefold().translate(_FOLD)
    decomposed = unicodedata.normalize("NFKD", folded)
    return "".join(c for c in decomposed if c.isascii() and c.isalnum())[:MAX_TERM_LENGTH]


def words(text: str) -> list[str]:
    return [w.casefold() for w in _WORD.findall(text)]


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    return str(_stemmer().stemWord(word.casefold()))


@lru_cache(maxsize=65536)
def _term(word: str) -> str:
    return fold(stem(word))


def index_terms(text: str) -> set[str]:
    """The terms a text is indexed under (stopwords left out)."""
    terms = {_term(w) for w in words(text) if w not in STOPWORDS}
    terms.discard("")
    return terms


def weighted_terms(fields: Iterable[tuple[str | None, int]]) -> dict[str, int]:
    """Terms of several fields, each term keeping the highest weight of a field it is in."""
    found: dict[str, int] = {}
    for text, weight in fields:
        if not text:
            continue
        for term in index_terms(text):
            found[term] = max(found.get(term, 0), weight)
    return found


def query_alternatives(word: str) -> set[str]:
    """Index prefixes one typed word may mean: its stem, and its stem with ae/oe/aa as æ/ø/å."""
    word = word.casefold()
    candidates = {word}
    unfolded = word
    for ascii_form, letter in _UNFOLD:
        unfolded = unfolded.replace(ascii_form, letter)
    candidates.add(unfolded)
    found: set[str] = set()
    for candidate in candidates:
        for form in (stem(candidate), candidate):
            folded = fold(form)
            if folded:
                found.add(folded)
    # The shortest form already covers longer ones as a prefix.
    return {f for f in found if not any(o != f and f.startswith(o) for o in found)}


def query_words(query: str, *, max_words: int = 10) -> list[set[str]]:
    """One set of alternative prefixes per meaningful word of a query, at most ``max_words``."""
    result: list[set[str]] = []
    for word in words(query):
        if word in STOPWORDS:
            continue
        alternatives = query_alternatives(word)
        if alternatives:
            result.append(alternatives)
        if len(result) == max_words:
            break
    return result
