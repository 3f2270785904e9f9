"""The subsidy claim as CSV and XLSX, and the spend chart as SVG and PNG. No Flask.

CSV is written for Danish Excel, which is what municipal finance offices open it with:
``;`` between fields, decimal comma (``1234,50``, no thousands separator so every amount
parses as a number), UTF-8 with a byte-order mark (without it Excel reads æøå as Latin-1),
CRLF line ends. No totals row: the CSV is data; the XLSX has the totals.

XLSX (openpyxl): amounts are numbers (exact decimals from øre) formatted ``#,##0.00 "kr."``,
a bold header, a totals row "I alt", the period and the municipality in the sheet's title.

The chart (matplotlib, Agg backend, DejaVu Sans, Danish labels): the budget, what is spent
and what is spent + reserved, per day, as step lines. SVG keeps its text as text and has no
timestamp, so the same data give the same bytes.
"""

from __future__ import annotations

import csv
import io
import threading
from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from server.reports.figures import (
    CLAIM_HEADERS,
    ClaimRow,
    SpendPoint,
    claim_totals,
    format_kr,
)

KR_FORMAT = '#,##0.00 "kr."'
#: a cell starting with one of these is a formula to Excel (CSV/formula injection)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_CHART_LOCK = threading.Lock()  # rc_context changes matplotlib's global settings


def csv_text(value: str) -> str:
    """Text for a CSV cell that Excel will not run: a leading ``'`` before a formula start."""
    return f"'{value}" if value.startswith(FORMULA_STARTS) else value


def kr_decimal(ore: int) -> Decimal:
    """Øre as an exact ``Decimal`` of kroner (``12345`` → ``Decimal("123.45")``)."""
    return Decimal(ore).scaleb(-2)


def claim_csv(rows: Sequence[ClaimRow]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(CLAIM_HEADERS)
    for row in rows:
        writer.writerow(
            [
                row.paid_on.isoformat(),
                str(row.order_id),
                csv_text(row.invoice_reference),
                csv_text(row.school_name),
                row.institution_number,
                csv_text(row.publisher_name),
                row.publisher_cvr,
                csv_text(row.product_title),
                row.quantity,
                format_kr(row.net_ore, thousands=""),
                format_kr(row.subsidy_ore, thousands=""),
                format_kr(row.own_ore, thousands=""),
            ]
        )
    return buffer.getvalue().encode("utf-8-sig")


def claim_xlsx(
    rows: Sequence[ClaimRow], *, municipality_name: str, since: date, until: date
) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook(write_only=False)
    sheet = workbook.create_sheet("Tilskudsopgørelse", 0)
    workbook.remove(workbook.worksheets[1])  # the empty default sheet
    sheet.append(list(CLAIM_HEADERS))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(
            [
                row.paid_on,
                str(row.order_id),
                row.invoice_reference,
                row.school_name,
                row.institution_number,
                row.publisher_name,
                row.publisher_cvr,
                row.product_title,
                row.quantity,
                kr_decimal(row.net_ore),
                kr_decimal(row.subsidy_ore),
                kr_decimal(row.own_ore),
            ]
        )
    for row_cells in sheet.iter_rows(min_row=2, max_col=8):
        for cell in row_cells:
            if cell.data_type == "f":  # a text starting with "=": text, never a formula
                cell.data_type = "s"
    net, subsidy, own = claim_totals(rows)
    sheet.append(["I alt", *[None] * 8, kr_decimal(net), kr_decimal(subsidy), kr_decimal(own)])
    last = sheet.max_row
    for cell in sheet[last]:
        cell.font = Font(bold=True)
    for row_cells in sheet.iter_rows(min_row=2, max_row=last, min_col=10, max_col=12):
        for cell in row_cells:
            cell.number_format = KR_FORMAT
    for row_cells in sheet.iter_rows(min_row=2, max_row=last - 1, min_col=1, max_col=1):
        for cell in row_cells:
            cell.number_format = "yyyy-mm-dd"
    widths = (12, 38, 18, 28, 18, 28, 10, 40, 7, 22, 16, 20)
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[sheet.cell(1, index).column_letter].width = width
    sheet.freeze_panes = "A2"
    workbook.properties.title = (
        f"Tilskudsopgørelse {municipality_name} {since.isoformat()}–{until.isoformat()}"
    )
    workbook.properties.creator = "Skolehylde"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def spend_chart(
    points: Sequence[SpendPoint], *, title: str, kind: str, until: date | None = None
) -> bytes:
    """The spend-against-budget chart as ``kind`` "svg" or "png", drawn up to ``until``.

    The last known figures are carried on to ``until`` (today, say; at least a day past the
    last change), so a single day of changes still draws as lines.
    """
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib import rc_context
    from matplotlib.dates import DateFormatter, DayLocator
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter

    settings: Any = {
        "font.family": "DejaVu Sans",
        "svg.fonttype": "none",  # text stays text: readable, searchable, testable
        "svg.hashsalt": "skolehylde",
    }
    with _CHART_LOCK, rc_context(settings):
        figure = Figure(figsize=(8, 4.5), dpi=100)
        axes = figure.add_subplot()
        if points:
            last = points[-1]
            end = max(until or last.day, last.day + timedelta(days=1))
            points = [*points, SpendPoint(end, last.budget_ore, last.spent_ore, last.reserved_ore)]
            days: Any = [point.day for point in points]
            axes.step(days, [p.budget_ore / 100 for p in points], where="post", label="Budget")
            axes.step(
                days,
                [(p.spent_ore + p.reserved_ore) / 100 for p in points],
                where="post",
                label="Brugt + reserveret",
                linestyle="--",
            )
            axes.step(days, [p.spent_ore / 100 for p in points], where="post", label="Brugt")
            if (end - points[0].day).days <= 14:  # whole days, not hours, on a short span
                axes.xaxis.set_major_locator(DayLocator())  # type: ignore[no-untyped-call]
            axes.xaxis.set_major_formatter(DateFormatter("%d.%m.%Y"))  # type: ignore[no-untyped-call]
            axes.set_ylim(bottom=0, top=max(p.budget_ore for p in points) / 100 * 1.1 or 1)
            axes.legend(loc="center right")
        else:
            axes.text(0.5, 0.5, "Ingen bevægelser endnu", ha="center", va="center",
                      transform=axes.transAxes)  # fmt: skip
        # display only: the kroner on the axis are rounded to whole kroner
        axes.yaxis.set_major_formatter(
            FuncFormatter(lambda value, _pos: f"{value:,.0f} kr.".replace(",", "."))
        )
        axes.set_title(title)
        axes.set_xlabel("Dato")
        axes.set_ylabel("Kroner (ekskl. moms)")
        axes.grid(True, alpha=0.3)
        figure.autofmt_xdate()
        figure.tight_layout()
        buffer = io.BytesIO()
        metadata = {"Date": None} if kind == "svg" else {"Software": None}
        figure.savefig(buffer, format=kind, metadata=metadata)
    return buffer.getvalue()
