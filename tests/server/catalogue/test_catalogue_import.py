"""Bulk import (JSON Lines) through the API and the command line: every line checked, a
report per line and field, all or nothing, and re-imports update in place."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from catalogue_http import (
    GOAL_MAT_TA_3_TAL,
    UNKNOWN_GOAL,
    Shop,
    TokenFor,
    catalogue_state,
    open_shop,
    product_body,
)
from click.testing import CliRunner
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.catalogue.models import OfferRow, ProductRow
from server.cli import main


def line(external_id: str, **changes: Any) -> dict[str, Any]:
    return {
        "external_id": external_id,
        **product_body(title=f"Materiale {external_id}"),
        "offers": [
            {"licence_type": "class", "period": "school_year", "price_ore": 49900},
            {
                "licence_type": "school",
                "period": "school_years_3",
                "price_ore": 1250000,
                "subsidy_eligible": True,
            },
        ],
        **changes,
    }


def jsonl(*lines: Any) -> bytes:
    return "\n".join(
        x if isinstance(x, str) else json.dumps(x, ensure_ascii=False) for x in lines
    ).encode()


def post(shop: Shop, data: bytes, headers: dict[str, str] | None = None, **query: str) -> Any:
    return shop.client.post(
        f"/api/v1/publishers/{shop.publisher.id}/catalogue-import",
        data=data,
        headers={**(headers or shop.pub), "Content-Type": "application/x-ndjson"},
        query_string=query,
    )


def products(session: Session) -> list[tuple[Any, ...]]:
    session.expire_all()
    return [
        tuple(r)
        for r in session.execute(
            select(ProductRow.external_id, ProductRow.status, ProductRow.title).order_by(
                ProductRow.external_id
            )
        )
    ]


def test_a_good_file_creates_drafts_and_a_reimport_changes_nothing(
    client: FlaskClient, session: Session, token_for: TokenFor
) -> None:
    shop = open_shop(client, session, token_for)
    data = jsonl(line("A-1"), "", line("A-2", offers=[]))
    response = post(shop, data)
    assert response.status_code == 200, response.get_json()
    report = response.get_json()
    assert report["applied"] is True
    assert report["summary"] == {"created": 2, "updated": 0, "unchanged": 0}
    assert [(x["line"], x["external_id"], x["outcome"], x["status"]) for x in report["lines"]] == [
        (1, "A-1", "created", "draft"),
        (3, "A-2", "created", "draft"),
    ]
    assert products(session) == [
        ("A-1", "draft", "Materiale A-1"),
        ("A-2", "draft", "Materiale A-2"),
    ]
    offers = session.scalars(select(OfferRow.price_ore).order_by(OfferRow.price_ore)).all()
    assert offers == [49900, 1250000]

    before = catalogue_state(session)
    again = post(shop, data).get_json()
    assert again["summary"] == {"created": 0, "updated": 0, "unchanged": 2}
    assert [x["product_id"] for x in again["lines"]] == [x["product_id"] for x in report["lines"]]
    assert catalogue_state(session) == before

    changed = post(shop, jsonl(line("A-1", title="Nyt navn"), line("A-2", offers=[]))).get_json()
    assert changed["summary"] == {"created": 0, "updated": 1, "unchanged": 1}
    assert products(session)[0] == ("A-1", "draft", "Nyt navn")


def test_one_bad_line_stores_nothing_and_every_problem_is_reported(
    client: FlaskClient, session: Session, token_for: TokenFor
) -> None:
    shop = open_shop(client, session, token_for)
    before = catalogue_state(session)
    data = jsonl(
        line("OK-1"),
        "{not json",
        line("B-3", goal_ids=[str(UNKNOWN_GOAL)]),
        line(
            "B-4", offers=[{"licence_type": "class", "period": "school_year", "price_ore": 149.5}]
        ),
        line("B-5", description="<b>Fed</b> tekst"),
        line("B-6", status="published"),
        line("OK-1"),
    )
    response = post(shop, data)
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "import_invalid"
    assert error["message"] == "Filen har 6 fejl; intet er importeret."
    problems = [(p["line"], p["field"]) for p in error["details"]["errors"]]
    assert problems == [
        (2, "$"),
        (3, "goal_ids"),
        (4, "offers[0].price_ore"),
        (5, "description"),
        (6, "status"),
        (7, "external_id"),
    ]
    messages = {p["line"]: p["message"] for p in error["details"]["errors"]}
    assert messages[2].startswith("the line is not JSON")
    assert str(UNKNOWN_GOAL) in messages[3]
    assert "not a decimal number (149.5)" in messages[4]
    assert messages[5].startswith("looks like HTML")
    assert messages[7] == "the same as on line 1"
    assert catalogue_state(session) == before


def test_dry_run_reports_and_stores_nothing(
    client: FlaskClient, session: Session, token_for: TokenFor
) -> None:
    shop = open_shop(client, session, token_for)
    before = catalogue_state(session)
    response = post(shop, jsonl(line("D-1")), dry_run="true")
    assert response.status_code == 200
    assert response.get_json()["dry_run"] is True
    assert response.get_json()["applied"] is False
    assert response.get_json()["summary"]["created"] == 1
    assert catalogue_state(session) == before


def test_a_platform_admin_imports_published_products(
    client: FlaskClient, session: Session, token_for: TokenFor
) -> None:
    shop = open_shop(client, session, token_for)
    response = post(shop, jsonl(line("P-1", status="published")), headers=shop.admin)
    assert response.status_code == 200, response.get_json()
    pid = response.get_json()["lines"][0]["product_id"]
    public = client.get(f"/api/v1/products/{pid}").get_json()
    assert public["status"] == "published"
    assert [o["price_ore"] for o in public["offers"]] == [49900, 1250000]
    history = client.get(f"/api/v1/products/{pid}/history", headers=shop.admin).get_json()
    assert [(h["action"], h["reason"]) for h in history["items"]] == [
        ("submit", "Katalogimport"),
        ("approve", "Katalogimport"),
        ("publish", "Katalogimport"),
    ]

    # a publisher's later import of the same product is a revision for review
    edit = post(shop, jsonl(line("P-1", title="Ny titel")))
    assert edit.get_json()["lines"][0]["pending_revision"] is True
    assert client.get(f"/api/v1/products/{pid}").get_json()["listing"]["title"] == "Materiale P-1"


@pytest.fixture
def cli(database_url: str, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.delenv("SKOLEHYLDE_ENV", raising=False)
    return CliRunner()


def test_cli_imports_and_refuses_a_bad_file(
    client: FlaskClient, session: Session, token_for: TokenFor, cli: CliRunner, tmp_path: Path
) -> None:
    shop = open_shop(client, session, token_for)
    good = tmp_path / "katalog.jsonl"
    good.write_bytes(
        jsonl(
            line("C-1", status="published", publisher_cvr=shop.publisher.cvr),
            line("C-2", goal_ids=[str(GOAL_MAT_TA_3_TAL)]),
        )
    )
    result = cli.invoke(
        main,
        ["catalogue", "import", str(good), "--publisher", shop.publisher.cvr],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    assert (
        result.output.splitlines()[-1] == "imported 2 product(s): 2 created, 0 updated, 0 unchanged"
    )
    assert products(session) == [
        ("C-1", "published", "Materiale C-1"),
        ("C-2", "draft", "Materiale C-2"),
    ]

    bad = tmp_path / "fejl.jsonl"
    bad.write_bytes(
        jsonl(
            line("C-3"),
            line(
                "C-4",
                offers=[{"licence_type": "class", "period": "school_year", "price_ore": "149,50"}],
            ),
        )
    )
    before = catalogue_state(session)
    result = cli.invoke(main, ["catalogue", "import", str(bad)], catch_exceptions=False)
    assert result.exit_code == 1
    assert "fejl.jsonl: line 1: publisher_cvr: is required when the import names no publisher" in (
        result.output
    )
    assert "fejl.jsonl: line 2: offers[0].price_ore: must be whole øre" in result.output
    assert result.output.splitlines()[-1] == ("3 problem(s): nothing was imported (all or nothing)")
    assert catalogue_state(session) == before
