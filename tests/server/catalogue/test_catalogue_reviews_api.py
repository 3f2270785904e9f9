"""Teachers' reviews: ratings 1–5, one per teacher and product, moderated by a platform admin;
only approved reviews are shown and counted in the rating."""

from __future__ import annotations

from typing import Any

from catalogue_http import (
    GOAL_MAT_TA_3_TAL,
    UNKNOWN_GOAL,
    Shop,
    TokenFor,
    catalogue_state,
    open_shop,
)
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from server.organisations.models import UserRow


def review(shop: Shop, pid: str, teacher: UserRow, **body: Any) -> Any:
    return shop.client.post(
        f"/api/v1/products/{pid}/reviews", json=body, headers=shop.headers_for(teacher)
    )


def test_ratings_are_1_to_5_and_text_is_plain(
    client: FlaskClient, session: Session, token_for: TokenFor
) -> None:
    shop = open_shop(client, session, token_for)
    pid = shop.published()["id"]
    before = catalogue_state(session)
    for rating in (0, 6, 4.5, "5"):
        response = review(shop, pid, shop.teacher, rating=rating)
        assert response.status_code == 422, rating
    html = review(shop, pid, shop.teacher, rating=5, text="<script>alert(1)</script>")
    assert html.status_code == 422
    assert list(html.get_json()["error"]["details"]["json"]) == ["text"]
    unknown = review(
        shop, pid, shop.teacher, rating=5, worked_for={"goal_id": str(UNKNOWN_GOAL), "grade": 5}
    )
    assert unknown.status_code == 422
    assert catalogue_state(session) == before


def test_one_review_per_teacher_and_only_approved_ones_count(
    client: FlaskClient, session: Session, token_for: TokenFor
) -> None:
    shop = open_shop(client, session, token_for)
    pid = shop.published()["id"]
    first = review(
        shop,
        pid,
        shop.teacher,
        rating=5,
        text="Eleverne elskede den.",
        worked_for={"goal_id": str(GOAL_MAT_TA_3_TAL), "grade": 4},
    )
    assert first.status_code == 201
    body = first.get_json()
    assert body["status"] == "pending"
    assert body["worked_for"] == {"goal_id": str(GOAL_MAT_TA_3_TAL), "grade": 4}
    before = catalogue_state(session)
    again = review(shop, pid, shop.teacher, rating=1)
    assert again.status_code == 409
    assert again.get_json()["error"]["code"] == "review_exists"
    assert catalogue_state(session) == before
    second = review(shop, pid, shop.second_teacher, rating=2)
    assert second.status_code == 201

    listed = client.get(f"/api/v1/products/{pid}").get_json()
    assert listed["rating"] == {
        "count": 0,
        "mean": None,
        "display": None,
        "histogram": [0, 0, 0, 0, 0],
    }
    assert listed["reviews"] == []

    moderate = f"/api/v1/reviews/{body['id']}/moderate"
    by_teacher = client.post(
        moderate, json={"decision": "approved"}, headers=shop.headers_for(shop.teacher)
    )
    assert by_teacher.status_code == 403
    by_publisher = client.post(moderate, json={"decision": "approved"}, headers=shop.pub)
    assert by_publisher.status_code == 403
    approved = client.post(moderate, json={"decision": "approved"}, headers=shop.admin)
    assert approved.status_code == 200
    assert approved.get_json()["status"] == "approved"
    assert (
        client.post(
            moderate, json={"decision": "rejected", "reason": "Nej"}, headers=shop.admin
        ).status_code
        == 409
    )

    other = f"/api/v1/reviews/{second.get_json()['id']}/moderate"
    no_reason = client.post(other, json={"decision": "rejected"}, headers=shop.admin)
    assert no_reason.status_code == 422
    rejected = client.post(
        other, json={"decision": "rejected", "reason": "Usaglig"}, headers=shop.admin
    )
    assert rejected.get_json()["moderation_reason"] == "Usaglig"

    listed = client.get(f"/api/v1/products/{pid}").get_json()
    assert listed["rating"] == {
        "count": 1,
        "mean": "5.0",
        "display": "5,0",
        "histogram": [0, 0, 0, 0, 1],
    }
    assert [r["text"] for r in listed["reviews"]] == ["Eleverne elskede den."]


def test_a_draft_cannot_be_reviewed(
    client: FlaskClient, session: Session, token_for: TokenFor
) -> None:
    shop = open_shop(client, session, token_for)
    pid = shop.create()["id"]
    before = catalogue_state(session)
    assert review(shop, pid, shop.teacher, rating=5).status_code == 404
    assert catalogue_state(session) == before
    listed = shop.published(title="Andet")["id"]
    assert review(shop, listed, shop.publisher_admin, rating=5).status_code == 403
    assert catalogue_state(session)[5] == 0  # no review rows
