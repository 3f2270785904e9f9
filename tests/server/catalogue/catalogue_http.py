"""Shared set-up of the catalogue API tests: a publisher with its admin, a platform admin,
a teacher, real access tokens, the shipped Fælles Mål goals, valid bodies and images."""

from __future__ import annotations

import io
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask.testing import FlaskClient
from PIL import Image
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from factories import make_publisher, make_school, make_user
from learning_goals.faelles_maal import load_shipped_frameworks
from server.catalogue.models import (
    OfferRow,
    ProductGoalTagRow,
    ProductHistoryRow,
    ProductRevisionRow,
    ProductRow,
    ReviewRow,
)
from server.goals.models import GoalRow
from server.goals.operations import import_package
from server.oauth import register_client
from server.oauth.tokens import issue_access_token
from server.organisations.models import PublisherRow, UserRow
from server.search.models import SearchOutboxRow

TokenFor = Callable[[UserRow], str]

#: Fælles Mål – Matematik (shipped sample): a skill/knowledge area under "Tal og algebra"
AREA_TAL_OG_ALGEBRA = uuid.UUID("d96fd038-50f9-5a2f-b97b-9e7a45e746a2")
GOAL_MAT_TA_3 = uuid.UUID("2171070d-75f0-5370-a82d-9e94ed81e52b")
GOAL_MAT_TA_3_TAL = uuid.UUID("aade3465-757f-5dc0-9863-a2059e2afdfc")
UNKNOWN_GOAL = uuid.UUID("00000000-0000-4000-8000-00000000beef")


def product_body(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "title": "Brøkbanden",
        "description": "Interaktive opgaver med brøker til mellemtrinnet.",
        "subjects": ["matematik"],
        "grades": [5, 4],
        "languages": ["da"],
        "media_types": ["interactive", "exercises"],
        "platforms": ["web", "ios"],
        "accessibility": ["text_to_speech"],
        "offline": "partial",
        "trial_days": 30,
        "launch": {"kind": "lti", "url": "https://brokbanden.example/lti"},
        "data_processing_agreement_url": "https://brokbanden.example/dpa.pdf",
        "goal_ids": [str(GOAL_MAT_TA_3_TAL)],
    }
    body.update(changes)
    return body


OFFER = {"licence_type": "class", "period": "school_year", "price_ore": 14950}


def png(width: int = 64, height: int = 48, colour: tuple[int, int, int] = (200, 30, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(out, format="PNG")
    return out.getvalue()


@dataclass
class Shop:
    client: FlaskClient
    session: Session
    publisher: PublisherRow
    other_publisher: PublisherRow
    publisher_admin: UserRow
    other_admin: UserRow
    platform_admin: UserRow
    teacher: UserRow
    second_teacher: UserRow
    headers_for: Callable[[UserRow], dict[str, str]]

    @property
    def pub(self) -> dict[str, str]:
        return self.headers_for(self.publisher_admin)

    @property
    def admin(self) -> dict[str, str]:
        return self.headers_for(self.platform_admin)

    def create(self, **changes: Any) -> dict[str, Any]:
        response = self.client.post(
            f"/api/v1/publishers/{self.publisher.id}/products",
            json=product_body(**changes),
            headers=self.pub,
        )
        assert response.status_code == 201, response.get_json()
        return dict(response.get_json())

    def step(self, product_id: Any, action: str, headers: dict[str, str], **body: Any) -> Any:
        return self.client.post(
            f"/api/v1/products/{product_id}/{action}", json=body or None, headers=headers
        )

    def published(self, **changes: Any) -> dict[str, Any]:
        product = self.create(**changes)
        for action, headers in (
            ("submit", self.pub),
            ("approve", self.admin),
            ("publish", self.admin),
        ):
            response = self.step(product["id"], action, headers)
            assert response.status_code == 200, response.get_json()
        return dict(response.get_json())

    def client_token(self, publisher: PublisherRow) -> dict[str, str]:
        row, _secret = register_client(
            self.session,
            name=f"Integration {publisher.name}",
            grant_types=("client_credentials",),
            scope="publisher",
            publisher_id=publisher.id,
        )
        self.session.commit()
        token = issue_access_token(self.session, None, client_id=row.client_id, scope="publisher")
        return {"Authorization": f"Bearer {token}"}


def open_shop(client: FlaskClient, session: Session, token_for: TokenFor) -> Shop:
    for package in load_shipped_frameworks():
        import_package(session, package)
    publisher = make_publisher(session, "Forlaget Brøk")
    other = make_publisher(session, "Forlaget Andet")
    school = make_school(session, "101", "Åby Skole")
    return Shop(
        client=client,
        session=session,
        publisher=publisher,
        other_publisher=other,
        publisher_admin=make_user(session, "publisher_admin", publisher=publisher, name="Pia"),
        other_admin=make_user(session, "publisher_admin", publisher=other, name="Ole"),
        platform_admin=make_user(session, "platform_admin", name="Admin"),
        teacher=make_user(session, "teacher", school=school, name="Tove Lærer"),
        second_teacher=make_user(session, "teacher", school=school, name="Tom Lærer"),
        headers_for=lambda user: {"Authorization": f"Bearer {token_for(user)}"},
    )


def catalogue_state(session: Session) -> tuple[Any, ...]:
    """Row counts and the products' state: what a refused request must not change."""
    session.expire_all()
    counts = tuple(
        session.scalar(select(func.count()).select_from(table)) or 0
        for table in (
            ProductRow,
            ProductRevisionRow,
            OfferRow,
            ProductGoalTagRow,
            ProductHistoryRow,
            ReviewRow,
            SearchOutboxRow,
        )
    )
    products = session.execute(
        select(ProductRow.id, ProductRow.status, ProductRow.version, ProductRow.title).order_by(
            ProductRow.id
        )
    ).all()
    return (*counts, *map(tuple, products))


def outbox_ids(session: Session) -> list[str]:
    session.expire_all()
    return [
        str(p)
        for p in session.scalars(select(SearchOutboxRow.product_id).order_by(SearchOutboxRow.id))
    ]


def goal_exists(session: Session, goal_id: uuid.UUID) -> bool:
    return session.get(GoalRow, goal_id) is not None
