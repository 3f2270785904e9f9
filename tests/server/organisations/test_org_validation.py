"""Identifier rules: CVR modulus 11, institution numbers, class names, school years, CPR."""

from __future__ import annotations

import pytest

from server.organisations.validation import (
    ClassName,
    cvr_is_valid,
    institution_number_is_valid,
    looks_like_cpr,
    next_school_year,
    parse_class_name,
    school_year_is_valid,
)


@pytest.mark.parametrize(
    ("cvr", "valid"),
    [
        ("10150817", True),  # 2·1+7·0+6·1+5·5+4·0+3·8+2·1+1·7 = 66 = 6·11
        ("10150818", False),  # last digit off by one
        ("01501817", False),  # starts with 0
        ("1015081", False),
        ("101508170", False),
        ("1015O817", False),
        ("", False),
    ],
)
def test_cvr_modulus_11(cvr: str, valid: bool) -> None:
    assert cvr_is_valid(cvr) is valid


def test_institution_numbers_are_six_digits() -> None:
    assert institution_number_is_valid("101001") is True
    assert [institution_number_is_valid(n) for n in ("10100", "1010011", "10100a", "")] == [
        False,
        False,
        False,
        False,
    ]


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("010203-1234", True),
        ("0102031234", True),
        ("010203 1234", True),
        ("id 0102031234 here", True),
        ("E-1001", False),
        ("123456789", False),  # nine digits
        ("12345678901", False),  # eleven digits: not shaped like a CPR number
        ("4.B", False),
    ],
)
def test_cpr_detection(text: str, found: bool) -> None:
    assert looks_like_cpr(text) is found


def test_class_names() -> None:
    assert parse_class_name("4.B") == ClassName(4, "B")
    assert parse_class_name(" 0.a ") == ClassName(0, "A")
    assert parse_class_name("10.X") == ClassName(10, "X")
    assert str(ClassName(4, "B").moved_up()) == "5.B"
    assert [parse_class_name(n) for n in ("11.A", "4B", "B.4", "", "4.")] == [None] * 5


def test_school_years() -> None:
    assert school_year_is_valid("2026/27") is True
    assert school_year_is_valid("2026/28") is False
    assert next_school_year("2026/27") == "2027/28"
    assert next_school_year("2099/00") == "2100/01"
    with pytest.raises(ValueError, match="2026/27"):
        next_school_year("2026-27")
