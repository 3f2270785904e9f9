"""Reading a school's roster file: CSV in, checked lines and a row-by-row problem list out.

No database here: ``parse_roster`` checks everything a file can say about itself (columns,
types, names, ids, class names, CPR numbers); ``operations.import_roster`` checks the rest
against the school (does the class exist?) and applies the file in one transaction.

The format (one header line, then one line per class or person)::

    type;class;grade;name;external_id;email
    klasse;4.B;4;;;
    elev;4.B;;Emma Hansen;E-1001;
    lærer;4.B;;Jens Jensen;L-77;jens@skole.dk

- UTF-8, with or without a byte-order mark; ``;`` (Danish Excel), ``,`` or tab between fields.
- ``type``: klasse / elev / lærer (or class / pupil / teacher).
- ``class``: "4.B"; for klasse lines ``grade`` may be given and must agree with the name.
- ``name`` and ``external_id`` (the school system's id) are required for people.
- ``email``: teachers only; a pupil's e-mail address is ignored (not stored) with a warning.
- Anything shaped like a CPR number, in any column, rejects its line; it is never echoed back.

Rows are numbered as a spreadsheet shows them: the header is row 1.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from typing import Literal

from server.organisations.validation import (
    CLASS_NAME_RULE,
    MAX_GRADE,
    MIN_GRADE,
    ClassName,
    email_is_plausible,
    looks_like_cpr,
    parse_class_name,
)

MAX_BYTES = 2 * 1024 * 1024
MAX_NAME = 200
MAX_EXTERNAL_ID = 300

PersonKind = Literal["pupil", "teacher"]

COLUMNS = ("type", "class", "grade", "name", "external_id", "email")
REQUIRED_COLUMNS = ("type", "class", "name", "external_id")
_COLUMN_ALIASES = {
    "type": "type",
    "rolle": "type",
    "class": "class",
    "klasse": "class",
    "grade": "grade",
    "klassetrin": "grade",
    "årgang": "grade",
    "name": "name",
    "navn": "name",
    "external_id": "external_id",
    "externalid": "external_id",
    "ekstern_id": "external_id",
    "id": "external_id",
    "email": "email",
    "e_mail": "email",
    "mail": "email",
}
_CPR_COLUMNS = re.compile(r"^(cpr|cpr_?nr|cpr_?nummer|personnummer|person_?nr)$")
_TYPES: dict[str, Literal["class", "pupil", "teacher"]] = {
    "klasse": "class",
    "class": "class",
    "elev": "pupil",
    "pupil": "pupil",
    "student": "pupil",
    "lærer": "teacher",
    "laerer": "teacher",
    "teacher": "teacher",
}
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
CPR_MESSAGE = (
    "This looks like a CPR number. Skolehylde never stores CPR numbers: remove it from the"
    " file (use the school system's own id as external_id)."
)


@dataclass(frozen=True, slots=True)
class Problem:
    row: int
    field: str
    message: str


@dataclass(frozen=True, slots=True)
class ClassLine:
    row: int
    name: ClassName


@dataclass(frozen=True, slots=True)
class PersonLine:
    row: int
    kind: PersonKind
    name: str
    external_id: str
    class_name: ClassName | None
    email: str | None


@dataclass(slots=True)
class ParsedRoster:
    classes: list[ClassLine] = field(default_factory=list)
    people: list[PersonLine] = field(default_factory=list)
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    #: (row, class) of every person line naming a class, good line or not: the import checks
    #: that each class exists, so a bad line's report is complete too
    class_refs: list[tuple[int, ClassName]] = field(default_factory=list)
    #: data lines read (blank lines not counted)
    lines: int = 0


def parse_roster(data: bytes) -> ParsedRoster:
    """Check every line of a roster file; collect every problem rather than stop at the first."""
    parsed = ParsedRoster()
    text = _decode(data, parsed)
    if text is None:
        return parsed
    if not text.strip():
        parsed.errors.append(Problem(1, "file", "The file is empty: it needs a header line."))
        return parsed
    first_line = text.splitlines()[0]
    delimiter = max(";,\t", key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=False)
    try:
        header = next(reader)
    except csv.Error as error:
        parsed.errors.append(Problem(1, "file", f"The header line cannot be read: {error}."))
        return parsed
    columns = _read_header(header, parsed)
    if columns is None:
        return parsed
    seen_ids: dict[str, int] = {}
    seen_classes: set[ClassName] = set()
    row_number = 1
    try:
        for row_number, values in enumerate(reader, start=2):
            if not any(value.strip() for value in values):
                continue
            parsed.lines += 1
            _read_line(row_number, columns, values, parsed, seen_ids, seen_classes)
    except csv.Error as error:
        parsed.errors.append(Problem(row_number + 1, "file", f"The line cannot be read: {error}."))
    return parsed


def _decode(data: bytes, parsed: ParsedRoster) -> str | None:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        row = data[: error.start].count(b"\n") + 1
        parsed.errors.append(
            Problem(
                row,
                "file",
                "The file is not UTF-8. In Excel choose 'CSV UTF-8 (kommasepareret)' when saving.",
            )
        )
        return None


def _read_header(header: list[str], parsed: ParsedRoster) -> list[str | None] | None:
    """The canonical column name of each position (None: a column refused at the header)."""
    columns: list[str | None] = []
    for raw in header:
        name = re.sub(r"[\s\-]+", "_", raw.strip().casefold())
        if _CPR_COLUMNS.match(name):
            parsed.errors.append(
                Problem(1, raw.strip(), "A CPR number column is not accepted: remove the column.")
            )
            columns.append(None)
        elif name in _COLUMN_ALIASES:
            canonical = _COLUMN_ALIASES[name]
            if canonical in columns:
                parsed.errors.append(Problem(1, canonical, "This column appears twice."))
            columns.append(canonical)
        elif name == "":
            columns.append(None)  # an empty trailing header cell, as Excel sometimes writes
        else:
            parsed.errors.append(
                Problem(
                    1,
                    raw.strip()[:50],
                    f"Unknown column; the columns are {', '.join(COLUMNS)}.",
                )
            )
            columns.append(None)
    for required in REQUIRED_COLUMNS:
        if required not in columns:
            parsed.errors.append(Problem(1, required, "This column is missing."))
    return None if parsed.errors else columns


def _read_line(
    row: int,
    columns: list[str | None],
    values: list[str],
    parsed: ParsedRoster,
    seen_ids: dict[str, int],
    seen_classes: set[ClassName],
) -> None:
    errors: list[Problem] = []
    cells: dict[str, str] = {}
    bad: set[str] = set()  # fields already reported: no second message about them
    for position, raw in enumerate(values):
        value = raw.strip()
        column = columns[position] if position < len(columns) else None
        label = column or (f"column {position + 1}")
        if value and looks_like_cpr(value):
            errors.append(Problem(row, label, CPR_MESSAGE))
            continue
        if _CONTROL.search(value):
            errors.append(Problem(row, label, "Must not contain control characters."))
            bad.add(label)
            continue
        if column is None:
            if value and position >= len(columns):
                errors.append(
                    Problem(
                        row, label, f"The line has more fields than the header ({len(columns)})."
                    )
                )
            continue
        cells[column] = value

    if any(problem.message == CPR_MESSAGE for problem in errors):
        parsed.errors.extend(errors)  # nothing else of a line with a CPR number is looked at
        return
    kind = _TYPES.get(cells.get("type", "").casefold())
    if kind is None:
        errors.append(
            Problem(row, "type", "Must be klasse, elev or lærer (or class, pupil, teacher).")
        )
    class_name = None
    if "class" not in bad:
        class_name = _class_name(row, cells.get("class", ""), required=kind in ("class", "pupil"),
                                 errors=errors)  # fmt: skip
    if kind is None:  # what else a line needs depends on its type
        parsed.errors.extend(errors)
        return
    if kind == "class":
        if "grade" not in bad:
            _check_grade(row, cells.get("grade", ""), class_name, errors)
        if not errors and class_name is not None and class_name not in seen_classes:
            seen_classes.add(class_name)
            parsed.classes.append(ClassLine(row, class_name))
        parsed.errors.extend(errors)
        return

    if class_name is not None and kind in ("pupil", "teacher"):
        parsed.class_refs.append((row, class_name))
    name = cells.get("name", "")
    external_id = cells.get("external_id", "")
    email = cells.get("email", "")
    if "name" in bad:
        pass
    elif not name:
        errors.append(Problem(row, "name", "A name is required."))
    elif len(name) > MAX_NAME:
        errors.append(Problem(row, "name", f"At most {MAX_NAME} characters."))
    if "external_id" in bad:
        pass
    elif not external_id:
        errors.append(
            Problem(row, "external_id", "The school system's id for the person is required.")
        )
    elif len(external_id) > MAX_EXTERNAL_ID:
        errors.append(Problem(row, "external_id", f"At most {MAX_EXTERNAL_ID} characters."))
    elif external_id in seen_ids:
        errors.append(
            Problem(row, "external_id", f"The same id is already on row {seen_ids[external_id]}.")
        )
    else:
        seen_ids[external_id] = row
    if kind == "pupil" and email:
        parsed.warnings.append(
            Problem(row, "email", "Ignored: pupils' e-mail addresses are not stored.")
        )
        email = ""
    elif kind == "teacher" and email and "email" not in bad and not email_is_plausible(email):
        errors.append(Problem(row, "email", "Not an e-mail address."))
    if not errors and kind in ("pupil", "teacher"):
        parsed.people.append(
            PersonLine(
                row=row,
                kind="pupil" if kind == "pupil" else "teacher",
                name=name,
                external_id=external_id,
                class_name=class_name,
                email=email.casefold() or None,
            )
        )
    parsed.errors.extend(errors)


def _class_name(row: int, value: str, *, required: bool, errors: list[Problem]) -> ClassName | None:
    if not value:
        if required:
            errors.append(Problem(row, "class", "A class is required, e.g. 4.B."))
        return None
    class_name = parse_class_name(value)
    if class_name is None:
        errors.append(Problem(row, "class", CLASS_NAME_RULE))
    return class_name


def _check_grade(row: int, value: str, class_name: ClassName | None, errors: list[Problem]) -> None:
    if not value:
        return
    if not re.fullmatch(r"[0-9]{1,2}", value) or not MIN_GRADE <= int(value) <= MAX_GRADE:
        errors.append(Problem(row, "grade", f"A grade is a whole number {MIN_GRADE}–{MAX_GRADE}."))
    elif class_name is not None and int(value) != class_name.grade:
        errors.append(
            Problem(row, "grade", f"Grade {int(value)} does not match class {class_name}.")
        )
