"""Money: integer øre, VAT 25 % rounded half up, a strict parser, Danish display."""

from __future__ import annotations

from decimal import Decimal

import pytest

from catalogue.money import (
    MAX_ORE,
    MoneyError,
    format_dkk,
    gross_ore,
    ore_to_decimal_kroner,
    parse_ore,
    percent_of_ore,
    vat_ore,
)


@pytest.mark.parametrize(
    ("net", "vat"),
    [
        (0, 0),
        (1, 0),  # 0.25 øre
        (2, 1),  # 0.5 øre: half up
        (3, 1),  # 0.75 øre
        (4, 1),
        (6, 2),  # 1.5 øre: half up, not to even
        (10, 3),  # 2.5 øre: half up, not to even (banker's rounding would give 2)
        (100, 25),
        (14950, 3738),  # 3737.5 øre
        (14948, 3737),
        (9_999_990, 2_499_998),  # 2499997.5
        (9_999_999, 2_500_000),  # 2499999.75
        (-2, -1),  # a credit note mirrors its invoice
        (-14950, -3738),
    ],
)
def test_vat_is_25_percent_rounded_half_up(net: int, vat: int) -> None:
    assert vat_ore(net) == vat
    assert gross_ore(net) == net + vat


def test_vat_of_a_credit_is_the_exact_opposite() -> None:
    assert all(vat_ore(-n) == -vat_ore(n) for n in range(0, 1000))


def test_percent_of_ore_other_rates() -> None:
    assert percent_of_ore(101, 50) == 51  # 50.5 → 51
    assert percent_of_ore(99, 50) == 50  # 49.5 → 50
    assert vat_ore(14950, percent=0) == 0


@pytest.mark.parametrize("bad", [149.5, 150.0, True, "150", Decimal("150")])
def test_vat_refuses_anything_but_int(bad: object) -> None:
    with pytest.raises(TypeError, match="must be an int of øre"):
        vat_ore(bad)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("value", "expected"), [(14950, 14950), ("14950", 14950), (0, 0), ("0", 0)]
)
def test_parse_ore_accepts_int_and_digit_strings(value: object, expected: int) -> None:
    assert parse_ore(value) == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (
            149.5,
            "must be a whole number of øre, not a decimal number (149.5); send øre as an "
            "integer, e.g. 14950 for 149,50 kr.",
        ),
        (
            150.0,
            "must be a whole number of øre, not a decimal number (150.0); send øre as an "
            "integer, e.g. 14950 for 149,50 kr.",
        ),
        (
            Decimal("150"),
            "must be a whole number of øre, not a decimal number (Decimal('150')); "
            "send øre as an integer, e.g. 14950 for 149,50 kr.",
        ),
        (True, "must be a whole number of øre, not a boolean"),
        (False, "must be a whole number of øre, not a boolean"),
        (
            "149,50",
            "must be whole øre without a decimal or thousands separator ('149,50'); "
            "e.g. 14950 for 149,50 kr.",
        ),
        (
            "149.50",
            "must be whole øre without a decimal or thousands separator ('149.50'); "
            "e.g. 14950 for 149,50 kr.",
        ),
        (
            "1.000",
            "must be whole øre without a decimal or thousands separator ('1.000'); "
            "e.g. 14950 for 149,50 kr.",
        ),
        ("1e3", "must be digits only; exponent notation is not accepted ('1e3')"),
        ("1E3", "must be digits only; exponent notation is not accepted ('1E3')"),
        (-5, "must not be negative (got -5)"),
        ("-5", "must not be negative (got -5)"),
        ("+5", "must be digits only, a whole number of øre ('+5')"),
        ("1_000", "must be digits only, a whole number of øre ('1_000')"),
        ("١٢٣", "must be digits only, a whole number of øre ('١٢٣')"),  # Arabic-Indic digits
        ("12 kr", "must be digits only, a whole number of øre ('12 kr')"),
        (" 5", "must not have spaces around it (' 5')"),
        ("007", "must not have leading zeros ('007')"),
        ("", "must not be empty; send a whole number of øre"),
        ("9" * 21, "is too long to be an amount of øre"),
        (None, "must be a whole number of øre, not null"),
        ([150], "must be a whole number of øre, not list"),
        (MAX_ORE + 1, f"must be at most {MAX_ORE} øre (got {MAX_ORE + 1})"),
    ],
)
def test_parse_ore_refuses_with_a_message_naming_the_problem(value: object, message: str) -> None:
    with pytest.raises(MoneyError) as caught:
        parse_ore(value, field="price_ore")
    assert caught.value.message == message
    assert caught.value.field == "price_ore"
    assert str(caught.value) == f"price_ore: {message}"


def test_parse_ore_negative_only_where_allowed() -> None:
    assert parse_ore(-500, allow_negative=True) == -500
    assert parse_ore("-500", allow_negative=True) == -500
    with pytest.raises(MoneyError, match="leading zeros"):
        parse_ore("-05", allow_negative=True)


def test_kroner_are_exact() -> None:
    assert ore_to_decimal_kroner(123450) == Decimal("1234.50")
    assert ore_to_decimal_kroner(1) == Decimal("0.01")


@pytest.mark.parametrize(
    ("ore", "locale", "text"),
    [
        (123450, "da_DK", "1.234,50\xa0kr."),
        (14950, "da_DK", "149,50\xa0kr."),
        (0, "da_DK", "0,00\xa0kr."),
        (5, "da_DK", "0,05\xa0kr."),
        (-123450, "da_DK", "-1.234,50\xa0kr."),
        (123456789, "da_DK", "1.234.567,89\xa0kr."),
        (123450, "en_GB", "DKK1,234.50"),
        (123450, "en_US", "DKK1,234.50"),
    ],
)
def test_format_dkk(ore: int, locale: str, text: str) -> None:
    assert format_dkk(ore, locale=locale) == text


def test_format_dkk_defaults_to_danish_and_refuses_float() -> None:
    assert format_dkk(100) == "1,00\xa0kr."
    with pytest.raises(TypeError):
        format_dkk(1.5)  # type: ignore[arg-type]
