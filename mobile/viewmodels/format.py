"""Plain dicts for lists (RecycleView rows) and display text, from API answers."""

from __future__ import annotations

from typing import Any

from mobile.i18n import translator
from mobile.money import format_kr


def grades_text(grades: list[int]) -> str:
    if not grades:
        return ""
    low, high = min(grades), max(grades)
    if low == high:
        return translator.t("grade_one", grade=low)
    return translator.t("grade_range", low=low, high=high)


def price_text(min_price_ore: int | None) -> str:
    if min_price_ore is None:
        return translator.t("no_price")
    if min_price_ore == 0:
        return translator.t("free")
    return translator.t("from_price", price=format_kr(min_price_ore))


def rating_text(mean: Any, count: int) -> str:
    if not count or mean is None:
        return translator.t("rating_none")
    return translator.t("rating_line", mean=f"{float(mean):.1f}".replace(".", ","), count=count)


def product_row(hit: dict[str, Any]) -> dict[str, Any]:
    """One search hit as a list row (no HTML: Kivy labels get plain text)."""
    rating = hit.get("rating") or {}
    parts = [hit["publisher"]["name"], grades_text(hit.get("grades", []))]
    return {
        "product_id": str(hit["id"]),
        "title": hit["title"],
        "subtitle": " · ".join(p for p in parts if p),
        "price_text": price_text(hit.get("min_price_ore")),
        "rating_text": rating_text(rating.get("mean"), int(rating.get("count") or 0)),
        "trial_text": translator.t("trial_badge") if hit.get("has_trial") else "",
    }
