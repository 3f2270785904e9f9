"""The spend chart draws lines even when every total changed on one day (a new programme)."""

from __future__ import annotations

import re
from datetime import date

from server.reports.exports import spend_chart
from server.reports.figures import SpendPoint

SERIES_COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c")  # budget, spent + reserved, spent


def _series_widths(svg: str) -> dict[str, float]:
    """How wide (in SVG units) each plotted series line is drawn inside the axes."""
    widths = {}
    for d, colour in re.findall(
        r'<path d="([^"]+)" clip-path="[^"]+" style="[^"]*stroke: (#[0-9a-f]{6})', svg
    ):
        if colour in SERIES_COLOURS:
            xs = [float(x) for x in re.findall(r"[ML] ([\d.]+) ", d)]
            widths[colour] = max(xs) - min(xs)
    return widths


def test_one_day_of_changes_draws_three_lines_to_today() -> None:
    points = [SpendPoint(date(2026, 12, 1), budget_ore=450_000_00, spent_ore=57_340_00,
                         reserved_ore=0)]  # fmt: skip
    svg = spend_chart(points, title="Forbrug mod budget – Aarhus", kind="svg",
                      until=date(2026, 12, 15)).decode()  # fmt: skip
    widths = _series_widths(svg)
    assert sorted(widths) == sorted(SERIES_COLOURS)
    assert min(widths.values()) > 100  # a line across the plot, not a single invisible point


def test_without_today_the_lines_still_run_one_day() -> None:
    points = [SpendPoint(date(2026, 12, 1), 100_00, 50_00, 10_00)]
    svg = spend_chart(points, title="t", kind="svg").decode()
    widths = _series_widths(svg)
    assert sorted(widths) == sorted(SERIES_COLOURS)
    assert min(widths.values()) > 100
