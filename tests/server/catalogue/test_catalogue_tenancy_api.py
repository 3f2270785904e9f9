"""Who may do what to a product: another publisher's product is 404, a teacher gets 403 on
edits of a listed product, no token is 401, and a publisher's integration token works for
its own products only."""

from __future__ import annotations

from catalogue_http import OFFER, TokenFor, catalogue_state, open_shop, product_body
from flask.testing import FlaskClient
from sqlalchemy.orm import Session


def test_another_publishers_product_is_not_found(
    client: FlaskClient, session: Session, token_for: TokenFor
) -> None:
    shop = open_shop(client, session, token_for)
    draft = shop.create()["id"]
    listed = shop.published(title="Brøkbanden Live")["id"]
    other = shop.headers_for(shop.other_admin)
    before = catalogue_state(session)
    for pid in (draft, listed):
        edit = client.put(f"/api/v1/products/{pid}", json=product_body(), headers=other)
        history = client.get(f"/api/v1/products/{pid}/history", headers=other)
        offer = client.post(f"/api/v1/products/{pid}/offers", json=OFFER, headers=other)
        expected = 404 if pid == draft else 403  # a listed product is public: 403, not 404
        assert (edit.status_code, history.status_code, offer.status_code) == (expected,) * 3
    create = client.post(
        f"/api/v1/publishers/{shop.publisher.id}/products", json=product_body(), headers=other
    )
    assert create.status_code == 404
    assert create.get_json()["error"]["code"] == "publisher_not_found"
    assert client.get(f"/api/v1/products/{draft}", headers=other).status_code == 404
    assert catalogue_state(session) == before


def test_a_teacher_may_read_but_not_edit(
    client: FlaskClient, session: Session, token_for: TokenFor
) -> None:
    shop = open_shop(client, session, token_for)
    pid = shop.published()["id"]
    teacher = shop.headers_for(shop.teacher)
    before = catalogue_state(session)
    assert client.get(f"/api/v1/products/{pid}", headers=teacher).status_code == 200
    edit = client.put(f"/api/v1/products/{pid}", json=product_body(title="Hacket"), headers=teacher)
    assert edit.status_code == 403
    assert edit.get_json()["error"]["code"] == "forbidden"
    assert shop.step(pid, "withdraw", teacher).status_code == 403
    assert (
        client.post(f"/api/v1/products/{pid}/offers", json=OFFER, headers=teacher).status_code
        == 403
    )
    assert catalogue_state(session) == before


def test_no_token_is_401_before_the_body_is_read(
    client: FlaskClient, session: Session, token_for: TokenFor
) -> None:
    shop = open_shop(client, session, token_for)
    pid = shop.published()["id"]
    before = catalogue_state(session)
    for response in (
        client.put(f"/api/v1/products/{pid}", data="not json"),
        client.post(f"/api/v1/publishers/{shop.publisher.id}/products", json={"title": 1}),
        client.post(f"/api/v1/products/{pid}/withdraw"),
        client.post(f"/api/v1/products/{pid}/reviews", json={"rating": 9}),
    ):
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert catalogue_state(session) == before


def test_a_publishers_integration_token_works_for_its_own_products_only(
    client: FlaskClient, session: Session, token_for: TokenFor
) -> None:
    shop = open_shop(client, session, token_for)
    integration = shop.client_token(shop.publisher)
    created = client.post(
        f"/api/v1/publishers/{shop.publisher.id}/products", json=product_body(), headers=integration
    )
    assert created.status_code == 201, created.get_json()
    pid = created.get_json()["id"]
    offer = client.post(f"/api/v1/products/{pid}/offers", json=OFFER, headers=integration)
    assert offer.status_code == 201
    submitted = shop.step(pid, "submit", integration)
    assert submitted.get_json()["status"] == "submitted"
    history = client.get(f"/api/v1/products/{pid}/history", headers=integration).get_json()
    assert history["items"][0]["actor_user_id"] is None
    assert history["items"][0]["actor_client_id"] is not None
    assert history["items"][0]["actor_role"] == "publisher_admin"

    foreign = shop.client_token(shop.other_publisher)
    before = catalogue_state(session)
    assert client.get(f"/api/v1/products/{pid}", headers=foreign).status_code == 404
    assert shop.step(pid, "withdraw", foreign).status_code == 404
    assert (
        client.post(
            f"/api/v1/publishers/{shop.publisher.id}/products", json=product_body(), headers=foreign
        ).status_code
        == 404
    )
    assert catalogue_state(session) == before
