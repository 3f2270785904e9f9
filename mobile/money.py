"""Danish money display from integer øre (no float anywhere): ``123450`` → ``1.234,50 kr.``."""

from __future__ import annotations


def format_kr(ore: int) -> str:
    sign = "-" if ore < 0 else ""
    kroner, rest = divmod(abs(int(ore)), 100)
    grouped = f"{kroner:,}".replace(",", ".")
    return f"{sign}{grouped},{rest:02d} kr."
