"""Plain-text and URL rules shared by listings, offers and reviews.

Text fields are plain text: we refuse anything that looks like markup rather than strip it,
so what the publisher or teacher sees after saving is exactly what they typed, and no
renderer downstream (web, Kivy, e-mail) is trusted to escape well. Every ``*_problem``
function returns a message or ``None``; the callers collect them per field.
"""

from __future__ import annotations

import re
import unicodedata
from html.entities import html5
from urllib.parse import urlsplit

#: ``<`` followed by a letter, ``/``, ``!`` or ``?`` starts a tag, comment or processing
#: instruction in HTML, closed or not. "3 < 5" (a space after ``<``) stays allowed.
_TAG_START = re.compile(r"<[A-Za-z/!?]")
#: Character references (``&lt;``, ``&#60;``, ``&#x3c;``): HTML, and a way to smuggle a tag.
#: Named ones count only when HTML knows the name, so "R&D;" stays plain text.
_CHAR_REF = re.compile(r"&(?:#[0-9]+;|#[xX][0-9A-Fa-f]+;|([A-Za-z][A-Za-z0-9]*;))")
#: Script URL schemes, also with whitespace between the letters (browsers drop tabs/newlines).
_SCRIPT_SCHEME = re.compile(
    r"(?:j\s*a\s*v\s*a|v\s*b)\s*s\s*c\s*r\s*i\s*p\s*t\s*:|d\s*a\s*t\s*a\s*:\s*text/html",
    re.IGNORECASE,
)
#: Bidirectional embedding/override/isolate marks: they let a title display as other text.
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")

LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
MAX_URL_LENGTH = 2000


def normalise(text: str) -> str:
    """NFC (so "æ" typed two ways is one string, and lengths are what the reader sees), stripped."""
    return unicodedata.normalize("NFC", text).strip()


def markup_problem(text: str) -> str | None:
    """Why ``text`` is not plain text, or ``None``."""
    tag = _TAG_START.search(text)
    if tag:
        excerpt = text[tag.start() : tag.start() + 20]
        return (
            f"looks like HTML ({excerpt!r}); text fields are plain text — remove the markup, "
            "or put a space after '<' if you mean 'less than'"
        )
    ref = next(
        (m for m in _CHAR_REF.finditer(text) if m.group(1) is None or m.group(1) in html5), None
    )
    if ref:
        return (
            f"contains the HTML character reference {ref.group()!r}; "
            "text fields are plain text — type the character itself"
        )
    if _SCRIPT_SCHEME.search(text):
        return "contains a script URL (javascript:, vbscript: or data:text/html); these are refused"
    return None


def character_problem(text: str, *, multiline: bool) -> str | None:
    """Control characters (other than line breaks and tabs in multi-line text) and bidi marks."""
    for char in text:
        if char in "\n\r\t":
            if not multiline:
                return "must be a single line (no line breaks or tabs)"
            continue
        if unicodedata.category(char) == "Cc":
            return f"contains the control character U+{ord(char):04X}"
        if char in _BIDI_CONTROLS:
            return f"contains the bidirectional control character U+{ord(char):04X}"
    return None


def plain_text_problems(
    value: object, *, min_length: int, max_length: int, multiline: bool
) -> tuple[str | None, list[str]]:
    """Check a plain-text field: ``(normalised text or None, problems)``."""
    if not isinstance(value, str):
        return None, [f"must be a string, not {json_type(value)}"]
    text = normalise(value)
    problems: list[str] = []
    if len(text) < min_length:
        problems.append(
            "must not be empty"
            if min_length == 1
            else f"must be at least {min_length} characters (it is {len(text)})"
        )
    if len(text) > max_length:
        problems.append(f"must be at most {max_length} characters (it is {len(text)})")
    for problem in (markup_problem(text), character_problem(text, multiline=multiline)):
        if problem:
            problems.append(problem)
    return (text if not problems else None), problems


def url_problem(value: object) -> str | None:
    """Why ``value`` is not an acceptable link, or ``None``.

    https only; plain http only for ``localhost``/``127.0.0.1``/``::1`` (the demo tool runs
    there). No credentials in the URL, no whitespace, at most 2000 characters.
    """
    if not isinstance(value, str):
        return f"must be a URL string, not {json_type(value)}"
    if not value:
        return "must not be empty"
    if len(value) > MAX_URL_LENGTH:
        return f"must be at most {MAX_URL_LENGTH} characters"
    if any(c.isspace() or unicodedata.category(c) == "Cc" for c in value):
        return "must not contain spaces or control characters"
    try:
        parts = urlsplit(value)
        host = parts.hostname
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError as error:
        return f"is not a valid URL ({error})"
    scheme = parts.scheme.lower()
    if scheme in {"javascript", "vbscript", "data"}:
        return f"{scheme}: URLs are not allowed; use an https:// link"
    if scheme not in {"https", "http"}:
        return f"must start with https:// (got {scheme + ':' if scheme else 'no scheme'})"
    if not host:
        return "must name a host, e.g. https://example.dk/"
    if parts.username is not None or parts.password is not None:
        return "must not contain a user name or password"
    if scheme == "http" and host not in LOCAL_HOSTS:
        return "must use https:// (plain http:// is only allowed for localhost and 127.0.0.1)"
    return None


def json_type(value: object) -> str:
    """The JSON name of a value's type, for messages: "a number", "null", "a list"…"""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "a number"
    if isinstance(value, float):
        return "a decimal number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__
