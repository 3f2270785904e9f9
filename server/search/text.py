"""Danish text helpers shared by the search adapters: folding, query words, typo budget.

No search engine is imported here. Both adapters fold text the same way so that æ/ø/å typed as
ae/oe/aa match (``brøker`` and ``broeker`` both fold to ``broeker``), and both cut user input
the same way (at most ``MAX_QUERY_CHARS`` characters and ``MAX_QUERY_WORDS`` words).
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Final

MAX_QUERY_CHARS: Final = 200
MAX_QUERY_WORDS: Final = 10
MAX_TOKEN_CHARS: Final = 40  # longer "words" are noise (URLs, pasted hashes): dropped

# Words that never decide whether a product matches ("brøker til 5. klasse" must not require
# "til"); they still add to the score when present.
OPTIONAL_WORDS: Final = frozenset(
    {
        "og",
        "i",
        "til",
        "for",
        "med",
        "paa",
        "af",
        "en",
        "et",
        "at",
        "er",
        "om",
        "den",
        "det",
        "de",
        "som",
        "fra",
        "kl",
        "klasse",
        "klassetrin",
    }
)

_DANISH_FOLD: Final = str.maketrans(
    {"æ": "ae", "ø": "oe", "å": "aa", "ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"}
)
_WORD: Final = re.compile(r"\w+", re.UNICODE)


@lru_cache(maxsize=8192)
def fold(text: str) -> str:
    """Lower-case, æ/ø/å → ae/oe/aa, other accents stripped.

    ``Øvelser i Århus`` → ``oevelser i aarhus``; ``café`` → ``cafe``.
    """
    lowered = text.lower().translate(_DANISH_FOLD)
    if lowered.isascii():
        return lowered
    decomposed = unicodedata.normalize("NFKD", lowered)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def clean_query_text(text: str) -> str:
    """User input cut to what a search uses: ≤ 200 characters, ≤ 10 words, single spaces.

    A trailing space is kept (it says "the last word is complete": no prefix search on it).
    """
    cut = text[:MAX_QUERY_CHARS]
    ends_with_space = cut[-1:].isspace()
    words = cut.split()[:MAX_QUERY_WORDS]
    cleaned = " ".join(words)
    if ends_with_space and cleaned and len(words) < MAX_QUERY_WORDS:
        cleaned += " "
    return cleaned


def query_words(text: str) -> list[str]:
    """Folded words of (already cleaned) query text, punctuation dropped, long words dropped."""
    return [w for w in _WORD.findall(fold(text)) if len(w) <= MAX_TOKEN_CHARS][:MAX_QUERY_WORDS]


def typo_budget(word: str) -> int:
    """Edits a query word may be away from an indexed word (Meilisearch's defaults: 5 and 9)."""
    if len(word) >= 9:
        return 2
    if len(word) >= 5:
        return 1
    return 0


def within_edits(a: str, b: str, limit: int) -> bool:
    """Optimal-string-alignment distance(a, b) <= limit (a transposition costs one)."""
    if abs(len(a) - len(b)) > limit:
        return False
    if limit == 0:
        return a == b
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, start=1):
            cost = 0 if ca == cb else 1
            value = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                value = min(value, previous2[j - 2] + 1)
            current[j] = value
        if min(current) > limit:
            return False
        previous2, previous = previous, current
    return previous[-1] <= limit


@dataclass(frozen=True)
class QueryWord:
    """One query word as the engines see it: folded, its stem, whether it is a prefix."""

    folded: str
    stem: str
    prefix: bool
    optional: bool

    @property
    def typos(self) -> int:
        return typo_budget(self.folded)


class Highlighter:
    """Marks the words of a text that a query matched; everything else HTML-escaped.

    ``normalise`` maps a word of the text to ``(folded, stem)`` exactly as the engine indexes
    it, so a word is marked when its stem equals a query word's stem, when it is within the
    query word's typo budget, or (for the last query word) when it starts with it.
    """

    def __init__(
        self, words: Sequence[QueryWord], normalise: Callable[[str], tuple[str, str]]
    ) -> None:
        self._words = tuple(w for w in words if len(w.folded) >= 1)
        self._normalise = normalise
        self._seen: dict[str, bool] = {}

    def _matches(self, word: str) -> bool:
        known = self._seen.get(word)
        if known is not None:
            return known
        folded, stem = self._normalise(word)
        result = any(
            folded == q.folded
            or stem == q.stem
            or (q.prefix and len(q.folded) >= 2 and folded.startswith(q.folded))
            or (q.typos and within_edits(folded, q.folded, q.typos))
            for q in self._words
        )
        self._seen[word] = result
        return result

    def mark(self, text: str) -> str:
        """``text`` as HTML with ``<mark>`` around matched words."""
        parts: list[str] = []
        last = 0
        for match in _WORD.finditer(text):
            if self._words and self._matches(match.group()):
                parts.append(html.escape(text[last : match.start()]))
                parts.append(f"<mark>{html.escape(match.group())}</mark>")
                last = match.end()
        parts.append(html.escape(text[last:]))
        return "".join(parts)

    def snippet(self, text: str, max_chars: int = 200) -> str:
        """A window of at most ``max_chars`` around the first match, marked; "…" where cut."""
        if len(text) <= max_chars:
            return self.mark(text)
        start = 0
        if self._words:
            for match in _WORD.finditer(text):
                if self._matches(match.group()):
                    start = max(0, match.start() - max_chars // 4)
                    break
        if start:
            space = text.find(" ", start)
            start = space + 1 if 0 <= space < start + 20 else start
        end = min(len(text), start + max_chars)
        if end < len(text):
            space = text.rfind(" ", start, end)
            end = space if space > start + max_chars // 2 else end
        window = text[start:end]
        return ("…" if start else "") + self.mark(window) + ("…" if end < len(text) else "")
