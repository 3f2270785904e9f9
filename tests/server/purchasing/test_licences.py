"""Licences and entitlements: trials and their conversion, class licences covering new
pupils, the school-year rollover, expiry, free products."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from flask.testing import FlaskClient
from purchasing_support import fund_school, make_offer, principal
from sqlalchemy.orm import Session

from factories import make_class, make_publisher, make_school, make_user
from server.licensing import operations as licensing
from server.licensing.entitlements import check_entitlement
from server.organisations import operations as organisations
from server.organisations.models import UserRow
from server.purchasing import operations as purchasing

TokenFor = Callable[[UserRow], str]


def test_trial_then_purchase_carries_its_use(
    client: FlaskClient, session: Session, token_for: TokenFor
) -> None:
    school = make_school(session, "751")
    school_class = make_class(session, school, "5.A", 5)
    teacher = make_user(session, "teacher", school=school)
    pupil = make_user(session, "pupil", school_class=school_class)
    offer = make_offer(session, make_publisher(session), trial_days=30)
    headers = {"Authorization": f"Bearer {token_for(teacher)}"}
    body = {"product_id": str(offer.product_id), "school_class_id": str(school_class.id)}
    started = client.post("/api/v1/trials", json=body, headers=headers)
    assert started.status_code == 201, started.get_json()
    trial = started.get_json()
    again = client.post("/api/v1/trials", json=body, headers=headers)
    assert again.status_code == 409
    assert again.get_json()["error"]["code"] == "trial_exists"

    found = check_entitlement(session, user_id=pupil.id, product_id=offer.product_id)
    assert (found.allowed, found.reason, str(found.trial_id)) == (True, "trial", trial["id"])
    pupil_headers = {"Authorization": f"Bearer {token_for(pupil)}"}
    materials = client.get("/api/v1/me/materials", headers=pupil_headers).get_json()["items"]
    assert [(m["product_id"], m["reason"]) for m in materials] == [(str(offer.product_id), "trial")]
    later = datetime.now(UTC) + timedelta(days=31)
    expired = check_entitlement(session, user_id=pupil.id, product_id=offer.product_id, at=later)
    assert (expired.allowed, expired.reason) == (False, "expired")

    asked = client.post("/api/v1/purchase-requests", headers=headers, json={
        "offer_id": str(offer.id), "quantity": 1, "school_class_id": str(school_class.id),
        "reason": "Prøven gik godt", "trial_id": trial["id"],
    })  # fmt: skip
    assert asked.status_code == 201
    assert (asked.get_json()["trial_id"], asked.get_json()["trial_days_used"]) == (trial["id"], 1)


def test_no_trial_for_a_product_without_trial_days(
    client: FlaskClient, session: Session, token_for: TokenFor
) -> None:
    school = make_school(session, "751")
    school_class = make_class(session, school)
    teacher = make_user(session, "teacher", school=school)
    offer = make_offer(session, make_publisher(session), trial_days=0)
    answer = client.post(
        "/api/v1/trials", headers={"Authorization": f"Bearer {token_for(teacher)}"},
        json={"product_id": str(offer.product_id), "school_class_id": str(school_class.id)},
    )  # fmt: skip
    assert answer.status_code == 409
    assert answer.get_json()["error"]["code"] == "no_trial"


def test_free_products_are_open_and_unknown_ones_are_not(session: Session) -> None:
    school = make_school(session, "751")
    pupil = make_user(session, "pupil", school_class=make_class(session, school))
    free = make_offer(session, make_publisher(session), price_ore=0)
    found = check_entitlement(session, user_id=pupil.id, product_id=free.product_id)
    assert (found.allowed, found.reason, found.message) == (True, "free", "Materialet er gratis.")
    unknown = check_entitlement(session, user_id=pupil.id, product_id=school.id)
    assert (unknown.allowed, unknown.reason) == (False, "unknown_product")
    paid = make_offer(session, make_publisher(session, cvr="12345678"), price_ore=100)
    none = check_entitlement(session, user_id=pupil.id, product_id=paid.product_id)
    assert (none.allowed, none.reason) == (False, "no_licence")


def test_class_licence_covers_new_pupils_and_follows_the_rollover(session: Session) -> None:
    school = make_school(session, "751")
    school_class = make_class(session, school, "4.B", 4)
    admin_user = make_user(session, "platform_admin")
    admin = principal(session, admin_user)
    teacher = principal(session, make_user(session, "teacher", school=school))
    leader_user = make_user(session, "school_leader", school=school)
    leader = principal(session, leader_user)
    offer = make_offer(session, make_publisher(session), period="school_years_3")
    fund_school(session, admin, school, grant_ore=10_000, own_ore=10_000)
    asked = purchasing.create_request(
        session, teacher, offer_id=offer.id, quantity=1, reason="4.B",
        school_class_id=school_class.id,
    )  # fmt: skip
    order = purchasing.approve(session, leader, asked.id, gateway=None)
    assert order.status == "paid"
    newcomer = make_user(session, "pupil", school_class=school_class, name="Ny elev")
    found = check_entitlement(session, user_id=newcomer.id, product_id=offer.product_id)
    assert (found.allowed, found.reason) == (True, "licence")

    organisations.rollover_school_year(session, leader, school.id, from_school_year="2026/27")
    assert licensing.rollover_licences(session, school.id) == 1
    session.refresh(school_class)
    assert (school_class.name, school_class.school_year) == ("5.B", "2027/28")
    still = check_entitlement(session, user_id=newcomer.id, product_id=offer.product_id)
    assert (still.allowed, still.reason) == (True, "licence")
    assert licensing.rollover_licences(session, school.id) == 0
    assert still.valid_until is not None
    after = check_entitlement(
        session, user_id=newcomer.id, product_id=offer.product_id,
        at=still.valid_until + timedelta(seconds=1),
    )  # fmt: skip
    assert (after.allowed, after.reason) == (False, "expired")
