"""The review workflow through the API: draft → submitted → approved → published → withdrawn,
rejection with a reason, history, and edits of a published product as revisions."""

from __future__ import annotations

from catalogue_http import (
    GOAL_MAT_TA_3,
    GOAL_MAT_TA_3_TAL,
    Shop,
    TokenFor,
    catalogue_state,
    open_shop,
    product_body,
)
from flask.testing import FlaskClient
from sqlalchemy.orm import Session


def shop_of(client: FlaskClient, session: Session, token_for: TokenFor) -> Shop:
    return open_shop(client, session, token_for)


def test_draft_submit_approve_publish(
    client: FlaskClient, session: Session, token_for: TokenFor
) -> None:
    shop = shop_of(client, session, token_for)
    product = shop.create()
    assert product["status"] == "draft"
    assert product["version"] == 1
    assert product["published_at"] is None
    assert product["listing"]["grades"] == [4, 5]
    assert product["goals"][0]["id"] == str(GOAL_MAT_TA_3_TAL)
    assert product["goals"][0]["human_code"] == "MAT.TA.3.TAL"
    pid = product["id"]

    assert client.get(f"/api/v1/products/{pid}").status_code == 401  # a draft is not public
    submitted = shop.step(pid, "submit", shop.pub)
    assert submitted.status_code == 200
    assert submitted.get_json()["status"] == "submitted"
    approved = shop.step(pid, "approve", shop.admin)
    assert approved.get_json()["status"] == "approved"
    published = shop.step(pid, "publish", shop.admin)
    assert published.status_code == 200
    body = published.get_json()
    assert body["status"] == "published"
    assert body["published_at"] is not None

    public = client.get(f"/api/v1/products/{pid}")
    assert public.status_code == 200
    assert public.headers["Cache-Control"] == "public, max-age=60"
    assert public.get_json()["external_id"] is None
    assert public.get_json()["pending_revision"] is None

    history = client.get(f"/api/v1/products/{pid}/history", headers=shop.pub).get_json()
    steps = [
        (h["action"], h["from_status"], h["to_status"], h["actor_role"]) for h in history["items"]
    ]
    assert steps == [
        ("submit", "draft", "submitted", "publisher_admin"),
        ("approve", "submitted", "approved", "platform_admin"),
        ("publish", "approved", "published", "platform_admin"),
    ]
    assert history["items"][0]["actor_user_id"] == str(shop.publisher_admin.id)
    assert history["items"][2]["actor_user_id"] == str(shop.platform_admin.id)


def test_rejection_needs_a_reason_and_is_shown_to_the_publisher(
    client: FlaskClient, session: Session, token_for: TokenFor
) -> None:
    shop = shop_of(client, session, token_for)
    pid = shop.create()["id"]
    shop.step(pid, "submit", shop.pub)
    before = catalogue_state(session)
    no_reason = shop.step(pid, "reject", shop.admin)
    assert no_reason.status_code == 422
    assert no_reason.get_json()["error"]["details"] == {
        "json": {"reason": ["a rejection needs a reason for the publisher"]}
    }
    assert catalogue_state(session) == before

    rejected = shop.step(pid, "reject", shop.admin, reason="Mangler databehandleraftale")
    assert rejected.status_code == 200
    assert rejected.get_json()["status"] == "rejected"
    assert rejected.get_json()["rejection_reason"] == "Mangler databehandleraftale"
    history = client.get(f"/api/v1/products/{pid}/history", headers=shop.pub).get_json()
    assert history["items"][-1]["reason"] == "Mangler databehandleraftale"

    # the publisher edits the rejected product in place and submits again
    edited = client.put(
        f"/api/v1/products/{pid}", json=product_body(title="Brøkbanden 2"), headers=shop.pub
    )
    assert edited.status_code == 200
    assert edited.get_json()["listing"]["title"] == "Brøkbanden 2"
    assert edited.get_json()["status"] == "rejected"
    assert shop.step(pid, "submit", shop.pub).get_json()["status"] == "submitted"


def test_wrong_role_and_wrong_status_change_nothing(
    client: FlaskClient, session: Session, token_for: TokenFor
) -> None:
    shop = shop_of(client, session, token_for)
    pid = shop.create()["id"]
    before = catalogue_state(session)
    own_approval = shop.step(pid, "approve", shop.pub)
    assert own_approval.status_code == 403
    too_early = shop.step(pid, "publish", shop.admin)
    assert too_early.status_code == 409
    assert too_early.get_json()["error"]["code"] == "transition_refused"
    assert catalogue_state(session) == before


def test_withdraw_is_final_and_unlists(
    client: FlaskClient, session: Session, token_for: TokenFor
) -> None:
    shop = shop_of(client, session, token_for)
    pid = shop.published()["id"]
    withdrawn = shop.step(pid, "withdraw", shop.pub, reason="Udgår")
    assert withdrawn.status_code == 200
    assert withdrawn.get_json()["status"] == "withdrawn"
    assert client.get(f"/api/v1/products/{pid}").status_code == 401
    assert (
        client.get(f"/api/v1/products/{pid}", headers=shop.headers_for(shop.teacher)).status_code
        == 404
    )
    before = catalogue_state(session)
    again = client.put(f"/api/v1/products/{pid}", json=product_body(), headers=shop.pub)
    assert again.status_code == 409
    assert catalogue_state(session) == before


def test_edit_of_a_published_product_is_a_revision_until_published(
    client: FlaskClient, session: Session, token_for: TokenFor
) -> None:
    shop = shop_of(client, session, token_for)
    pid = shop.published()["id"]
    new_goals = [str(GOAL_MAT_TA_3), str(GOAL_MAT_TA_3_TAL)]
    edit = client.put(
        f"/api/v1/products/{pid}",
        json=product_body(title="Brøkbanden Plus", goal_ids=new_goals),
        headers=shop.pub,
    )
    assert edit.status_code == 200
    body = edit.get_json()
    assert body["status"] == "published"
    assert body["version"] == 1
    assert body["listing"]["title"] == "Brøkbanden"  # the live listing is unchanged
    assert body["pending_revision"]["status"] == "draft"
    assert body["pending_revision"]["version"] == 2
    assert body["pending_revision"]["listing"]["title"] == "Brøkbanden Plus"

    for action, headers in (("submit", shop.pub), ("approve", shop.admin)):
        response = shop.step(pid, action, headers)
        assert response.status_code == 200, response.get_json()
        public = client.get(f"/api/v1/products/{pid}").get_json()
        assert public["listing"]["title"] == "Brøkbanden"
        assert public["version"] == 1
        assert [g["id"] for g in public["goals"]] == [str(GOAL_MAT_TA_3_TAL)]
    in_review = client.put(f"/api/v1/products/{pid}", json=product_body(), headers=shop.pub)
    assert in_review.status_code == 409

    published = shop.step(pid, "publish", shop.admin)
    assert published.status_code == 200
    public = client.get(f"/api/v1/products/{pid}").get_json()
    assert public["listing"]["title"] == "Brøkbanden Plus"
    assert public["version"] == 2
    assert public["status"] == "published"
    assert [g["id"] for g in public["goals"]] == new_goals
    history = client.get(f"/api/v1/products/{pid}/history", headers=shop.pub).get_json()
    assert [(h["version"], h["action"]) for h in history["items"]][-3:] == [
        (2, "submit"),
        (2, "approve"),
        (2, "publish"),
    ]
    assert (
        client.get(f"/api/v1/products/{pid}", headers=shop.pub).get_json()["pending_revision"]
        is None
    )


def test_an_unchanged_edit_of_a_published_product_is_refused(
    client: FlaskClient, session: Session, token_for: TokenFor
) -> None:
    shop = shop_of(client, session, token_for)
    pid = shop.published()["id"]
    before = catalogue_state(session)
    same = client.put(f"/api/v1/products/{pid}", json=product_body(), headers=shop.pub)
    assert same.status_code == 422
    assert same.get_json()["error"]["details"] == {
        "json": {"listing": ["the edit changes nothing"]}
    }
    assert catalogue_state(session) == before
