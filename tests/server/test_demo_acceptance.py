"""What `make run` shows: the demo catalogue answers the Catalogue issue's acceptance searches
over HTTP — a typo'd Danish query and a goal-subtree filter with exact facet counts."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from server.demo import load_demo
from server.demo_catalogue import EXPECTED, EXPECTED_FACETS


@pytest.fixture
def demo(session: Session) -> None:
    lines = list(load_demo(session, environment="development"))
    assert "demo catalogue: 198 products from 10 fictional publishers" in lines


def search(client: FlaskClient, **params: Any) -> dict[str, Any]:
    response = client.get("/api/v1/products", query_string={"limit": 100, **params})
    assert response.status_code == 200, response.get_data(as_text=True)
    body: dict[str, Any] = response.get_json()
    return body


@pytest.mark.parametrize("case", EXPECTED["typo_queries"], ids=lambda c: c["query"])
def test_typo_query_finds_the_demo_products(
    client: FlaskClient, demo: None, case: dict[str, Any]
) -> None:
    body = search(client, q=case["query"])
    assert body["total"] == len(case["titles"])
    assert sorted(item["title"] for item in body["items"]) == sorted(case["titles"])


@pytest.mark.parametrize("case", EXPECTED["goal_filters"], ids=lambda c: c["human_code"])
def test_goal_subtree_filter_with_facet_counts(
    client: FlaskClient, demo: None, case: dict[str, Any]
) -> None:
    body = search(client, goal=case["goal_id"], facets=list(EXPECTED_FACETS))
    assert sorted(item["title"] for item in body["items"]) == sorted(case["titles"])
    assert case["tagged_directly"] < len(case["titles"])  # found through sub-goals too
    for facet in EXPECTED_FACETS:
        counts = {entry["value"]: entry["count"] for entry in body["facets"][facet]}
        assert counts == case["facets"][facet], facet
