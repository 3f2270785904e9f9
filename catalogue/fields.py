"""Field checks shared by the validators: a collector of errors per field path, and one
function per kind of field. Each records its problems in ``FieldErrors`` and returns the
clean value or ``None``, so a validator reports every problem of an input at once."""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping, Sequence
from typing import NoReturn

from catalogue.errors import CatalogueValidationError
from catalogue.text import json_type, plain_text_problems, url_problem
from catalogue.vocabulary import Vocabulary

UUID_TEXT = re.compile(
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
)
SHA256_HEX = re.compile(r"[0-9a-f]{64}")
MISSING = object()


class FieldErrors:
    def __init__(self) -> None:
        self.by_field: dict[str, list[str]] = {}

    def add(self, path: str, message: str) -> None:
        self.by_field.setdefault(path, []).append(message)

    def raise_if_any(self) -> None:
        if self.by_field:
            raise CatalogueValidationError(self.by_field)

    def raise_now(self) -> NoReturn:
        """Stop here (the input cannot be checked further); there is at least one error."""
        raise CatalogueValidationError(self.by_field)


def as_object(data: object, errors: FieldErrors, path: str) -> Mapping[str, object] | None:
    if not isinstance(data, Mapping) or not all(isinstance(key, str) for key in data):
        errors.add(path, f"must be a JSON object, not {json_type(data)}")
        return None
    return data


def refuse_unknown(
    data: Mapping[str, object], allowed: Sequence[str], errors: FieldErrors, prefix: str, what: str
) -> None:
    for key in data:
        if key not in allowed:
            errors.add(
                f"{prefix}{key}", f"is not a field of {what}; fields are: {', '.join(allowed)}"
            )


def text_field(
    data: Mapping[str, object],
    key: str,
    errors: FieldErrors,
    *,
    length: tuple[int, int],
    multiline: bool,
    path: str | None = None,
    required: bool = True,
) -> str | None:
    path = path or key
    value = data.get(key, MISSING)
    if value is MISSING or value is None:
        if required:
            errors.add(path, "is required")
        return None
    text, problems = plain_text_problems(
        value, min_length=length[0], max_length=length[1], multiline=multiline
    )
    for problem in problems:
        errors.add(path, problem)
    return text


def list_field(
    data: Mapping[str, object], key: str, errors: FieldErrors, *, required: bool, max_items: int
) -> Sequence[object] | None:
    value = data.get(key, MISSING)
    if value is MISSING or value is None:
        if required:
            errors.add(key, "is required")
            return None
        return ()
    if not isinstance(value, list | tuple):
        errors.add(key, f"must be a list, not {json_type(value)}")
        return None
    if len(value) > max_items:
        errors.add(key, f"must have at most {max_items} items (it has {len(value)})")
        return None
    return value


def codes_field(
    data: Mapping[str, object],
    key: str,
    vocabulary: Vocabulary,
    errors: FieldErrors,
    *,
    required: bool,
) -> tuple[str, ...]:
    items = list_field(data, key, errors, required=required, max_items=len(vocabulary))
    if items is None:
        return ()
    if required and not items:
        errors.add(key, f"must name at least one {vocabulary.name}")
    seen: list[str] = []
    for index, item in enumerate(items):
        path = f"{key}[{index}]"
        if not isinstance(item, str):
            errors.add(path, f"must be a string code, not {json_type(item)}")
        elif item not in vocabulary:
            errors.add(path, vocabulary.unknown_message(item))
        elif item in seen:
            errors.add(path, f"{item!r} appears twice")
        else:
            seen.append(item)
    return tuple(seen)


def code_field(
    data: Mapping[str, object],
    key: str,
    vocabulary: Vocabulary,
    errors: FieldErrors,
    *,
    path: str | None = None,
    default: str | None = None,
) -> str | None:
    path = path or key
    value = data.get(key, MISSING)
    if value is MISSING or value is None:
        if default is None:
            errors.add(path, f"is required; allowed: {', '.join(vocabulary.codes())}")
        return default
    if not isinstance(value, str) or value not in vocabulary:
        errors.add(path, vocabulary.unknown_message(value))
        return None
    return value


def whole_number(
    value: object, path: str, errors: FieldErrors, *, low: int, high: int | None
) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int):
        errors.add(path, f"must be a whole number, not {json_type(value)}")
        return None
    if value < low or (high is not None and value > high):
        bounds = f"{low}–{high}" if high is not None else f"at least {low}"
        errors.add(path, f"must be {bounds} (got {value})")
        return None
    return value


def url_field(
    data: Mapping[str, object],
    key: str,
    errors: FieldErrors,
    *,
    required: bool,
    path: str | None = None,
) -> str | None:
    path = path or key
    value = data.get(key, MISSING)
    if value is MISSING or value is None:
        if required:
            errors.add(path, "is required")
        return None
    problem = url_problem(value)
    if problem:
        errors.add(path, problem)
        return None
    assert isinstance(value, str)  # noqa: S101 - url_problem refuses non-strings
    return value


def parse_uuid(value: object) -> uuid.UUID | None:
    """A UUID from its canonical text form (8-4-4-4-12 hex) or a ``uuid.UUID``; else None."""
    if isinstance(value, uuid.UUID):
        return value
    if isinstance(value, str) and UUID_TEXT.fullmatch(value):
        return uuid.UUID(value)
    return None
