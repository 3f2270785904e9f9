"""HTTP API for buyers' and leaders' reports: spend, concentration, the subsidy claim, charts.

Every endpoint is a read scoped by ``server.policy``: a municipality's reports to its
municipal buyers (``report.municipality``), a school's to its leaders and its municipality's
buyers (``report.school``).
"""

from __future__ import annotations

import uuid
from dataclasses import asdict
from datetime import date, datetime
from typing import Any

from apiflask import APIBlueprint, APIFlask
from apiflask.schemas import FileSchema
from flask import Response, current_app

from server.extensions import db
from server.identity.current import current_principal
from server.oauth.resource import auth_required
from server.reports import exports, figures
from server.reports import operations as ops
from server.reports.queries import COPENHAGEN
from server.reports.schemas import ConcentrationReportOut, PeriodQuery, SpendReportOut

bp = APIBlueprint("reports", __name__, url_prefix="/api/v1", tag="Reports")

READ = [401, 403, 404]
CLAIM_NOTE = (
    "Every line of the orders paid in the period (Copenhagen days) and not cancelled: date,"
    " order, invoice number (or card payment), school, publisher, product, quantity, the amount"
    " excluding VAT, the subsidy share and the own share, in kroner with two decimals."
)


def _threshold() -> int:
    return int(current_app.config["PROCUREMENT_THRESHOLD_ORE"])


def totals_json(totals: figures.Totals) -> dict[str, Any]:
    return asdict(totals)


def report_json(report: ops.SpendReport) -> dict[str, Any]:
    return {
        "municipality_code": report.municipality.code,
        "municipality_name": report.municipality.name,
        "school_id": report.school.id if report.school else None,
        "school_name": report.school.name if report.school else None,
        "totals": totals_json(report.totals),
        "schools": [
            {
                "school_id": item.school.id,
                "school_name": item.school.name,
                "institution_number": item.school.institution_number,
                **totals_json(item.totals),
            }
            for item in report.schools
        ],
        "by_subject": [asdict(row) for row in report.by_subject],
        "by_publisher": [asdict(row) for row in report.by_publisher],
        "by_competence_area": [asdict(row) for row in report.by_competence_area],
        "concentration": [asdict(item) for item in report.concentration],
    }


def _period(query: dict[str, Any]) -> tuple[date, date]:
    year = datetime.now(COPENHAGEN).year
    since = query.get("from_") or date(year, 1, 1)
    until = query.get("to") or date(year, 12, 31)
    ops.check_period(since, until)
    return since, until


def _file(body: bytes, mimetype: str, filename: str) -> Response:
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/municipalities/<code>/reports/spend")
@auth_required
@bp.output(SpendReportOut)
@bp.doc(responses=READ)
def municipality_spend(code: str) -> dict[str, Any]:
    """The municipality's spend report

    Spent, reserved, remaining and subsidy used (ledger balances, øre excl. VAT) for the
    municipality and each school, broken down by subject, publisher and competence area, and
    the spend concentration per publisher against the procurement threshold.
    """
    report = ops.municipality_spend(
        db.session(), current_principal(), code, threshold_ore=_threshold()
    )
    return report_json(report)


@bp.get("/schools/<uuid:school_id>/reports/spend")
@auth_required
@bp.output(SpendReportOut)
@bp.doc(responses=READ)
def school_spend(school_id: uuid.UUID) -> dict[str, Any]:
    """The school's spend report

    As the municipality's, for one school (no per-school list and no concentration).
    """
    return report_json(ops.school_spend(db.session(), current_principal(), school_id))


@bp.get("/municipalities/<code>/reports/publisher-concentration")
@auth_required
@bp.output(ConcentrationReportOut)
@bp.doc(responses=READ)
def publisher_concentration(code: str) -> dict[str, Any]:
    """Spend concentration by publisher

    Committed spend (spent + reserved) per publisher, largest first, with `level` "warning"
    from 80 % of the procurement threshold (`PROCUREMENT_THRESHOLD_ORE`) and "over" from 100 %.
    """
    threshold = _threshold()
    municipality, items = ops.publisher_concentration(
        db.session(), current_principal(), code, threshold_ore=threshold
    )
    return {
        "municipality_code": municipality.code,
        "threshold_ore": threshold,
        "warn_at_percent": figures.WARN_AT_PERCENT,
        "items": [asdict(item) for item in items],
    }


@bp.get("/municipalities/<code>/reports/subsidy-claim.csv")
@auth_required
@bp.input(PeriodQuery, location="query", arg_name="query")
@bp.output(FileSchema(), content_type="text/csv", description="`;`-separated, UTF-8 with BOM")
@bp.doc(responses=[*READ, 422], description=CLAIM_NOTE)
def subsidy_claim_csv(code: str, query: dict[str, Any]) -> Response:
    """The subsidy claim for a period (CSV for Danish Excel)"""
    since, until = _period(query)
    municipality, rows = ops.subsidy_claim(
        db.session(), current_principal(), code, since=since, until=until
    )
    return _file(
        exports.claim_csv(rows),
        "text/csv; charset=utf-8",
        f"tilskud-{municipality.code}-{since.isoformat()}-{until.isoformat()}.csv",
    )


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@bp.get("/municipalities/<code>/reports/subsidy-claim.xlsx")
@auth_required
@bp.input(PeriodQuery, location="query", arg_name="query")
@bp.output(FileSchema(), content_type=XLSX, description="One sheet with a totals row")
@bp.doc(responses=[*READ, 422], description=CLAIM_NOTE)
def subsidy_claim_xlsx(code: str, query: dict[str, Any]) -> Response:
    """The subsidy claim for a period (XLSX)"""
    since, until = _period(query)
    municipality, rows = ops.subsidy_claim(
        db.session(), current_principal(), code, since=since, until=until
    )
    body = exports.claim_xlsx(rows, municipality_name=municipality.name, since=since, until=until)
    return _file(
        body, XLSX, f"tilskud-{municipality.code}-{since.isoformat()}-{until.isoformat()}.xlsx"
    )


def _chart(code: str, kind: str) -> Response:
    municipality, points = ops.spend_over_time(db.session(), current_principal(), code)
    body = exports.spend_chart(
        points,
        title=f"Forbrug mod budget – {municipality.name}",
        kind=kind,
        until=datetime.now(COPENHAGEN).date(),
    )
    response = Response(body, mimetype="image/svg+xml" if kind == "svg" else "image/png")
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/municipalities/<code>/reports/spend-chart.svg")
@auth_required
@bp.output(FileSchema(), content_type="image/svg+xml", description="Spend against budget")
@bp.doc(responses=READ)
def spend_chart_svg(code: str) -> Response:
    """Chart of spend against budget over time (SVG)"""
    return _chart(code, "svg")


@bp.get("/municipalities/<code>/reports/spend-chart.png")
@auth_required
@bp.output(FileSchema(), content_type="image/png", description="Spend against budget")
@bp.doc(responses=READ)
def spend_chart_png(code: str) -> Response:
    """Chart of spend against budget over time (PNG)"""
    return _chart(code, "png")


def init_app(app: APIFlask) -> None:
    app.register_blueprint(bp)
