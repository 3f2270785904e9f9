"""The tenant/role matrix, built from the OpenAPI document.

Every protected object endpoint (an operation with ``bearerAuth`` security and a path
parameter) is tried with every role, each held in tenant A, against an object of tenant B:
the answer must be 403 or 404, and nothing may change. Without a token it must be 401. A new
endpoint joins automatically; a path parameter this file cannot make an object for fails
the test, so nobody can add an object endpoint without it being checked.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from apiflask import APIFlask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from factories import make_class, make_publisher, make_school, make_user
from server.app import create_app
from server.identity.models import BadgeRow
from server.ledger.models import LedgerTransactionRow
from server.licensing.models import LicenceRow, LicenceSeatRow, TrialRow
from server.organisations.models import MembershipRow, SchoolClassRow, SchoolRow, UserRow
from server.purchasing.models import OrderRow, PurchaseRequestRow

# platform_admin is left out on purpose: it has no tenant, so nothing is foreign to it.
PATH_PARAM = re.compile(r"{([a-z_]+)}")


def _document() -> dict[str, Any]:
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "spec-only"})
    return app.test_client().get("/api/openapi.json").get_json()


DOCUMENT = _document()


def protected_object_operations() -> list[tuple[str, str]]:
    found = []
    for path, operations in DOCUMENT["paths"].items():
        if not PATH_PARAM.search(path):
            continue
        for method, operation in operations.items():
            if method in {"get", "post", "put", "patch", "delete"} and operation.get("security"):
                found.append((method, path))
    return sorted(found)


OPERATIONS = protected_object_operations()


@dataclass
class World:
    """Tenant A holds the principals; tenant B holds the objects they must not reach."""

    ids: dict[str, str]  # path parameter → an object id in tenant B
    principals: dict[str, UserRow]  # role → a user with that role in tenant A


def build_world(session: Session) -> World:
    school_a = make_school(session, "101", "Skole A")
    class_a = make_class(session, school_a, "4.A", 4)
    publisher_a = make_publisher(session, "Forlag A")
    school_b = make_school(session, "751", "Skole B")
    class_b = make_class(session, school_b, "5.B", 5)
    publisher_b = make_publisher(session, "Forlag B")
    pupil_b = make_user(session, "pupil", school_class=class_b, name="Pupil B")
    badge_b = _badge_for(session, pupil_b)
    principals = {
        "pupil": make_user(session, "pupil", school_class=class_a, name="Pupil A"),
        "teacher": make_user(session, "teacher", school=school_a),
        "school_leader": make_user(session, "school_leader", school=school_a),
        "municipal_buyer": make_user(session, "municipal_buyer", municipality_code="101"),
        "publisher_admin": make_user(session, "publisher_admin", publisher=publisher_a),
    }
    product_b, offer_b, review_b = _catalogue_of(session, publisher_b, school_b)
    purchase_b = _purchase_of(session, publisher_b, school_b, class_b)
    ids = {
        "product_id": str(product_b),
        "offer_id": str(offer_b),
        "review_id": str(review_b),
        "school_id": str(school_b.id),
        "class_id": str(class_b.id),
        "user_id": str(pupil_b.id),
        "badge_id": str(badge_b),
        "publisher_id": str(publisher_b.id),
        "code": "751",
        "municipality_code": "751",
        "assignment_id": str(_assignment_of(session, class_b, product_b)),
        **purchase_b,
    }
    return World(ids, principals)


def _assignment_of(session: Session, school_class: Any, product_id: uuid.UUID) -> uuid.UUID:
    from datetime import UTC, datetime

    from server.launch.models import AssignmentRow

    row = AssignmentRow(
        id=uuid.uuid4(), class_id=school_class.id, product_id=product_id, lesson_title="Lektion",
        url="https://tool.example/lti/1", custom={}, created_by=None, created_at=datetime.now(UTC),
    )  # fmt: skip
    session.add(row)
    session.commit()
    return row.id


def _purchase_of(
    session: Session, publisher: Any, school: SchoolRow, school_class: SchoolClassRow
) -> dict[str, str]:
    """Tenant B's programme, a pending request, a paid order and its pupil licence."""
    from purchasing_support import fund_school, make_offer, principal

    from server.purchasing import operations as purchasing

    admin = principal(session, make_user(session, "platform_admin", name="Admin B"))
    programme = fund_school(session, admin, school, grant_ore=10_000, own_ore=10_000)
    offer = make_offer(session, publisher, price_ore=1_000, licence_type="pupil")
    teacher = principal(session, make_user(session, "teacher", school=school, name="Lærer B"))
    leader = principal(session, make_user(session, "school_leader", school=school, name="Leder B"))
    asks = [
        purchasing.create_request(
            session,
            teacher,
            offer_id=offer.id,
            quantity=2,
            reason="Til 5.B",
            school_class_id=school_class.id,
        )
        for _ in range(2)
    ]
    order = purchasing.approve(session, leader, asks[0].id, gateway=None)
    licence = session.scalar(select(LicenceRow.id).where(LicenceRow.order_id == order.id))
    return {
        "programme_id": str(programme.id),
        "request_id": str(asks[1].id),
        "order_id": str(order.id),
        "licence_id": str(licence),
    }


def _catalogue_of(
    session: Session, publisher: Any, school: SchoolRow
) -> tuple[uuid.UUID, uuid.UUID, uuid.UUID]:
    """A draft product of tenant B's publisher, an offer of it, and a review of a B teacher."""
    from catalogue.validation import validate_offer
    from server.catalogue import operations as catalogue_ops
    from server.catalogue.models import ReviewRow

    listing = catalogue_ops.check_listing(session, EXAMPLE_PRODUCT)
    product = catalogue_ops.new_product_row(session, publisher.id, listing)
    offer = catalogue_ops.new_offer_row(session, product, validate_offer(EXAMPLE_OFFER))
    teacher_b = make_user(session, "teacher", school=school, name="Teacher B")
    now = catalogue_ops.now()
    review = ReviewRow(
        id=uuid.uuid4(), product_id=product.id, author_id=teacher_b.id, rating=4, text="",
        status="pending", created_at=now, updated_at=now,
    )  # fmt: skip
    session.add(review)
    session.commit()
    return product.id, offer.id, review.id


def _badge_for(session: Session, pupil: UserRow) -> uuid.UUID:
    from server.identity.badges import issue_badge

    badge, _code = issue_badge(session, pupil.id, issued_by=None)
    session.commit()
    return badge.id


def snapshot(session: Session) -> tuple[int, ...]:
    """Row counts and the roster state of tenant B: what a refused request must not change."""
    from server.launch.models import AssignmentRow, ToolRegistrationRow

    session.expire_all()
    counted = [
        session.scalar(select(func.count()).select_from(t)) or 0
        for t in (UserRow, MembershipRow, SchoolRow, SchoolClassRow, BadgeRow,
                  LedgerTransactionRow, PurchaseRequestRow, OrderRow, LicenceSeatRow, TrialRow,
                  ToolRegistrationRow, AssignmentRow)
    ]  # fmt: skip
    states = tuple(session.scalars(select(OrderRow.status).order_by(OrderRow.id))) + tuple(
        session.scalars(select(PurchaseRequestRow.status).order_by(PurchaseRequestRow.id))
    )
    revoked = session.scalar(select(func.count()).where(BadgeRow.revoked_at.is_not(None))) or 0
    grades = session.scalar(select(func.sum(SchoolClassRow.grade))) or 0
    return (*counted, revoked, grades, states)


def fill(path: str, ids: dict[str, str]) -> str:
    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in ids:
            pytest.fail(f"{path}: the matrix has no object of another tenant for {{{name}}}")
        return ids[name]

    return PATH_PARAM.sub(value, path)


def body_for(method: str, path: str) -> dict[str, Any] | None:
    """A well-formed body, so the refusal is about tenancy and not about the input."""
    operation = DOCUMENT["paths"][path][method]
    content = operation.get("requestBody", {}).get("content", {})
    if "application/json" not in content:
        return None
    return EXAMPLE_BODIES.get((method, path), {})


EXAMPLE_PRODUCT: dict[str, Any] = {
    "title": "Brøkbanden",
    "description": "Opgaver med brøker.",
    "subjects": ["matematik"],
    "grades": [4, 5],
    "languages": ["da"],
    "media_types": ["interactive"],
    "platforms": ["web"],
    "launch": {"kind": "lti", "url": "https://brokbanden.example/lti"},
    "data_processing_agreement_url": "https://brokbanden.example/dpa.pdf",
}
EXAMPLE_OFFER: dict[str, Any] = {
    "licence_type": "class",
    "period": "school_year",
    "price_ore": 49900,
}

EXAMPLE_BODIES: dict[tuple[str, str], dict[str, Any]] = {
    ("post", "/api/v1/schools/{school_id}/rollover"): {"from_school_year": "2026/27"},
    ("put", "/api/v1/users/{user_id}/roles"): {"roles": []},
    ("post", "/api/v1/publishers/{publisher_id}/products"): EXAMPLE_PRODUCT,
    ("put", "/api/v1/products/{product_id}"): EXAMPLE_PRODUCT,
    ("post", "/api/v1/products/{product_id}/reject"): {"reason": "Mangler databehandleraftale"},
    ("post", "/api/v1/products/{product_id}/offers"): EXAMPLE_OFFER,
    ("put", "/api/v1/offers/{offer_id}"): EXAMPLE_OFFER,
    ("post", "/api/v1/products/{product_id}/reviews"): {"rating": 5, "text": "Virker godt"},
    ("post", "/api/v1/reviews/{review_id}/moderate"): {"decision": "approved"},
    ("put", "/api/v1/municipalities/{code}/catalogue-rules"): {"blocked_publisher_ids": []},
    ("put", "/api/v1/products/{product_id}/tool-registration"): {
        "client_id": "matrix-tool",
        "deployment_id": "1",
        "login_url": "https://tool.example/login",
        "launch_url": "https://tool.example/launch",
        "jwks_url": "https://tool.example/jwks",
    },
    ("put", "/api/v1/programmes/{programme_id}/grants/{code}"): {"amount_ore": 100},
    ("post", "/api/v1/municipalities/{code}/own-funds"): {"amount_ore": 100},
    ("post", "/api/v1/municipalities/{code}/allocations"): {
        "school_id": "00000000-0000-4000-8000-000000000001",
        "fund": "own",
        "amount_ore": 100,
    },
    ("put", "/api/v1/municipalities/{code}/purchase-settings"): {"withdrawal_days": 10},
    ("post", "/api/v1/purchase-requests/{request_id}/approve"): {},
    ("post", "/api/v1/purchase-requests/{request_id}/reject"): {"reason": "Nej tak"},
    ("post", "/api/v1/licences/{licence_id}/seats"): {
        "user_id": "00000000-0000-4000-8000-000000000002"
    },
}

TokenFor = Callable[[UserRow], str]


def test_matrix_covers_the_object_endpoints() -> None:
    assert OPERATIONS, "no protected object endpoint found in the OpenAPI document"


@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_foreign_tenant_objects_are_refused(
    app: APIFlask,
    client: FlaskClient,
    session: Session,
    token_for: TokenFor,
    method: str,
    path: str,
) -> None:
    world = build_world(session)
    url = fill(path, world.ids)
    body = body_for(method, path)
    before = snapshot(session)
    anonymous = client.open(url, method=method.upper(), json=body)
    assert anonymous.status_code == 401, (url, anonymous.get_data(as_text=True))
    for role, user in world.principals.items():
        headers = {"Authorization": f"Bearer {token_for(user)}"}
        response = client.open(url, method=method.upper(), json=body, headers=headers)
        assert response.status_code in {403, 404}, (role, url, response.get_data(as_text=True))
        assert set(response.get_json()) == {"error"}
    assert snapshot(session) == before
