"""What `make run` shows the demo buyer `indkoeber`: the demo's paid order, and a new one the
teacher asks for and the leader approves, in the spend report, the claim (XLSX) and the chart."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from flask.testing import FlaskClient
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.demo import demo_offer, load_demo
from server.organisations.models import SchoolClassRow, SchoolRow, UserRow

REPORTS = "/api/v1/municipalities/751/reports"


@pytest.fixture
def demo(session: Session, token_for: Callable[[UserRow], str]) -> dict[str, dict[str, str]]:
    list(load_demo(session, environment="development"))
    users = session.scalars(select(UserRow).where(UserRow.username.is_not(None))).all()
    return {u.username: {"Authorization": f"Bearer {token_for(u)}"} for u in users if u.username}


def test_demo_buyer_sees_a_new_order_in_report_and_claim(
    client: FlaskClient, session: Session, demo: dict[str, dict[str, str]]
) -> None:
    school = session.scalar(select(SchoolRow).where(SchoolRow.institution_number == "990001"))
    assert school is not None
    four_b = session.scalar(
        select(SchoolClassRow).where(
            SchoolClassRow.school_id == school.id, SchoolClassRow.name == "4.B"
        )
    )
    assert four_b is not None
    wanted = demo_offer(session, skip=1)
    assert wanted is not None
    year = datetime.now(UTC).year
    period = f"from={year - 1}-12-31&to={year + 1}-01-01"
    before = client.get(f"{REPORTS}/spend", headers=demo["indkoeber"]).get_json()
    claim_before = client.get(f"{REPORTS}/subsidy-claim.xlsx?{period}", headers=demo["indkoeber"])
    rows_before = list(load_workbook(io.BytesIO(claim_before.data)).worksheets[0].values)

    asked = client.post("/api/v1/purchase-requests", headers=demo["laerer"], json={
        "offer_id": str(wanted[1]), "quantity": 1, "school_class_id": str(four_b.id),
        "reason": "Vi arbejder med brøker i 4.B",
    }).get_json()  # fmt: skip
    order = client.post(
        f"/api/v1/purchase-requests/{asked['id']}/approve", json={"payment_method": "invoice"},
        headers={**demo["leder"], "Idempotency-Key": "demo-report-1"},
    ).get_json()  # fmt: skip

    after = client.get(f"{REPORTS}/spend", headers=demo["indkoeber"]).get_json()
    budget = client.get("/api/v1/municipalities/751/budget", headers=demo["indkoeber"]).get_json()
    assert after["totals"]["spent_ore"] == before["totals"]["spent_ore"] + asked["total_ore"]
    for name in ("spent_ore", "reserved_ore", "remaining_ore", "subsidy_used_ore"):
        assert after["totals"][name] == budget[name], name
    assert sum(r["spent_ore"] for r in after["by_subject"]) == after["totals"]["spent_ore"]
    assert (
        sum(r["spent_ore"] for r in after["by_competence_area"]) == (after["totals"]["spent_ore"])
    )

    claim = client.get(f"{REPORTS}/subsidy-claim.xlsx?{period}", headers=demo["indkoeber"])
    rows = list(load_workbook(io.BytesIO(claim.data)).worksheets[0].values)
    assert len(rows) == len(rows_before) + 1
    assert order["invoice_number"] in [row[2] for row in rows]
    chart = client.get(f"{REPORTS}/spend-chart.svg", headers=demo["indkoeber"])
    assert chart.status_code == 200
