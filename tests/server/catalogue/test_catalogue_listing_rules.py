"""Offers in whole øre (never floats), listing checks (HTML, unknown goals), the search
documents of published products, and the search-outbox hook points."""

from __future__ import annotations

import uuid
from typing import Any

from catalogue_http import (
    AREA_TAL_OG_ALGEBRA,
    GOAL_MAT_TA_3,
    GOAL_MAT_TA_3_TAL,
    OFFER,
    UNKNOWN_GOAL,
    TokenFor,
    catalogue_state,
    open_shop,
    product_body,
)
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from catalogue.model import Action
from server.catalogue import operations as ops
from server.catalogue.documents import documents_for
from server.identity.current import principal_for_user


class RecordingOutbox:
    """Records the outbox calls an operation makes (the real one is server.search.outbox)."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, uuid.UUID | None]] = []

    def enqueue(self, session: Session, product_id: uuid.UUID) -> None:
        assert session.new or session.dirty  # before the commit, with the change
        self.calls.append(("enqueue", product_id))

    def flush_soon(self) -> None:
        self.calls.append(("flush_soon", None))


def test_offers_are_whole_ore_with_vat_and_danish_prices(
    client: FlaskClient, session: Session, token_for: TokenFor
) -> None:
    shop = open_shop(client, session, token_for)
    pid = shop.create()["id"]
    added = client.post(f"/api/v1/products/{pid}/offers", json=OFFER, headers=shop.pub)
    assert added.status_code == 201, added.get_json()
    offer = added.get_json()
    assert {k: offer[k] for k in ("price_ore", "vat_ore", "gross_ore", "vat_percent")} == {
        "price_ore": 14950,
        "vat_ore": 3738,
        "gross_ore": 18688,
        "vat_percent": 25,
    }
    assert all(type(offer[k]) is int for k in ("price_ore", "vat_ore", "gross_ore"))
    assert offer["price_text"] == "149,50\xa0kr."
    assert offer["gross_text"] == "186,88\xa0kr."
    assert offer["licence_type_label"] == "Klasselicens"

    before = catalogue_state(session)
    for price in (149.5, 14950.0, "149,50", "1e4", True):
        refused = client.post(
            f"/api/v1/products/{pid}/offers", json={**OFFER, "price_ore": price}, headers=shop.pub
        )
        assert refused.status_code == 422, price
        assert list(refused.get_json()["error"]["details"]["json"]) == ["price_ore"]
    assert catalogue_state(session) == before

    off = client.put(
        f"/api/v1/offers/{offer['id']}", json={**OFFER, "active": False}, headers=shop.pub
    )
    assert off.status_code == 200
    assert off.get_json()["active"] is False
    shop.step(pid, "submit", shop.pub)
    shop.step(pid, "approve", shop.admin)
    shop.step(pid, "publish", shop.admin)
    assert client.get(f"/api/v1/products/{pid}").get_json()["offers"] == []


def test_html_and_unknown_goals_are_refused_and_nothing_is_stored(
    client: FlaskClient, session: Session, token_for: TokenFor
) -> None:
    shop = open_shop(client, session, token_for)
    url = f"/api/v1/publishers/{shop.publisher.id}/products"
    before = catalogue_state(session)
    html = client.post(url, json=product_body(title="<script>x</script>Brøk"), headers=shop.pub)
    assert html.status_code == 422
    assert html.get_json()["error"]["details"]["json"]["title"][0].startswith("looks like HTML")
    goals = client.post(
        url, json=product_body(goal_ids=[str(GOAL_MAT_TA_3), str(UNKNOWN_GOAL)]), headers=shop.pub
    )
    assert goals.status_code == 422
    assert goals.get_json()["error"]["details"]["json"] == {
        "goal_ids": [f"unknown goal ids (in no goal framework): {UNKNOWN_GOAL}"]
    }
    not_json = client.post(url, data="{", headers={**shop.pub, "Content-Type": "application/json"})
    assert not_json.status_code == 422
    assert catalogue_state(session) == before


def test_documents_for_gives_the_search_document_of_published_products_only(
    client: FlaskClient, session: Session, token_for: TokenFor
) -> None:
    shop = open_shop(client, session, token_for)
    draft = shop.create()["id"]
    listed = shop.published(title="Brøkbanden Live")
    client.post(f"/api/v1/products/{listed['id']}/offers", json=OFFER, headers=shop.pub)
    docs = documents_for(session, [uuid.UUID(draft), uuid.UUID(listed["id"]), uuid.uuid4()])
    assert len(docs) == 1
    doc: dict[str, Any] = docs[0]
    assert doc["id"] == listed["id"]
    assert doc["title"] == "Brøkbanden Live"
    assert doc["publisher_name"] == "Forlaget Brøk"
    assert doc["grades"] == [4, 5]
    assert doc["min_price_ore"] == 14950
    assert doc["price_band"] == "100_499"
    assert doc["licence_types"] == ["class"]
    assert doc["goal_ids"] == [str(GOAL_MAT_TA_3_TAL)]
    # the tagged goal, its competence goal, its competence area (the framework is no goal)
    assert set(doc["goal_path_ids"]) == {
        str(GOAL_MAT_TA_3_TAL),
        str(GOAL_MAT_TA_3),
        str(AREA_TAL_OG_ALGEBRA),
    }
    assert doc["competence_areas"] == ["Tal og algebra"]
    assert doc["goal_texts"] == ["Tal"]
    assert doc["rating_count"] == 0
    assert doc["version"] == 1


def test_the_outbox_hooks(client: FlaskClient, session: Session, token_for: TokenFor) -> None:
    shop = open_shop(client, session, token_for)
    publisher = principal_for_user(session, shop.publisher_admin.id)
    admin = principal_for_user(session, shop.platform_admin.id)
    assert publisher is not None and admin is not None
    pid = uuid.UUID(shop.create()["id"])
    outbox = RecordingOutbox()

    def act(action: Action, who: Any) -> list[tuple[str, uuid.UUID | None]]:
        outbox.calls.clear()
        ops.act_on_product(session, who, pid, action, outbox=outbox)
        return list(outbox.calls)

    assert act(Action.SUBMIT, publisher) == []
    assert act(Action.APPROVE, admin) == []
    assert act(Action.PUBLISH, admin) == [("enqueue", pid), ("flush_soon", None)]

    outbox.calls.clear()
    offer = ops.add_offer(session, publisher, pid, OFFER, outbox=outbox)
    assert outbox.calls == [("enqueue", pid), ("flush_soon", None)]
    outbox.calls.clear()
    ops.update_offer(session, publisher, offer.id, {**OFFER, "price_ore": 9900}, outbox=outbox)
    assert outbox.calls == [("enqueue", pid), ("flush_soon", None)]

    ops.update_product(session, publisher, pid, product_body(title="Ny titel"))
    assert act(Action.SUBMIT, publisher) == []  # a revision in review: search is unchanged
    assert act(Action.APPROVE, admin) == []
    assert act(Action.PUBLISH, admin) == [("enqueue", pid), ("flush_soon", None)]

    teacher = principal_for_user(session, shop.teacher.id)
    assert teacher is not None
    review = ops.create_review(session, teacher, pid, {"rating": 4})
    outbox.calls.clear()
    ops.moderate_review(session, admin, review.id, "approved", None, outbox=outbox)
    assert outbox.calls == [("enqueue", pid), ("flush_soon", None)]

    assert act(Action.WITHDRAW, publisher) == [("enqueue", pid), ("flush_soon", None)]
