"""Buyer and leader reports over HTTP, with exact numbers on SQLite and PostgreSQL.

The world is ``report_world.build`` (its docstring lists every order and amount)."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from apiflask import APIFlask
from flask.testing import FlaskClient
from lxml import etree
from openpyxl import load_workbook
from PIL import Image
from report_world import World, build, headers
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from factories import make_user
from server.ledger.models import LedgerEntryRow

BASE = "/api/v1/municipalities/751/reports"


@pytest.fixture
def world(session: Session) -> World:
    return build(session)


@pytest.fixture
def buyer(session: Session, token_for: Callable[[Any], str]) -> dict[str, Any]:
    return headers(token_for(make_user(session, "municipal_buyer", municipality_code="751")))


def test_municipality_totals_and_schools(client: FlaskClient, world: World, buyer: Any) -> None:
    reply = client.get(f"{BASE}/spend", headers=buyer)

    assert reply.status_code == 200
    body = reply.get_json()
    assert (body["municipality_code"], body["municipality_name"]) == ("751", "Aarhus")
    assert body["totals"] == {
        "allocated_ore": 91_000_00,
        "spent_ore": 3_800_00,  # 3.000,00 + 800,00 (the cancelled order is back in the school)
        "reserved_ore": 1_000_01,
        "remaining_ore": 145_199_99,  # 150.000,00 − 3.800,00 − 1.000,01
        "subsidy_used_ore": 1_900_00,
        "subsidy_reserved_ore": 500_00,
        "unallocated_ore": 59_000_00,
    }
    assert [
        (s["school_name"], s["allocated_ore"], s["spent_ore"], s["reserved_ore"],
         s["remaining_ore"], s["subsidy_used_ore"])
        for s in body["schools"]
    ] == [
        ("Bakkeskolen", 80_000_00, 3_000_00, 1_000_01, 75_999_99, 1_500_00),
        ("Fjordskolen", 11_000_00, 800_00, 0, 10_200_00, 400_00),
    ]  # fmt: skip


def test_breakdowns_split_evenly_and_add_up(client: FlaskClient, world: World, buyer: Any) -> None:
    body = client.get(f"{BASE}/spend", headers=buyer).get_json()

    def rows(name: str) -> list[tuple[str, int, int, int]]:
        return [(r["label"], r["spent_ore"], r["reserved_ore"], r["subsidy_used_ore"])
                for r in body[name]]  # fmt: skip

    assert rows("by_subject") == [
        ("Matematik", 3_000_00, 500_00, 1_500_00),
        ("Dansk", 800_00, 500_01, 400_00),  # the odd øre of 1.000,01 goes to Dansk (first)
    ]
    assert rows("by_publisher") == [
        ("Fjordforlaget", 3_800_00, 0, 1_900_00),
        ("Bakkeforlaget", 0, 1_000_01, 0),
    ]
    assert rows("by_competence_area") == [
        ("Tal og algebra", 3_000_00, 500_00, 1_500_00),
        ("Uden kompetenceområde", 800_00, 0, 400_00),
        ("Geometri og måling", 0, 500_01, 0),
    ]
    for name in ("by_subject", "by_publisher", "by_competence_area"):
        assert sum(r["spent_ore"] for r in body[name]) == body["totals"]["spent_ore"]
        assert sum(r["reserved_ore"] for r in body[name]) == body["totals"]["reserved_ore"]
        assert sum(r["subsidy_used_ore"] for r in body[name]) == body["totals"]["subsidy_used_ore"]


def test_concentration_warns_near_the_threshold(
    app: APIFlask, client: FlaskClient, world: World, buyer: Any
) -> None:
    app.config["PROCUREMENT_THRESHOLD_ORE"] = 4_500_00

    body = client.get(f"{BASE}/publisher-concentration", headers=buyer).get_json()

    assert (body["threshold_ore"], body["warn_at_percent"]) == (4_500_00, 80)
    assert [(i["publisher_name"], i["committed_ore"], i["share_bps"], i["threshold_percent"],
             i["level"]) for i in body["items"]] == [
        ("Fjordforlaget", 3_800_00, 7916, 84, "warning"),
        ("Bakkeforlaget", 1_000_01, 2083, 22, "ok"),
    ]  # fmt: skip
    assert body["items"][0]["message"] == (
        "Kommunens køb hos Fjordforlaget er 84 % af tærskelværdien for udbud (4.500,00 kr.):"
        " tæt på grænsen."
    )
    assert body["items"][1]["message"] is None

    app.config["PROCUREMENT_THRESHOLD_ORE"] = 3_800_00
    over = client.get(f"{BASE}/spend", headers=buyer).get_json()["concentration"][0]
    assert (over["level"], over["threshold_percent"]) == ("over", 100)


def test_default_threshold_gives_no_warning(client: FlaskClient, world: World, buyer: Any) -> None:
    items = client.get(f"{BASE}/publisher-concentration", headers=buyer).get_json()["items"]

    assert [(i["level"], i["threshold_percent"]) for i in items] == [("ok", 0), ("ok", 0)]


def test_school_report_for_its_leader(
    client: FlaskClient, session: Session, world: World, token_for: Callable[[Any], str]
) -> None:
    leader = headers(token_for(make_user(session, "school_leader", school=world.bakke)))

    body = client.get(f"/api/v1/schools/{world.bakke.id}/reports/spend", headers=leader).get_json()

    assert body["school_name"] == "Bakkeskolen"
    assert body["totals"] == {
        "allocated_ore": 80_000_00, "spent_ore": 3_000_00, "reserved_ore": 1_000_01,
        "remaining_ore": 75_999_99, "subsidy_used_ore": 1_500_00, "subsidy_reserved_ore": 500_00,
        "unallocated_ore": 0,
    }  # fmt: skip
    assert [(r["label"], r["spent_ore"], r["reserved_ore"]) for r in body["by_publisher"]] == [
        ("Fjordforlaget", 3_000_00, 0),
        ("Bakkeforlaget", 0, 1_000_01),
    ]
    assert (body["schools"], body["concentration"]) == ([], [])


# --------------------------------------------------------------------------- the claim


def test_claim_csv_for_danish_excel(client: FlaskClient, world: World, buyer: Any) -> None:
    reply = client.get(f"{BASE}/subsidy-claim.csv?from=2026-09-01&to=2026-10-31", headers=buyer)

    assert reply.status_code == 200
    assert reply.mimetype == "text/csv"
    assert reply.headers["Content-Disposition"] == (
        'attachment; filename="tilskud-751-2026-09-01-2026-10-31.csv"'
    )
    assert reply.data.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs for UTF-8
    text = reply.data.decode("utf-8-sig")
    assert "\r\n" in text
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert rows[0] == [
        "Betalt dato", "Ordre", "Faktura/betaling", "Skole", "Institutionsnummer", "Forlag", "CVR",
        "Produkt", "Antal", "Beløb ekskl. moms (kr.)", "Tilskud (kr.)", "Egenbetaling (kr.)",
    ]  # fmt: skip
    first, third = world.orders[0], world.orders[2]
    assert rows[1:] == [
        ["2026-09-10", str(first.id), "SH-000000000001", "Bakkeskolen",
         world.bakke.institution_number, "Fjordforlaget", "11112222", "Brøkbanken", "2",
         "3000,00", "1500,00", "1500,00"],
        ["2026-10-06", str(third.id), "pi_test_3", "Fjordskolen",
         world.fjordskolen.institution_number, "Fjordforlaget", "11112222", "Læselyst", "1",
         "800,00", "400,00", "400,00"],
    ]  # fmt: skip


def test_claim_period_is_copenhagen_days(client: FlaskClient, world: World, buyer: Any) -> None:
    # order 3 was paid 05.10 at 23:30 UTC, which is 06.10 in Copenhagen
    reply = client.get(f"{BASE}/subsidy-claim.csv?from=2026-09-01&to=2026-10-05", headers=buyer)

    rows = list(csv.reader(io.StringIO(reply.data.decode("utf-8-sig")), delimiter=";"))
    assert [row[2] for row in rows[1:]] == ["SH-000000000001"]


def test_claim_xlsx_reads_back_with_numbers_and_totals(
    client: FlaskClient, world: World, buyer: Any
) -> None:
    reply = client.get(f"{BASE}/subsidy-claim.xlsx?from=2026-09-01&to=2026-10-31", headers=buyer)

    assert reply.status_code == 200
    assert reply.mimetype == ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    book = load_workbook(io.BytesIO(reply.data))
    assert book.sheetnames == ["Tilskudsopgørelse"]
    sheet = book["Tilskudsopgørelse"]
    values = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert values[0][9:] == ["Beløb ekskl. moms (kr.)", "Tilskud (kr.)", "Egenbetaling (kr.)"]
    assert [(row[0].date() if row[0] else None, row[2], row[8], row[9], row[10], row[11])
            for row in values[1:3]] == [
        (date(2026, 9, 10), "SH-000000000001", 2, 3000, 1500, 1500),
        (date(2026, 10, 6), "pi_test_3", 1, 800, 400, 400),
    ]  # fmt: skip
    assert values[3] == ["I alt", None, None, None, None, None, None, None, None, 3800, 1900, 1900]
    assert sheet["J2"].number_format == '#,##0.00 "kr."'
    assert sheet["L4"].number_format == '#,##0.00 "kr."'
    assert sheet["A4"].font.b is True
    assert book.properties.title == "Tilskudsopgørelse Aarhus 2026-09-01–2026-10-31"


def test_claim_amounts_keep_their_ore(client: FlaskClient, world: World, buyer: Any) -> None:
    from server.reports.exports import kr_decimal

    assert kr_decimal(1_000_01) == Decimal("1000.01")
    reply = client.get(f"{BASE}/subsidy-claim.xlsx?from=2026-09-20&to=2026-09-20", headers=buyer)
    rows = list(load_workbook(io.BytesIO(reply.data)).active.iter_rows(values_only=True))  # type: ignore[union-attr]
    assert rows[1:] == [("I alt", None, None, None, None, None, None, None, None, 0, 0, 0)]


@pytest.mark.parametrize(
    "query",
    ["from=2026-10-31&to=2026-09-01", "from=2020-01-01&to=2026-01-02", "from=31.12.2026"],
)  # fmt: skip
def test_bad_periods_are_refused(client: FlaskClient, world: World, buyer: Any, query: str) -> None:
    reply = client.get(f"{BASE}/subsidy-claim.csv?{query}", headers=buyer)

    assert reply.status_code in (400, 422)
    assert "error" in reply.get_json()


# --------------------------------------------------------------------------- the chart


def test_spend_chart_svg_has_danish_labels(client: FlaskClient, world: World, buyer: Any) -> None:
    reply = client.get(f"{BASE}/spend-chart.svg", headers=buyer)

    assert reply.status_code == 200
    assert reply.mimetype == "image/svg+xml"
    root = etree.fromstring(reply.data)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    texts = {"".join(t.itertext()).strip() for t in root.iter("{http://www.w3.org/2000/svg}text")}
    assert {"Forbrug mod budget – Aarhus", "Budget", "Brugt", "Brugt + reserveret", "Dato",
            "Kroner (ekskl. moms)"} <= texts  # fmt: skip
    assert any(text.endswith(" kr.") for text in texts)
    assert "DejaVu Sans" in reply.data.decode()
    assert client.get(f"{BASE}/spend-chart.svg", headers=buyer).data == reply.data  # no timestamp


def test_spend_chart_png_is_an_image(client: FlaskClient, world: World, buyer: Any) -> None:
    reply = client.get(f"{BASE}/spend-chart.png", headers=buyer)

    assert (reply.status_code, reply.mimetype) == (200, "image/png")
    image = Image.open(io.BytesIO(reply.data))
    image.verify()
    assert (image.format, image.size) == ("PNG", (800, 450))


def test_spend_over_time_points(session: Session, world: World) -> None:
    from server.reports.queries import spend_over_time

    points = spend_over_time(session, municipality_code="751")

    assert [(p.day.isoformat(), p.budget_ore, p.spent_ore, p.reserved_ore) for p in points] == [
        ("2026-08-01", 150_000_00, 0, 0),
        ("2026-08-02", 150_000_00, 0, 0),
        ("2026-09-01", 150_000_00, 0, 3_000_00),
        ("2026-09-02", 150_000_00, 0, 3_000_00 + 1_500_00),
        ("2026-09-03", 150_000_00, 1_500_00, 3_000_00),
        ("2026-09-04", 150_000_00, 0, 3_000_00),
        ("2026-09-10", 150_000_00, 3_000_00, 0),
        ("2026-09-20", 150_000_00, 3_000_00, 1_000_01),
        ("2026-10-01", 150_000_00, 3_000_00, 1_000_01 + 800_00),
        ("2026-10-06", 150_000_00, 3_800_00, 1_000_01),
    ]


def test_empty_municipality_chart_and_report(
    client: FlaskClient, session: Session, token_for: Callable[[Any], str]
) -> None:
    odense = headers(token_for(make_user(session, "municipal_buyer", municipality_code="461")))

    assert (
        client.get("/api/v1/municipalities/461/reports/spend-chart.svg", headers=odense).status_code
        == 200
    )
    body = client.get("/api/v1/municipalities/461/reports/spend", headers=odense).get_json()
    assert body["totals"]["spent_ore"] == 0
    assert body["by_subject"] == []


# --------------------------------------------------------------------------- access


@pytest.mark.parametrize(
    "path",
    ["/spend", "/publisher-concentration", "/subsidy-claim.csv", "/subsidy-claim.xlsx",
     "/spend-chart.svg", "/spend-chart.png"],
)  # fmt: skip
def test_another_municipalitys_buyer_sees_nothing(
    client: FlaskClient, session: Session, world: World, token_for: Callable[[Any], str], path: str
) -> None:
    odense = headers(token_for(make_user(session, "municipal_buyer", municipality_code="461")))
    leader = headers(token_for(make_user(session, "school_leader", school=world.bakke)))

    assert client.get(f"{BASE}{path}").status_code == 401
    assert client.get(f"{BASE}{path}", headers=odense).status_code == 404
    assert client.get(f"{BASE}{path}", headers=leader).status_code == 404
    assert (
        client.get(f"/api/v1/municipalities/999/reports{path}", headers=odense).status_code == 404
    )


def test_school_report_access(
    client: FlaskClient, session: Session, world: World, token_for: Callable[[Any], str],
    buyer: Any,
) -> None:  # fmt: skip
    path = f"/api/v1/schools/{world.bakke.id}/reports/spend"
    teacher = headers(token_for(world.teacher))
    other_leader = headers(token_for(make_user(session, "school_leader", school=world.fjordskolen)))
    odense = headers(token_for(make_user(session, "municipal_buyer", municipality_code="461")))

    assert client.get(path, headers=buyer).status_code == 200
    assert client.get(path, headers=teacher).status_code == 403
    assert client.get(path, headers=other_leader).status_code == 404
    assert client.get(path, headers=odense).status_code == 404
    assert (
        client.get(f"/api/v1/schools/{uuid.uuid4()}/reports/spend", headers=buyer).status_code
        == 404
    )


def test_reports_write_nothing(
    client: FlaskClient, session: Session, world: World, buyer: Any
) -> None:
    before = session.scalar(select(func.count()).select_from(LedgerEntryRow))

    for path in ("/spend", "/subsidy-claim.xlsx", "/spend-chart.png"):
        client.get(f"{BASE}{path}", headers=buyer)

    assert session.scalar(select(func.count()).select_from(LedgerEntryRow)) == before


def test_publisher_statements_from_the_database(session: Session, world: World) -> None:
    from server.payments.payouts import Month, statements_for_month
    from server.reports.queries import sale_lines

    september = statements_for_month(Month(2026, 9), sale_lines(session, Month(2026, 9)))

    # Brøkbanken 3.000,00 + the cancelled order 1.500,00 + Odense 999,00, less 1.500,00 refunded
    assert [(s.publisher_id, s.sales_ore, s.refunds_ore, s.gross_ore, s.fee_ore, s.net_ore)
            for s in september] == [
        (world.fjord.id, 5_499_00, 1_500_00, 3_999_00, 399_90, 3_599_10),
    ]  # fmt: skip
    october = statements_for_month(Month(2026, 10), sale_lines(session, Month(2026, 10)))
    assert [(s.publisher_id, s.gross_ore) for s in october] == [(world.fjord.id, 800_00)]


def test_claim_text_never_becomes_a_formula(
    client: FlaskClient, session: Session, world: World, buyer: Any
) -> None:
    world.products["brok"].title = '=HYPERLINK("http://evil.example","Klik")'
    session.commit()
    period = "from=2026-09-01&to=2026-09-30"

    text = client.get(f"{BASE}/subsidy-claim.csv?{period}", headers=buyer).data.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert rows[1][7] == '\'=HYPERLINK("http://evil.example","Klik")'
    book = load_workbook(
        io.BytesIO(client.get(f"{BASE}/subsidy-claim.xlsx?{period}", headers=buyer).data)
    )
    cell = book.worksheets[0]["H2"]
    assert (cell.value, cell.data_type) == ('=HYPERLINK("http://evil.example","Klik")', "s")
