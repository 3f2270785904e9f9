"""Money: integer øre everywhere, never float.

- Prices are stored and sent as whole øre excluding VAT (``14950`` is 149,50 kr.).
- VAT (moms) is 25 %, computed in integer arithmetic and rounded half up — half an øre
  goes away from zero, so a credit note is the exact mirror of its invoice
  (``vat_ore(-x) == -vat_ore(x)``). Compute VAT on the amount you invoice (a line's net total),
  not per unit then multiplied.
- ``parse_ore`` is the one strict parser for API and import input.
- ``format_dkk`` is for display only (Babel, CLDR data): "1.234,50 kr." in Danish.
"""

from __future__ import annotations

import re
from decimal import Decimal

from babel.numbers import format_currency

VAT_PERCENT = 25
#: 1 billion kroner: far above any real order, far below a PostgreSQL bigint.
MAX_ORE = 1_000_000_000_00
_DIGITS = re.compile(r"-?[0-9]+")  # ASCII digits only: str.isdigit() accepts "١٢٣" and "²"


class MoneyError(ValueError):
    """An amount is not acceptable. ``field`` names the input field."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(f"{field}: {message}" if field else message)
        self.message = message
        self.field = field


def _require_ore(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int of øre, not {type(value).__name__}")
    return value


def percent_of_ore(amount_ore: int, percent: int) -> int:
    """``amount_ore × percent / 100`` in whole øre, half an øre rounded away from zero."""
    amount = _require_ore(amount_ore, "amount_ore")
    numerator = abs(amount) * _require_ore(percent, "percent")
    whole, remainder = divmod(numerator, 100)
    if remainder * 2 >= 100:
        whole += 1
    return -whole if amount < 0 else whole


def vat_ore(price_ore: int, *, percent: int = VAT_PERCENT) -> int:
    """The VAT on a net price in øre: 25 %, rounded half up (``vat_ore(2) == 1``)."""
    return percent_of_ore(price_ore, percent)


def gross_ore(price_ore: int, *, percent: int = VAT_PERCENT) -> int:
    """Net price plus VAT, in øre."""
    return _require_ore(price_ore, "price_ore") + vat_ore(price_ore, percent=percent)


def parse_ore(
    value: object,
    *,
    field: str = "price_ore",
    allow_negative: bool = False,
    maximum: int = MAX_ORE,
) -> int:
    """A whole number of øre from API or import input, or ``MoneyError`` saying what is wrong.

    Accepted: a JSON integer (``14950``) or a string of ASCII digits (``"14950"``).
    Refused, each with its own message: booleans, floats (even ``149.0``), decimals,
    decimal separators (``"149,50"``, ``"149.50"``), exponents (``"1e3"``), signs, spaces,
    thousands separators, leading zeros, empty strings, anything else; negative amounts
    unless ``allow_negative`` (corrections); amounts above ``maximum``.
    """
    if isinstance(value, bool):
        raise MoneyError("must be a whole number of øre, not a boolean", field=field)
    if isinstance(value, int):
        amount = value
    elif isinstance(value, float | Decimal):
        raise MoneyError(
            f"must be a whole number of øre, not a decimal number ({value!r}); "
            "send øre as an integer, e.g. 14950 for 149,50 kr.",
            field=field,
        )
    elif isinstance(value, str):
        amount = _parse_digits(value, field)
    else:
        kind = "null" if value is None else type(value).__name__
        raise MoneyError(f"must be a whole number of øre, not {kind}", field=field)
    if amount < 0 and not allow_negative:
        raise MoneyError(f"must not be negative (got {amount})", field=field)
    if abs(amount) > maximum:
        raise MoneyError(f"must be at most {maximum} øre (got {amount})", field=field)
    return amount


def _parse_digits(text: str, field: str) -> int:
    if text == "":
        raise MoneyError("must not be empty; send a whole number of øre", field=field)
    if len(text) > 20:
        raise MoneyError("is too long to be an amount of øre", field=field)
    if text != text.strip():
        raise MoneyError(f"must not have spaces around it ({text!r})", field=field)
    if _DIGITS.fullmatch(text):
        if text.lstrip("-").startswith("0") and text.lstrip("-") != "0":
            raise MoneyError(f"must not have leading zeros ({text!r})", field=field)
        return int(text)
    if "," in text or "." in text:
        raise MoneyError(
            f"must be whole øre without a decimal or thousands separator ({text!r}); "
            "e.g. 14950 for 149,50 kr.",
            field=field,
        )
    if "e" in text.lower():
        raise MoneyError(
            f"must be digits only; exponent notation is not accepted ({text!r})", field=field
        )
    raise MoneyError(f"must be digits only, a whole number of øre ({text!r})", field=field)


def ore_to_decimal_kroner(ore: int) -> Decimal:
    """Exact kroner as a Decimal (for display and for formats that want kroner, e.g. OIOUBL)."""
    return Decimal(_require_ore(ore, "ore")).scaleb(-2)


def format_dkk(ore: int, locale: str = "da_DK") -> str:
    """Kroner for display, from øre: ``format_dkk(123450)`` → "1.234,50 kr.".

    Babel/CLDR writes a no-break space (U+00A0) before "kr." so the amount never wraps
    from its unit. English locales give "DKK1,234.50" (``en_GB``, ``en_US``).
    """
    return str(format_currency(ore_to_decimal_kroner(ore), "DKK", locale=locale))
