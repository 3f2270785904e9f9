"""The reports over the purchasing side's real operations: a teacher's request, the leader's
approval, an invoice order; the buyer's report, the claim (CSV and XLSX) and the chart show it,
agree with the budget endpoint, and let go of it when the order is cancelled."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from flask.testing import FlaskClient
from openpyxl import load_workbook
from purchasing_support import fund_school, make_offer, principal
from sqlalchemy.orm import Session

from factories import make_class, make_publisher, make_school, make_user
from server.organisations.models import UserRow


def test_request_approval_invoice_then_report_and_claim(
    client: FlaskClient, session: Session, token_for: Callable[[UserRow], str]
) -> None:
    school = make_school(session, "751", "Bakkeskolen")
    school_class = make_class(session, school, "4.B", 4)
    admin = make_user(session, "platform_admin")
    users = {
        "teacher": make_user(session, "teacher", school=school),
        "leader": make_user(session, "school_leader", school=school),
        "buyer": make_user(session, "municipal_buyer", municipality_code="751"),
    }
    offer = make_offer(session, make_publisher(session, "Fjordforlaget"), price_ore=12_345)
    fund_school(session, principal(session, admin), school, grant_ore=50_000, own_ore=50_000)
    h: dict[str, Any] = {k: {"Authorization": f"Bearer {token_for(u)}"} for k, u in users.items()}

    asked = client.post(
        "/api/v1/purchase-requests",
        json={
            "offer_id": str(offer.id),
            "quantity": 2,
            "school_class_id": str(school_class.id),
            "reason": "Brøker i 4.B",
        },
        headers=h["teacher"],
    ).get_json()
    order = client.post(
        f"/api/v1/purchase-requests/{asked['id']}/approve",
        json={},
        headers={**h["leader"], "Idempotency-Key": "approve-1"},
    ).get_json()
    assert (order["status"], order["payment_method"]) == ("paid", "invoice")

    report = client.get("/api/v1/municipalities/751/reports/spend", headers=h["buyer"]).get_json()
    budget = client.get("/api/v1/municipalities/751/budget", headers=h["buyer"]).get_json()
    for name in ("spent_ore", "reserved_ore", "remaining_ore", "subsidy_used_ore"):
        assert report["totals"][name] == budget[name], name
    assert (report["totals"]["spent_ore"], report["totals"]["subsidy_used_ore"]) == (
        24_690,
        order["subsidy_ore"],
    )
    assert [(r["label"], r["spent_ore"]) for r in report["by_publisher"]] == [
        ("Fjordforlaget", 24_690)
    ]

    year = datetime.now(UTC).year
    period = f"from={year - 1}-12-31&to={year + 1}-01-01"
    claim = client.get(
        f"/api/v1/municipalities/751/reports/subsidy-claim.csv?{period}", headers=h["buyer"]
    )
    rows = list(csv.reader(io.StringIO(claim.data.decode("utf-8-sig")), delimiter=";"))
    assert [(r[1], r[2], r[3], r[8], r[9]) for r in rows[1:]] == [
        (order["id"], order["invoice_number"], "Bakkeskolen", "2", "246,90")
    ]
    xlsx = client.get(
        f"/api/v1/municipalities/751/reports/subsidy-claim.xlsx?{period}", headers=h["buyer"]
    )
    sheet = load_workbook(io.BytesIO(xlsx.data)).active
    assert sheet is not None
    values = list(sheet.iter_rows(values_only=True))
    assert values[-1][0] == "I alt"
    assert float(values[-1][9]) == 246.90  # type: ignore[arg-type]
    assert (
        client.get(
            "/api/v1/municipalities/751/reports/spend-chart.png", headers=h["buyer"]
        ).status_code
        == 200
    )

    cancelled = client.post(
        f"/api/v1/orders/{order['id']}/cancel", headers={**h["leader"], "Idempotency-Key": "c1"}
    )
    assert cancelled.status_code == 200, cancelled.get_json()
    after = client.get("/api/v1/municipalities/751/reports/spend", headers=h["buyer"]).get_json()
    assert (after["totals"]["spent_ore"], after["by_publisher"]) == (0, [])
    claim = client.get(
        f"/api/v1/municipalities/751/reports/subsidy-claim.csv?{period}", headers=h["buyer"]
    )
    assert len(list(csv.reader(io.StringIO(claim.data.decode("utf-8-sig")), delimiter=";"))) == 1
