"""Rules for the identifiers of Danish public-sector data, without Flask or a database.

- CVR number (Det Centrale Virksomhedsregister): 8 digits, not starting with 0, whose digits
  weighted 2, 7, 6, 5, 4, 3, 2, 1 sum to a multiple of 11 (the modulus-11 check).
- Institution number (institutionsnummer, from the Ministry's institution register): 6 digits.
- Class names as schools write them: "<grade>.<letters>", e.g. "4.B", "0.A", "10.X".
- School years: "2026/27".
- CPR numbers (personnummer) are never stored: ``looks_like_cpr`` finds them in any text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

CVR_WEIGHTS = (2, 7, 6, 5, 4, 3, 2, 1)
MIN_GRADE, MAX_GRADE = 0, 10

_CVR = re.compile(r"^[1-9][0-9]{7}$")
_INSTITUTION_NUMBER = re.compile(r"^[0-9]{6}$")
_CLASS_NAME = re.compile(r"^(?P<grade>[0-9]{1,2})\.(?P<suffix>[A-ZÆØÅ0-9]{1,8})$")
_SCHOOL_YEAR = re.compile(r"^(?P<start>[0-9]{4})/(?P<end>[0-9]{2})$")
#: DDMMYY-XXXX, DDMMYY XXXX or ten digits in a row, not part of a longer number.
_CPR = re.compile(r"(?<![0-9])[0-9]{6}[- ]?[0-9]{4}(?![0-9])")
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")

CVR_RULE = "A CVR number is 8 digits, does not start with 0 and passes the modulus-11 check."
INSTITUTION_NUMBER_RULE = "An institution number is 6 digits."
CLASS_NAME_RULE = 'A class name is the grade (0–10), a dot and letters, e.g. "4.B" or "0.A".'
SCHOOL_YEAR_RULE = 'A school year is written "2026/27".'


def cvr_is_valid(cvr: str) -> bool:
    if not _CVR.match(cvr):
        return False
    return sum(int(d) * w for d, w in zip(cvr, CVR_WEIGHTS, strict=True)) % 11 == 0


def institution_number_is_valid(number: str) -> bool:
    return bool(_INSTITUTION_NUMBER.match(number))


def looks_like_cpr(text: str) -> bool:
    """True when ``text`` holds something shaped like a CPR number (DDMMYY-XXXX, 10 digits).

    Deliberately broad: a ten-digit id is refused too, since we cannot tell it from a CPR
    number, and storing one by mistake is worse than asking the school to remove a column.
    """
    return bool(_CPR.search(text))


def email_is_plausible(email: str) -> bool:
    return bool(_EMAIL.match(email)) and len(email) <= 320


@dataclass(frozen=True, slots=True)
class ClassName:
    grade: int
    suffix: str

    def __str__(self) -> str:
        return f"{self.grade}.{self.suffix}"

    def moved_up(self) -> ClassName:
        return ClassName(self.grade + 1, self.suffix)


def parse_class_name(name: str) -> ClassName | None:
    """``"4.b"`` → ``ClassName(4, "B")``; None when it is not a class name we understand."""
    match = _CLASS_NAME.match(name.strip().upper())
    if match is None:
        return None
    grade = int(match["grade"])
    if not MIN_GRADE <= grade <= MAX_GRADE:
        return None
    return ClassName(grade, match["suffix"])


def school_year_is_valid(year: str) -> bool:
    match = _SCHOOL_YEAR.match(year)
    return match is not None and (int(match["start"]) + 1) % 100 == int(match["end"])


def next_school_year(year: str) -> str:
    """``"2026/27"`` → ``"2027/28"``."""
    if not school_year_is_valid(year):
        raise ValueError(SCHOOL_YEAR_RULE)
    start = int(year[:4]) + 1
    return f"{start}/{(start + 1) % 100:02d}"
