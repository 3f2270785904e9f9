"""Builders for catalogue tests: valid input data, listings, products in each status, images."""

from __future__ import annotations

import io
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from PIL import Image

from catalogue.model import (
    Action,
    ActorRole,
    Listing,
    Product,
    ProductStatus,
    act,
    new_product,
)
from catalogue.validation import validate_product

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
PRODUCT_ID = uuid.UUID("11111111-1111-4111-8111-111111111111")
PUBLISHER_ID = uuid.UUID("22222222-2222-4222-8222-222222222222")
GOAL_A = uuid.UUID("aaaaaaaa-0000-5000-8000-000000000001")
GOAL_B = uuid.UUID("aaaaaaaa-0000-5000-8000-000000000002")
SHA = "ab" * 32

PUBLISHER = ActorRole.PUBLISHER_ADMIN
ADMIN = ActorRole.PLATFORM_ADMIN


def later(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def no_unknown_goals(ids: set[uuid.UUID]) -> set[uuid.UUID]:
    return set()


def product_data(**changes: Any) -> dict[str, Any]:
    """A complete, valid product body; ``changes`` replace fields (None removes one)."""
    data: dict[str, Any] = {
        "title": "Brøkbanden",
        "description": "Interaktive opgaver med brøker til mellemtrinnet.\nMed lærervejledning.",
        "subjects": ["matematik"],
        "grades": [5, 4, 6],
        "languages": ["da"],
        "media_types": ["interactive", "exercises"],
        "platforms": ["web", "ios", "chromebook"],
        "accessibility": ["text_to_speech", "dyslexia_friendly"],
        "accessibility_statement_url": "https://brokbanden.example/tilgaengelighed",
        "offline": "partial",
        "trial_days": 30,
        "launch": {"kind": "lti", "url": "https://brokbanden.example/lti/launch"},
        "data_processing_agreement_url": "https://brokbanden.example/databehandleraftale.pdf",
        "screenshots": [
            {
                "sha256": SHA,
                "media_type": "image/png",
                "width": 1200,
                "height": 800,
                "alt_text": "En opgave med brøker",
            }
        ],
        "goal_ids": [str(GOAL_A), str(GOAL_B)],
    }
    for key, value in changes.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    return data


def listing(**changes: Any) -> Listing:
    return validate_product(product_data(**changes), unknown_goal_ids=no_unknown_goals)


def product_in(status: ProductStatus, **changes: Any) -> Product:
    """A product walked through the workflow to ``status`` (a real path, not a constructor)."""
    product = new_product(
        id=PRODUCT_ID, publisher_id=PUBLISHER_ID, listing=listing(**changes), at=T0
    )
    steps: dict[ProductStatus, list[tuple[Action, ActorRole, str | None]]] = {
        ProductStatus.DRAFT: [],
        ProductStatus.SUBMITTED: [(Action.SUBMIT, PUBLISHER, None)],
        ProductStatus.APPROVED: [(Action.SUBMIT, PUBLISHER, None), (Action.APPROVE, ADMIN, None)],
        ProductStatus.REJECTED: [
            (Action.SUBMIT, PUBLISHER, None),
            (Action.REJECT, ADMIN, "Mangler databehandleraftale"),
        ],
        ProductStatus.PUBLISHED: [
            (Action.SUBMIT, PUBLISHER, None),
            (Action.APPROVE, ADMIN, None),
            (Action.PUBLISH, ADMIN, None),
        ],
        ProductStatus.WITHDRAWN: [
            (Action.SUBMIT, PUBLISHER, None),
            (Action.APPROVE, ADMIN, None),
            (Action.PUBLISH, ADMIN, None),
            (Action.WITHDRAW, PUBLISHER, None),
        ],
    }
    for minute, (action, role, reason) in enumerate(steps[status], start=1):
        product, _ = act(product, action, role=role, at=later(minute), reason=reason)
    return product


def image_bytes(
    width: int, height: int, fmt: str = "PNG", *, mode: str = "RGB", **save: Any
) -> bytes:
    image = Image.new(mode, (width, height), (200, 30, 30) if mode == "RGB" else None)
    out = io.BytesIO()
    image.save(out, format=fmt, **save)
    return out.getvalue()
