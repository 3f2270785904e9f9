"""1EdTech CASE import (a tolerant reader) and export (a strict writer).

``read_case_package`` reads CASE 1.0 and 1.1 packages as real tools write them (OpenSALT's
exports among them) into a ``FrameworkPackage``. It tolerates what it can interpret without
guessing — sequence numbers as text, URIs as plain strings, ``educationalLevel`` for
``educationLevel``, keys that CASE 1.1 does not define, associations that point outside the
package — and reports each kind of quirk once, with where and how often, in
``FrameworkPackage.warnings``. It refuses what it cannot interpret: a missing document,
identifier, statement, association type or association end raises ``CaseFormatError`` whose
``where`` names the item and the field (``CFItems[3] (identifier …) fullStatement``).

Identifiers that are not UUIDs get ``stable_id(document identifier, raw identifier)``, and the
association ends that name them follow, so re-importing a file keeps every id.

``package_to_case`` writes a CASE 1.1 ``CFPackage`` and checks it against 1EdTech's schema
(``schemas/case-v1p1-cfpackage.schema.json``) before returning it. Our own objects get URIs
under ``{base_uri}/ims/case/v1p0/``; external association ends keep what they were given.
What CASE has no slot for travels in the schema's open ``extensions`` objects, under the key
``skolehylde``:

* CFItem: ``kind``, ``gradeBand``, ``guidanceOnly``, ``sourceURL``;
* CFDocument: ``gaps`` — also appended to ``notes`` as plain-text lines under
  ``GAPS_HEADING``, for tools that drop extensions (the reader strips that block again, or
  recovers the gaps from it when the extension is gone).

``lastChangeDateTime``: an object's own ``last_change``, else (goals, associations) its
framework's, else ``FALLBACK_LAST_CHANGE``; always written in UTC as ``…Z``. CFItemTypes are
derived from the goals, so they always carry ``FALLBACK_LAST_CHANGE``.
"""

from __future__ import annotations

import functools
import json
import re
import uuid
from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from importlib import resources
from typing import Any

from jsonschema import FormatChecker
from jsonschema.validators import validator_for

from learning_goals.model import (
    GRADES,
    ITEM_TYPE_TITLES,
    Association,
    AssociationType,
    Framework,
    FrameworkPackage,
    Goal,
    GoalFrameworkError,
    GoalKind,
    NodeRef,
    kind_for_item_type,
    parent_map,
    stable_id,
    validate,
)

__all__ = [
    "CASE_PATH",
    "EXTENSION_KEY",
    "FALLBACK_LAST_CHANGE",
    "GAPS_HEADING",
    "CaseFormatError",
    "association_to_case",
    "document_to_case",
    "item_to_case",
    "item_types_to_case",
    "package_to_case",
    "read_case_package",
    "validate_case_package",
]

#: The path of the CASE REST binding under a provider's base URI.
CASE_PATH = "/ims/case/v1p0"
#: Our key inside the CASE ``extensions`` objects.
EXTENSION_KEY = "skolehylde"
#: ``lastChangeDateTime`` for an object that knows none: the Unix epoch — plainly "unknown",
#: and fixed, so exporting the same framework twice gives the same bytes.
FALLBACK_LAST_CHANGE = datetime(1970, 1, 1, tzinfo=UTC)
#: Heading of the plain-text block of gaps at the end of ``CFDocument.notes``.
GAPS_HEADING = "Known gaps:"

_SCHEMA_FILE = "case-v1p1-cfpackage.schema.json"
#: Schema definition of each object kind the reader checks keys of.
_SECTION_DEFS = {
    "CFPackage": None,
    "CFDocument": "CFPckgDocument",
    "CFItems[]": "CFPckgItem",
    "CFAssociations[]": "CFPckgAssociation",
}
_UUID_TEXT = re.compile(r"[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}")
_INTEGER_TEXT = re.compile(r"[+-]?\d+")
_RFC3339 = re.compile(
    r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})", re.ASCII
)
#: ``CFAssociationTypeExtEnum``'s extension pattern, as the schema writes it (unanchored).
_EXT_ASSOCIATION_TYPE = re.compile(r"(ext:)[a-z|A-Z|0-9|.|-|_]+")
_CASE_TYPES = frozenset(t.value for t in AssociationType)
_CASE_TYPE_BY_FOLD = {t.value.casefold(): t.value for t in AssociationType}
#: ``where`` as ``learning_goals.model.validate`` writes it.
_MODEL_WHERE = re.compile(r"(CFItem|CFAssociation) ([0-9a-f-]{36})(?: (\w+))?")


class CaseFormatError(GoalFrameworkError):
    """A CASE file cannot be read; ``where`` names the item and field.

    Also raised (as a bug guard) when our own output does not validate against the schema.
    """


# --------------------------------------------------------------------------------------
# Schema


@functools.cache
def _schema() -> dict[str, Any]:
    source = resources.files("learning_goals") / "schemas" / _SCHEMA_FILE
    schema: dict[str, Any] = json.loads(source.read_text(encoding="utf-8"))
    return schema


@functools.cache
def _validator() -> Any:
    """A validator for the schema's own draft (2019-09), asserting formats.

    Formats are only annotations in 2019-09; a strict writer wants them checked. jsonschema
    checks ``uuid`` and ``date`` with the standard library but ``date-time`` only if an extra
    package is installed, so we check RFC 3339 date-times ourselves.
    """
    schema = _schema()
    cls = validator_for(schema)
    cls.check_schema(schema)
    checker = FormatChecker()
    checker.checks("date-time", raises=ValueError)(_is_rfc3339_datetime)
    return cls(schema, format_checker=checker)


def _is_rfc3339_datetime(instance: object) -> bool:
    if not isinstance(instance, str):
        return True
    if not _RFC3339.fullmatch(instance):
        return False
    datetime.fromisoformat(instance.upper())  # ValueError for e.g. month 13
    return True


@functools.cache
def _case_fields(section: str) -> frozenset[str]:
    definition = _SECTION_DEFS[section]
    schema = _schema()
    node = schema if definition is None else schema["$defs"][definition]
    return frozenset(node["properties"])


def validate_case_package(doc: Mapping[str, Any]) -> list[str]:
    """Check ``doc`` against the CASE 1.1 CFPackage schema; one readable line per error.

    An empty list means valid. Lines read ``CFItems[3].lastChangeDateTime: <message>``.
    """
    instance = doc if isinstance(doc, dict) else dict(doc)
    errors = sorted(_validator().iter_errors(instance), key=_error_order)
    return [f"{_json_path(error.absolute_path)}: {error.message}" for error in errors]


def _error_order(error: Any) -> tuple[list[tuple[int, int | str]], str]:
    path: list[tuple[int, int | str]] = [
        (0, part) if isinstance(part, int) else (1, str(part)) for part in error.path
    ]
    return path, str(error.message)


def _json_path(parts: Iterable[object]) -> str:
    path = "CFPackage"
    for part in parts:
        path = f"{path}[{part}]" if isinstance(part, int) else f"{path}.{part}"
    return path.removeprefix("CFPackage.")


# --------------------------------------------------------------------------------------
# Reader


def read_case_package(data: Mapping[str, Any] | str | bytes) -> FrameworkPackage:
    """Read a CASE 1.0 or 1.1 CFPackage (parsed JSON, JSON text or UTF-8 bytes).

    Raises ``CaseFormatError`` for what cannot be interpreted and ``GoalFrameworkError``
    (as a ``CaseFormatError`` naming the place in the file) for a package that breaks the
    domain rules, e.g. an ``isChildOf`` cycle.
    """
    return _Reader(_load(data)).read()


def _load(data: Mapping[str, Any] | str | bytes) -> Mapping[str, Any]:
    if isinstance(data, bytes | bytearray):
        try:
            data = bytes(data).decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise CaseFormatError(f"not UTF-8 text ({error.reason})", where="CFPackage") from error
    if isinstance(data, str):
        try:
            data = json.loads(data.removeprefix("\ufeff"))
        except json.JSONDecodeError as error:
            message = f"not valid JSON ({error.msg} at line {error.lineno} column {error.colno})"
            raise CaseFormatError(message, where="CFPackage") from error
    if not isinstance(data, Mapping):
        raise CaseFormatError(f"expected an object, got {_json_type(data)}", where="CFPackage")
    return data


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list | tuple):
        return "an array"
    if isinstance(value, Mapping):
        return "an object"
    return type(value).__name__


def _canonical(identifier: str) -> str:
    """The form two spellings of one identifier share (UUIDs compare case-insensitively)."""
    identifier = identifier.strip()
    return identifier.lower() if _UUID_TEXT.fullmatch(identifier) else identifier


class _Notes:
    """The reader's warnings: one line per kind of quirk, with where and how often."""

    def __init__(self) -> None:
        self._entries: dict[str, Counter[str] | None] = {}

    def line(self, text: str) -> None:
        self._entries.setdefault(text, None)

    def tally(self, message: str, place: str) -> None:
        places = self._entries.get(message)
        if places is None:
            places = self._entries[message] = Counter()
        places[place] += 1

    def lines(self) -> tuple[str, ...]:
        out: list[str] = []
        for message, places in self._entries.items():
            if places is None:
                out.append(message)
                continue
            parts = [
                f"{place} ({count})" if count > 1 or "[]" in place else place
                for place, count in places.items()
            ]
            out.append(f"{message}: {', '.join(parts)}")
        return tuple(out)


_MISSING_REQUIRED = "required CASE fields missing, tolerated"
_NULLS = "null values read as absent"


class _Fields:
    """One object of the file: typed access by key, and a record of the keys used."""

    def __init__(self, data: Mapping[str, Any], section: str, where: str, notes: _Notes) -> None:
        self.data = data
        self.section = section
        self.where = where
        self.notes = notes
        self.used: set[str] = set()

    def place(self, key: str) -> str:
        return f"{self.section}.{key}"

    def get(self, key: str) -> Any:
        self.used.add(key)
        value = self.data.get(key)
        if value is None and key in self.data:
            self.notes.tally(_NULLS, self.place(key))
        return value

    def text(self, key: str) -> str | None:
        value = self.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise CaseFormatError(f"expected text, got {_json_type(value)}", where=self.at(key))
        if not isinstance(value, str):
            self.notes.tally("numbers read as text", self.place(key))
            value = str(value)
        return value

    def required(self, key: str) -> str:
        """Text CASE requires and we cannot do without: missing or blank is an error."""
        value = self.text(key)
        if value is None:
            raise CaseFormatError("missing", where=self.at(key))
        if not value.strip():
            raise CaseFormatError("empty", where=self.at(key))
        return value

    def at(self, key: str) -> str:
        return f"{self.where} {key}"

    def finish(self) -> None:
        """Report the keys nobody read: CASE fields we do not keep, and keys CASE lacks."""
        known = _case_fields(self.section)
        for key, value in self.data.items():
            if key in self.used:
                continue
            if value is None:
                self.notes.tally(_NULLS, self.place(key))
            elif key in known:
                self.notes.tally("CASE fields Skolehylde does not keep, dropped", self.place(key))
            else:
                self.notes.tally("fields that are not CASE 1.1, ignored", self.place(key))


class _Reader:
    def __init__(self, data: Mapping[str, Any]) -> None:
        self.notes = _Notes()
        if "CFDocument" not in data and isinstance(data.get("CFPackage"), Mapping):
            self.notes.line("package wrapped in a CFPackage object, unwrapped")
            data = data["CFPackage"]
        self.data: Mapping[str, Any] = data
        self.doc_key = ""
        self.doc_uri: str | None = None
        #: canonical raw identifier → our identifier, for the document and every item
        self.local: dict[str, str] = {}
        self.local_by_uri: dict[str, str] = {}
        self.uri_of: dict[str, str] = {}
        self.item_where: dict[uuid.UUID, str] = {}
        self.item_index: dict[uuid.UUID, int] = {}
        self.assoc_where: dict[uuid.UUID, str] = {}
        self.assoc_index: dict[uuid.UUID, int] = {}
        self.item_type_titles: dict[str, str] = {}

    def read(self) -> FrameworkPackage:
        top = _Fields(self.data, "CFPackage", "CFPackage", self.notes)
        raw_document = top.get("CFDocument")
        if raw_document is None:
            raise CaseFormatError("missing", where="CFDocument")
        if not isinstance(raw_document, Mapping):
            message = f"expected an object, got {_json_type(raw_document)}"
            raise CaseFormatError(message, where="CFDocument")
        document = _Fields(raw_document, "CFDocument", "CFDocument", self.notes)
        framework_fields = self._document(document)
        self._definitions(top.get("CFDefinitions"))
        goals = [self._item(i, raw) for i, raw in enumerate(self._array(top, "CFItems"))]
        associations = [
            self._association(i, raw) for i, raw in enumerate(self._array(top, "CFAssociations"))
        ]
        rubrics = top.get("CFRubrics")
        for _ in rubrics if isinstance(rubrics, list) else ():
            self.notes.tally("CASE objects Skolehylde does not keep, dropped", "CFRubrics[]")
        top.finish()

        if framework_fields.get("language") is None:
            framework_fields["language"] = self._language_from(goals)
        framework = Framework(**framework_fields)
        local = set(self.local.values())
        external = sum(
            1
            for a in associations
            if a.origin.identifier not in local or a.destination.identifier not in local
        )
        if external:
            self.notes.line(
                f"{external} associations point outside the package (kept as external references)"
                if external > 1
                else "1 association points outside the package (kept as an external reference)"
            )
        package = FrameworkPackage(
            framework=framework,
            goals=tuple(goals),
            associations=tuple(associations),
            warnings=self.notes.lines(),
        )
        self._validate(package)
        return package

    # -- sections ----------------------------------------------------------------------

    def _array(self, top: _Fields, key: str) -> list[Mapping[str, Any]]:
        value = top.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            raise CaseFormatError(f"expected an array, got {_json_type(value)}", where=key)
        for index, entry in enumerate(value):
            if not isinstance(entry, Mapping):
                message = f"expected an object, got {_json_type(entry)}"
                raise CaseFormatError(message, where=f"{key}[{index}]")
        return value

    def _definitions(self, value: object) -> None:
        if value is None or value == []:  # OpenSALT writes an empty array for "none"
            return
        if not isinstance(value, Mapping):
            message = f"expected an object, got {_json_type(value)}"
            raise CaseFormatError(message, where="CFDefinitions")
        for key, entries in value.items():
            if key == "CFItemTypes" and isinstance(entries, list):
                for entry in entries:
                    if isinstance(entry, Mapping):
                        self._item_type_definition(entry)
            elif isinstance(entries, list) and entries:
                for _ in entries:
                    place = f"CFDefinitions.{key}[]"
                    self.notes.tally("CASE objects Skolehylde does not keep, dropped", place)

    def _item_type_definition(self, entry: Mapping[str, Any]) -> None:
        # Item types are rebuilt from the goals on export; only the titles matter here.
        identifier, title = entry.get("identifier"), entry.get("title")
        if isinstance(identifier, str) and isinstance(title, str) and title.strip():
            self.item_type_titles[_canonical(identifier)] = title.strip()

    def _document(self, f: _Fields) -> dict[str, Any]:
        raw_id = self._identifier(f)
        f.where = f"CFDocument (identifier {raw_id})"
        self.doc_key = raw_id
        doc_id = self._assign(raw_id, f)
        self.local[_canonical(raw_id)] = str(doc_id)
        title = f.required("title")
        creator = f.text("creator")
        if creator is None:
            self.notes.tally(_MISSING_REQUIRED, f.place("creator"))
        uri = self._uri(f, "uri", required=True)
        self.doc_uri = uri
        if uri:
            self.local_by_uri[uri] = str(doc_id)
            self.uri_of[str(doc_id)] = uri
        f.get("caseVersion")  # we read 1.0 and 1.1 alike
        extension = self._extension(f)
        notes, gaps = self._notes_and_gaps(f.text("notes"), extension.get("gaps"))
        fields = {
            "id": doc_id,
            "title": title,
            "creator": creator or "",
            "version": f.text("version"),
            "subject": self._subject(f),
            "language": f.text("language"),
            "description": f.text("description"),
            "publisher": f.text("publisher"),
            "official_source_url": self._uri(f, "officialSourceURL"),
            "adoption_status": f.text("adoptionStatus"),
            "notes": notes,
            "uri": uri,
            "last_change": self._last_change(f),
            "gaps": gaps,
        }
        f.finish()
        return fields

    def _item(self, index: int, raw: Mapping[str, Any]) -> Goal:
        f = _Fields(raw, "CFItems[]", f"CFItems[{index}]", self.notes)
        raw_id = self._identifier(f)
        f.where = f"CFItems[{index}] (identifier {raw_id})"
        goal_id = self._assign(raw_id, f)
        if str(goal_id) == self.local.get(_canonical(self.doc_key)):
            raise CaseFormatError("the identifier is the CFDocument's", where=f.at("identifier"))
        if goal_id in self.item_index:
            message = f"the identifier appears twice (also CFItems[{self.item_index[goal_id]}])"
            raise CaseFormatError(message, where=f.at("identifier"))
        self.item_index[goal_id] = index
        self.item_where[goal_id] = f.where
        self.local[_canonical(raw_id)] = str(goal_id)

        full_statement = f.required("fullStatement")
        uri = self._uri(f, "uri", required=True)
        if uri:
            self.local_by_uri.setdefault(uri, str(goal_id))
            self.uri_of[str(goal_id)] = uri
        item_type = self._item_type(f)
        extension = self._extension(f)
        self._check_document_ref(f)
        goal = Goal(
            id=goal_id,
            full_statement=full_statement,
            kind=self._kind(extension.get("kind"), item_type),
            human_code=f.text("humanCodingScheme"),
            abbreviated_statement=f.text("abbreviatedStatement"),
            item_type=item_type,
            grade_band=self._extension_text(extension, "gradeBand"),
            grades=self._grades(f),
            position=self._position(f),
            language=f.text("language"),
            notes=f.text("notes"),
            uri=uri,
            last_change=self._last_change(f),
            guidance_only=self._extension_flag(extension, "guidanceOnly"),
            source_url=self._extension_text(extension, "sourceURL"),
        )
        f.finish()
        return goal

    def _association(self, index: int, raw: Mapping[str, Any]) -> Association:
        f = _Fields(raw, "CFAssociations[]", f"CFAssociations[{index}]", self.notes)
        raw_id = self._identifier(f)
        f.where = f"CFAssociations[{index}] (identifier {raw_id})"
        assoc_id = self._assign(raw_id, f)
        if assoc_id in self.assoc_index:
            message = (
                f"the identifier appears twice (also CFAssociations[{self.assoc_index[assoc_id]}])"
            )
            raise CaseFormatError(message, where=f.at("identifier"))
        self.assoc_index[assoc_id] = index
        self.assoc_where[assoc_id] = f.where
        association = Association(
            id=assoc_id,
            type=self._association_type(f),
            origin=self._node(f, "originNodeURI"),
            destination=self._node(f, "destinationNodeURI"),
            sequence_number=self._sequence_number(f),
            uri=self._uri(f, "uri", required=True),
            last_change=self._last_change(f),
        )
        self._extension(f)
        self._check_document_ref(f)
        f.finish()
        return association

    # -- fields ------------------------------------------------------------------------

    def _identifier(self, f: _Fields) -> str:
        return f.required("identifier").strip()

    def _assign(self, raw: str, f: _Fields) -> uuid.UUID:
        """Our id for a raw identifier: the UUID itself, or a stable uuid5 of a non-UUID."""
        if _UUID_TEXT.fullmatch(raw):
            if raw != raw.lower():
                self.notes.tally("UUIDs in upper case, written in lower case", f.section)
            return uuid.UUID(raw)
        self.notes.tally(
            "identifiers that are not UUIDs, replaced by stable uuid5 ids"
            " (association ends follow them)",
            f.section,
        )
        return stable_id(self.doc_key, raw)

    def _uri(self, f: _Fields, key: str, *, required: bool = False) -> str | None:
        value = f.get(key)
        if isinstance(value, Mapping):  # a LinkURI object where CASE wants a plain URI
            self.notes.tally("URIs given as LinkURI objects, their uri read", f.place(key))
            value = value.get("uri")
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.notes.tally(_MISSING_REQUIRED, f.place(key))
            return None
        if not isinstance(value, str):
            raise CaseFormatError(f"expected a URI, got {_json_type(value)}", where=f.at(key))
        return value.strip()

    def _last_change(self, f: _Fields) -> datetime | None:
        value = f.get("lastChangeDateTime")
        if value is None:
            self.notes.tally(_MISSING_REQUIRED, f.place("lastChangeDateTime"))
            return None
        try:
            parsed = datetime.fromisoformat(value.strip()) if isinstance(value, str) else None
        except ValueError:
            parsed = None
        if parsed is None:
            self.notes.tally("lastChangeDateTime not a date-time, dropped", f.section)
            return None
        if parsed.tzinfo is None:
            self.notes.tally("lastChangeDateTime without a time zone, read as UTC", f.section)
            parsed = parsed.replace(tzinfo=UTC)
        return parsed

    def _subject(self, f: _Fields) -> str | None:
        value = f.get("subject")
        if value is None:
            return None
        if isinstance(value, str):
            self.notes.tally("subject given as text, not an array", f.section)
            return value
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            message = f"expected an array of text, got {_json_type(value)}"
            raise CaseFormatError(message, where=f.at("subject"))
        if len(value) > 1:
            self.notes.tally("several subjects joined into one with '; '", f.section)
        return "; ".join(value) or None

    def _notes_and_gaps(
        self, notes: str | None, gaps: object
    ) -> tuple[str | None, tuple[str, ...]]:
        """Separate the gaps block ``package_to_case`` appends to the notes."""
        if gaps is not None:
            if not isinstance(gaps, list) or not all(isinstance(g, str) for g in gaps):
                self.notes.tally(
                    f"{EXTENSION_KEY} extension fields of the wrong type, ignored",
                    "CFDocument.extensions.gaps",
                )
                gaps = None
            else:
                found = tuple(gaps)
                return _without_gaps_block(notes, found), found
        if notes is None:
            return None, ()
        recovered = _trailing_gaps_block(notes)
        if recovered is None:
            return notes, ()
        self.notes.line(
            f"CFDocument has no {EXTENSION_KEY} gaps extension; gaps read from its notes"
        )
        return _without_gaps_block(notes, recovered), recovered

    def _item_type(self, f: _Fields) -> str | None:
        value = f.get("CFItemType")
        if isinstance(value, Mapping):
            self.notes.tally("CFItemType given as an object, its title read", f.section)
            value = value.get("title")
        if value is not None and not isinstance(value, str):
            message = f"expected text, got {_json_type(value)}"
            raise CaseFormatError(message, where=f.at("CFItemType"))
        if not value or not value.strip():
            value = self._item_type_from_uri(f.get("CFItemTypeURI"))
            if value:
                self.notes.tally("CFItemType taken from CFItemTypeURI", f.section)
        else:
            f.get("CFItemTypeURI")
        return value.strip() if value and value.strip() else None

    def _item_type_from_uri(self, link: object) -> str | None:
        if not isinstance(link, Mapping):
            return None
        title = link.get("title")
        if isinstance(title, str) and title.strip():
            return title
        identifier = link.get("identifier")
        return (
            self.item_type_titles.get(_canonical(identifier))
            if isinstance(identifier, str)
            else None
        )

    def _kind(self, value: object, item_type: str | None) -> GoalKind:
        if value is None:
            return kind_for_item_type(item_type)
        if isinstance(value, str) and value in GoalKind.__members__.values():
            return GoalKind(value)
        self.notes.tally(f"unknown {EXTENSION_KEY} kinds, kind taken from CFItemType", repr(value))
        return kind_for_item_type(item_type)

    def _extension(self, f: _Fields) -> Mapping[str, Any]:
        value = f.get("extensions")
        if value is None:
            return {}
        if not isinstance(value, Mapping):
            self.notes.tally("extensions that are not objects, ignored", f.place("extensions"))
            return {}
        ours: Mapping[str, Any] = {}
        for key, entry in value.items():
            if key != EXTENSION_KEY:
                self.notes.tally(
                    "extensions of other tools, dropped", f"{f.section}.extensions.{key}"
                )
            elif isinstance(entry, Mapping):
                ours = entry
            else:
                self.notes.tally(
                    "extensions that are not objects, ignored", f"{f.section}.extensions.{key}"
                )
        return ours

    def _extension_text(self, extension: Mapping[str, Any], key: str) -> str | None:
        value = extension.get(key)
        if value is None or isinstance(value, str):
            return value
        self.notes.tally(f"{EXTENSION_KEY} extension fields of the wrong type, ignored", key)
        return None

    def _extension_flag(self, extension: Mapping[str, Any], key: str) -> bool:
        value = extension.get(key, False)
        if isinstance(value, bool):
            return value
        self.notes.tally(f"{EXTENSION_KEY} extension fields of the wrong type, ignored", key)
        return False

    def _grades(self, f: _Fields) -> tuple[int, ...]:
        key = "educationLevel"
        value = f.get(key)
        if value is None and f.data.get("educationalLevel") is not None:
            key = "educationalLevel"
            value = f.get(key)
            self.notes.tally("educationalLevel read as educationLevel", f.section)
        if value is None:
            return ()
        if isinstance(value, str):
            if key == "educationLevel":
                self.notes.tally("educationLevel given as text, not an array", f.section)
            levels = value.split(",")
        elif isinstance(value, list) and all(
            isinstance(v, str | int) and not isinstance(v, bool) for v in value
        ):
            levels = [str(v) for v in value]
        else:
            message = f"expected an array of text, got {_json_type(value)}"
            raise CaseFormatError(message, where=f.at(key))
        grades: set[int] = set()
        for level in (v.strip() for v in levels):
            if not level:
                continue
            grade = _grade(level)
            if grade is None:
                self.notes.tally("educationLevel values outside grades 0–10, dropped", repr(level))
            else:
                grades.add(grade)
        return tuple(sorted(grades))

    def _position(self, f: _Fields) -> int | None:
        value = f.get("listEnumeration")
        if value is None:
            return None
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, str) and _INTEGER_TEXT.fullmatch(value.strip()):
            return int(value)
        self.notes.tally("listEnumeration not an integer, no position kept", f.section)
        return None

    def _check_document_ref(self, f: _Fields) -> None:
        # CFDocumentURI (CASE 1.0) is left "unused" so it is listed as not CASE 1.1; here we
        # only make sure it does not name some other document.
        value = f.data.get("CFDocumentURI")
        if value is None:
            return
        identifier = value.get("identifier") if isinstance(value, Mapping) else None
        uri = value.get("uri") if isinstance(value, Mapping) else value
        same = (
            isinstance(identifier, str) and _canonical(identifier) == _canonical(self.doc_key)
        ) or (isinstance(uri, str) and uri.strip() == self.doc_uri)
        if not same:
            self.notes.tally(
                "CFDocumentURI names another document (kept in this framework)", f.section
            )

    def _association_type(self, f: _Fields) -> str:
        value = f.required("associationType").strip()
        if _is_case_association_type(value):
            return value
        folded = _CASE_TYPE_BY_FOLD.get(value.casefold())
        if folded is not None:
            self.notes.tally("associationType in another letter case, normalised", repr(value))
            return folded
        kept = "ext:" + re.sub(r"[^A-Za-z0-9._]", "_", value)
        self.notes.tally(
            "associationType values CASE 1.1 does not define, kept as extension types",
            f"{value!r} → {kept!r}",
        )
        return kept

    def _node(self, f: _Fields, key: str) -> NodeRef:
        value = f.get(key)
        if value is None:
            raise CaseFormatError("missing", where=f.at(key))
        identifier: str | None = None
        title: str | None = None
        if isinstance(value, str):
            self.notes.tally("association ends given as a plain URI", f.place(key))
            uri: str | None = value
        elif isinstance(value, Mapping):
            identifier = _link_text(value, "identifier", f"{f.at(key)}.identifier")
            uri = _link_text(value, "uri", f"{f.at(key)}.uri")
            title = _link_text(value, "title", f"{f.at(key)}.title")
        else:
            message = f"expected a LinkGenURI object, got {_json_type(value)}"
            raise CaseFormatError(message, where=f.at(key))
        uri = uri.strip() if uri and uri.strip() else None
        identifier = identifier.strip() if identifier and identifier.strip() else None
        if identifier is not None:
            local = self.local.get(_canonical(identifier))
        elif uri is not None:
            local = self.local_by_uri.get(uri)
            identifier = uri.rstrip("/").rsplit("/", 1)[-1]
            if local is None:
                self.notes.tally(
                    "association ends without identifier, taken from the end of their uri",
                    f.place(key),
                )
        else:
            raise CaseFormatError("missing", where=f"{f.at(key)}.identifier")
        if local is not None:
            return NodeRef(identifier=local, uri=uri or self.uri_of.get(local, ""), title=title)
        if uri is None:
            self.notes.tally("external association ends without a uri", f.place(key))
        return NodeRef(identifier=identifier, uri=uri or "", title=title)

    def _sequence_number(self, f: _Fields) -> int | None:
        value = f.get("sequenceNumber")
        if value is None:
            return None
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, str) and _INTEGER_TEXT.fullmatch(value.strip()):
            self.notes.tally("sequenceNumber given as text, read as an integer", f.section)
            return int(value)
        self.notes.tally("sequenceNumber not an integer, dropped", f.section)
        return None

    def _language_from(self, goals: list[Goal]) -> str:
        languages = Counter(goal.language for goal in goals if goal.language)
        if languages:
            language = languages.most_common(1)[0][0]
            self.notes.line(f"CFDocument has no language; {language!r} taken from its items")
            return language
        default = str(Framework.__dataclass_fields__["language"].default)
        self.notes.line(f"CFDocument has no language; {default!r} assumed")
        return default

    # -- domain rules ------------------------------------------------------------------

    def _validate(self, package: FrameworkPackage) -> None:
        """``model.validate``, with its ``where`` translated to a place in the file."""
        try:
            validate(package)
        except CaseFormatError:
            raise
        except GoalFrameworkError as error:
            raise self._located(error, package) from error

    def _located(self, error: GoalFrameworkError, package: FrameworkPackage) -> CaseFormatError:
        match = _MODEL_WHERE.fullmatch(error.where or "")
        if match is None:
            return CaseFormatError(error.message, where=error.where)
        kind, identifier, field = match.groups()
        node = uuid.UUID(identifier)
        if kind == "CFItem" and field is None:  # validate() reports a cycle on a goal
            edge = _cycle_edge(package, node)
            if edge is not None and node in self.item_where:
                return CaseFormatError(
                    f"{error.message} through {self.item_where[node]}",
                    where=f"{self.assoc_where[edge.id]} destinationNodeURI",
                )
        places = self.item_where if kind == "CFItem" else self.assoc_where
        place = places.get(node, f"{kind} {identifier}")
        return CaseFormatError(error.message, where=f"{place} {field}" if field else place)


def _link_text(link: Mapping[str, Any], key: str, where: str) -> str | None:
    value = link.get(key)
    if value is None or isinstance(value, str):
        return value
    raise CaseFormatError(f"expected text, got {_json_type(value)}", where=where)


def _grade(level: str) -> int | None:
    """A CASE education level as our grade 0–10, or None if it is no such grade."""
    level = level.upper()
    if level in ("KG", "K"):
        return 0
    if level.isascii() and level.isdigit() and int(level) in GRADES:
        return int(level)
    return None


def _cycle_edge(package: FrameworkPackage, node: uuid.UUID) -> Association | None:
    """The ``isChildOf`` association from ``node`` whose way up leads back to ``node``."""
    parents = parent_map(package)
    ids = {str(goal.id): goal.id for goal in package.goals}
    for association in package.associations:
        if association.type != AssociationType.IS_CHILD_OF:
            continue
        if association.origin.identifier != str(node):
            continue
        parent = ids.get(association.destination.identifier)
        if parent is None:
            continue
        seen, frontier = {parent}, [parent]
        while frontier:
            if node in frontier:
                return association
            frontier = [p for current in frontier for p in parents[current] if p not in seen]
            seen.update(frontier)
    return None


def _gaps_block(gaps: Iterable[str]) -> str:
    return "\n".join([GAPS_HEADING, *(f"- {gap}" for gap in gaps)])


def _without_gaps_block(notes: str | None, gaps: tuple[str, ...]) -> str | None:
    if notes is None or not gaps:
        return notes
    block = _gaps_block(gaps)
    if notes == block:
        return None
    return notes.removesuffix(f"\n\n{block}")


def _trailing_gaps_block(notes: str) -> tuple[str, ...] | None:
    head, separator, tail = notes.rpartition(f"{GAPS_HEADING}\n")
    if not separator or (head and not head.endswith("\n\n")):
        return None
    lines = tail.split("\n")
    if not lines or not all(line.startswith("- ") for line in lines):
        return None
    return tuple(line[2:] for line in lines)


# --------------------------------------------------------------------------------------
# Writer


def package_to_case(package: FrameworkPackage, base_uri: str) -> dict[str, Any]:
    """The package as a CASE 1.1 CFPackage, checked against the CASE 1.1 schema.

    Raises ``GoalFrameworkError`` if the package breaks a domain rule, and
    ``CaseFormatError`` if the output does not validate (a bug in this module).
    """
    validate(package)
    framework = package.framework
    goals = {str(goal.id): goal for goal in package.goals}
    doc: dict[str, Any] = {
        "CFDocument": document_to_case(framework, base_uri),
        "CFItems": [item_to_case(goal, framework, base_uri) for goal in package.goals],
        "CFAssociations": [
            association_to_case(association, framework, base_uri, goals=goals)
            for association in package.associations
        ],
        "CFDefinitions": {"CFItemTypes": item_types_to_case(package.goals, base_uri)},
    }
    errors = validate_case_package(doc)
    if errors:
        raise CaseFormatError(
            f"our CASE output does not validate against the CASE 1.1 schema"
            f" ({len(errors)} error{'s' if len(errors) > 1 else ''}, first: {errors[0]})",
            where="CFPackage",
        )
    return doc


def document_to_case(framework: Framework, base_uri: str) -> dict[str, Any]:
    """The framework as a CASE 1.1 package CFDocument."""
    doc: dict[str, Any] = {
        "identifier": str(framework.id),
        "uri": _case_uri(base_uri, "CFDocuments", framework.id),
        "caseVersion": "1.1",
        "creator": framework.creator,
        "title": framework.title,
        "lastChangeDateTime": _datetime_text(framework.last_change),
    }
    _put(doc, "officialSourceURL", framework.official_source_url)
    _put(doc, "publisher", framework.publisher)
    _put(doc, "description", framework.description)
    if framework.subject is not None:
        doc["subject"] = [framework.subject]
    _put(doc, "language", framework.language)
    _put(doc, "version", framework.version)
    _put(doc, "adoptionStatus", framework.adoption_status)
    if framework.gaps:
        block = _gaps_block(framework.gaps)
        doc["notes"] = f"{framework.notes}\n\n{block}" if framework.notes else block
        doc["extensions"] = {EXTENSION_KEY: {"gaps": list(framework.gaps)}}
    else:
        _put(doc, "notes", framework.notes)
    return doc


def item_to_case(goal: Goal, framework: Framework, base_uri: str) -> dict[str, Any]:
    """The goal as a CASE 1.1 package CFItem (its kind and grade band in ``extensions``)."""
    item: dict[str, Any] = {"identifier": str(goal.id), "fullStatement": goal.full_statement}
    item_type = _item_type_title(goal)
    _put(item, "CFItemType", item_type)
    item["uri"] = _case_uri(base_uri, "CFItems", goal.id)
    _put(item, "humanCodingScheme", goal.human_code)
    if goal.position is not None:
        item["listEnumeration"] = str(goal.position)
    _put(item, "abbreviatedStatement", goal.abbreviated_statement)
    _put(item, "notes", goal.notes)
    _put(item, "language", goal.language)
    if goal.grades:
        item["educationLevel"] = [_education_level(grade) for grade in sorted(set(goal.grades))]
    if item_type is not None:
        item["CFItemTypeURI"] = {
            "title": item_type,
            "identifier": str(_item_type_id(item_type)),
            "uri": _case_uri(base_uri, "CFItemTypes", _item_type_id(item_type)),
        }
    item["lastChangeDateTime"] = _datetime_text(goal.last_change, framework.last_change)
    extension = _goal_extension(goal)
    if extension:
        item["extensions"] = {EXTENSION_KEY: extension}
    return item


def association_to_case(
    association: Association,
    framework: Framework,
    base_uri: str,
    goals: Mapping[str, Goal] | None = None,
) -> dict[str, Any]:
    """The association as a CASE 1.1 package CFAssociation.

    An end naming the framework's document, or a goal in ``goals`` (by id string), is ours:
    it gets our URI and a title from the goal. Any other end is written as the association
    holds it. Pass ``goals`` with (at least) the association's own goals to get exactly what
    ``package_to_case`` writes for it.
    """
    if not _is_case_association_type(association.type):
        raise CaseFormatError(
            f"{association.type!r} is neither a CASE 1.1 association type nor 'ext:…'",
            where=f"CFAssociation {association.id} associationType",
        )
    ours = goals or {}
    out: dict[str, Any] = {
        "identifier": str(association.id),
        "associationType": association.type,
    }
    if association.sequence_number is not None:
        out["sequenceNumber"] = association.sequence_number
    out["uri"] = _case_uri(base_uri, "CFAssociations", association.id)
    out["originNodeURI"] = _node_link(association.origin, framework, ours, base_uri)
    out["destinationNodeURI"] = _node_link(association.destination, framework, ours, base_uri)
    out["lastChangeDateTime"] = _datetime_text(association.last_change, framework.last_change)
    return out


def item_types_to_case(goals: Iterable[Goal], base_uri: str) -> list[dict[str, Any]]:
    """The CFItemTypes the goals use: our Fælles Mål layers first, in layer order.

    Ids are ``stable_id("CFItemType", title)`` — one id per title, whatever the framework —
    so ``{base_uri}/ims/case/v1p0/CFItemTypes/{id}`` serves one type. ``hierarchyCode`` is
    the layer number (1 = kompetenceområde …) for ours and "1" for any other title;
    ``typeCode`` is our kind's name for ours.
    """
    used = {title for goal in goals if (title := _item_type_title(goal)) is not None}
    ours = [title for title in ITEM_TYPE_TITLES.values() if title in used]
    foreign = sorted(used.difference(ours))
    layers = {title: position for position, title in enumerate(ITEM_TYPE_TITLES.values(), 1)}
    types: list[dict[str, Any]] = []
    for title in [*ours, *foreign]:
        item_type: dict[str, Any] = {
            "identifier": str(_item_type_id(title)),
            "uri": _case_uri(base_uri, "CFItemTypes", _item_type_id(title)),
            "title": title,
            "description": f"Fælles Mål: {title}" if title in layers else title,
            "hierarchyCode": str(layers.get(title, 1)),
        }
        if title in layers:
            item_type["typeCode"] = kind_for_item_type(title).value
        item_type["lastChangeDateTime"] = _datetime_text(None)
        types.append(item_type)
    return types


def _case_uri(base_uri: str, collection: str, identifier: object) -> str:
    return f"{base_uri.rstrip('/')}{CASE_PATH}/{collection}/{identifier}"


def _put(target: dict[str, Any], key: str, value: str | None) -> None:
    if value is not None:
        target[key] = value


def _datetime_text(*candidates: datetime | None) -> str:
    """The first known instant, in UTC, as RFC 3339 (``2017-05-25T18:05:33Z``).

    A naive datetime is taken to be UTC.
    """
    moment = next((c for c in candidates if c is not None), FALLBACK_LAST_CHANGE)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _education_level(grade: int) -> str:
    return "KG" if grade == 0 else f"{grade:02d}"


def _item_type_title(goal: Goal) -> str | None:
    return goal.item_type or ITEM_TYPE_TITLES.get(goal.kind)


def _item_type_id(title: str) -> uuid.UUID:
    return stable_id("CFItemType", title)


def _goal_extension(goal: Goal) -> dict[str, Any]:
    extension: dict[str, Any] = {}
    if goal.kind is not GoalKind.OTHER or goal.grade_band or goal.guidance_only or goal.source_url:
        extension["kind"] = goal.kind.value
    _put(extension, "gradeBand", goal.grade_band)
    if goal.guidance_only:
        extension["guidanceOnly"] = True
    _put(extension, "sourceURL", goal.source_url)
    return extension


def _node_link(
    node: NodeRef, framework: Framework, goals: Mapping[str, Goal], base_uri: str
) -> dict[str, str]:
    if node.identifier == str(framework.id):
        uri = _case_uri(base_uri, "CFDocuments", framework.id)
        return {"title": framework.title, "identifier": node.identifier, "uri": uri}
    goal = goals.get(node.identifier)
    if goal is not None:
        title = goal.human_code or goal.abbreviated_statement or goal.full_statement
        uri = _case_uri(base_uri, "CFItems", goal.id)
        return {"title": title, "identifier": node.identifier, "uri": uri}
    title = node.title if node.title is not None else node.identifier
    return {"title": title, "identifier": node.identifier, "uri": node.uri}


def _is_case_association_type(value: str) -> bool:
    return value in _CASE_TYPES or _EXT_ASSOCIATION_TYPE.search(value) is not None
