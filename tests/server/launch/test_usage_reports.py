"""Use for follow-up: launches and active pupils per ISO week, idle licences, cost per active
pupil — scoped by the policy, and with no pupil's identity anywhere in the answer."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

from flask.testing import FlaskClient
from launch_world import (  # noqa: F401  (fixtures)
    World,
    make_licence,
    make_product,
    run_launch,
    tool_key_fixture,
    world_fixture,
)

from factories import make_user
from server.launch.reports import iso_week
from server.purchasing.models import OrderLineRow, OrderRow, PurchaseRequestRow


def _order(world: World, product_id: uuid.UUID, net_ore: int) -> uuid.UUID:
    """A paid order of one class licence line (rows as purchasing writes them)."""
    from server.catalogue.models import OfferRow

    now = datetime.now(UTC)
    offer = world.session.query(OfferRow).filter_by(product_id=product_id).first()
    request = PurchaseRequestRow(
        id=uuid.uuid4(), offer_id=offer.id, product_id=product_id, quantity=1,
        municipality_code="751", school_id=world.school.id, school_class_id=world.school_class.id,
        requested_by=world.teacher.id, reason="Til 4.B", goal_ids=[], status="approved",
        total_ore=net_ore, vat_ore=net_ore // 4, subsidy_ore=net_ore // 2,
        own_ore=net_ore - net_ore // 2, approver_role="school_leader", created_at=now,
    )  # fmt: skip
    order = OrderRow(
        id=uuid.uuid4(), request_id=request.id, municipality_code="751",
        school_id=world.school.id, payment_method="invoice", status="paid", total_ore=net_ore,
        vat_ore=net_ore // 4, subsidy_ore=net_ore // 2, own_ore=net_ore - net_ore // 2,
        charge_ore=net_ore, approved_by=world.teacher.id, created_at=now, updated_at=now,
    )  # fmt: skip
    line = OrderLineRow(
        id=uuid.uuid4(), order_id=order.id, offer_id=offer.id, product_id=product_id,
        publisher_id=world.publisher.id, description="Klasselicens", licence_type="class",
        period="school_year", quantity=1, unit_price_ore=net_ore, net_ore=net_ore,
        vat_percent=25, vat_ore=net_ore // 4, subsidy_ore=net_ore // 2,
        own_ore=net_ore - net_ore // 2,
    )  # fmt: skip
    world.session.add(request)
    world.session.flush()
    world.session.add(order)
    world.session.flush()
    world.session.add(line)
    world.session.commit()
    return order.id


def test_the_buyer_sees_the_launches_and_no_pupil(world: World, client: FlaskClient) -> None:
    from server.licensing.models import LicenceRow

    licence = world.session.get(LicenceRow, world.licence_id)
    licence.order_id = _order(world, world.product_id, 49900)
    world.session.commit()
    idle_product = make_product(world.session, world.publisher, title="Ubrugt")
    idle = make_licence(world.session, idle_product, world.school_class, world.school)
    second = make_user(world.session, "pupil", school_class=world.school_class, name="Sofie Elev")
    tool = world.tool()
    for pupil in (world.pupil, world.pupil, second):
        run_launch(client, tool, world.token_for(pupil), product_id=world.product_id)
    world.events()  # the queue is written

    headers = {"Authorization": f"Bearer {world.token_for(world.buyer)}"}
    answer = client.get("/api/v1/municipalities/751/reports/usage", headers=headers)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    report = answer.get_json()
    assert report["weeks"] == [
        {
            "week": iso_week(datetime.now(UTC)),
            "product_id": str(world.product_id),
            "product_title": "Brøkbanden",
            "school_id": str(world.school.id),
            "school_name": "Bakkeskolen",
            "class_id": str(world.school_class.id),
            "class_name": "4.B",
            "launches": 3,
            "active_pupils": 2,
        }
    ]
    assert [row["licence_id"] for row in report["unused_licences"]] == [str(idle)]
    assert report["cost_per_active_pupil"] == [
        {
            "product_id": str(world.product_id),
            "product_title": "Brøkbanden",
            "licence_cost_ore": 49900,
            "active_pupils": 2,
            "cost_per_active_pupil_ore": 24950,
        }
    ]
    text = json.dumps(report, ensure_ascii=False)
    for pupil in (world.pupil, second):
        assert str(pupil.id) not in text
        assert pupil.display_name not in text
        assert pupil.display_name.split()[0] not in text

    school = client.get(f"/api/v1/schools/{world.school.id}/reports/usage", headers=headers)
    assert school.get_json()["weeks"] == report["weeks"]


def test_usage_reports_are_for_buyers_and_leaders_only(world: World, client: FlaskClient) -> None:
    leader = make_user(world.session, "school_leader", school=world.school)
    elsewhere = make_user(world.session, "municipal_buyer", municipality_code="461")
    path = "/api/v1/municipalities/751/reports/usage"
    school_path = f"/api/v1/schools/{world.school.id}/reports/usage"

    def status(user: object, url: str) -> int:
        token = world.token_for(user)  # type: ignore[arg-type]
        return int(client.get(url, headers={"Authorization": f"Bearer {token}"}).status_code)

    assert status(leader, school_path) == 200
    assert status(world.buyer, school_path) == 200
    assert status(world.teacher, school_path) == 403
    assert status(world.pupil, school_path) == 403
    assert status(elsewhere, school_path) == 404
    assert status(elsewhere, path) == 404
    assert status(leader, path) == 404
    assert client.get(path).status_code == 401
