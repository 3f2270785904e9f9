"""The search document: exact fields, goal paths with ancestors, offers and ratings."""

from __future__ import annotations

import dataclasses
import json
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from catalogue_factories import GOAL_A, GOAL_B, PRODUCT_ID, PUBLISHER_ID, product_in

from catalogue.documents import SEARCH_DOCUMENT_FIELDS, TaggedGoal, search_document
from catalogue.errors import CatalogueError
from catalogue.model import Offer, ProductStatus
from catalogue.reviews import RatingSummary
from catalogue.vocabulary import LicenceType, Period

AREA = uuid.UUID("cccccccc-0000-5000-8000-000000000001")  # competence area "Tal og algebra"
COMPETENCE_GOAL = uuid.UUID("cccccccc-0000-5000-8000-000000000002")
PHASE = uuid.UUID("cccccccc-0000-5000-8000-000000000003")
OTHER_AREA = uuid.UUID("cccccccc-0000-5000-8000-000000000004")

ALGEBRA = "Tal og algebra"
GOALS = [
    TaggedGoal(GOAL_A, "Eleven kan regne med brøker", [PHASE, COMPETENCE_GOAL, AREA], ALGEBRA),
    TaggedGoal(GOAL_B, "Eleven har viden om brøker og procent", [PHASE, AREA], ALGEBRA),
]


def offer(licence: LicenceType, price: int) -> Offer:
    return Offer(uuid.uuid4(), PRODUCT_ID, licence, Period.SCHOOL_YEAR, price)


def test_the_exact_document() -> None:
    product = product_in(ProductStatus.PUBLISHED)
    offers = [offer(LicenceType.SCHOOL, 4_995_00), offer(LicenceType.PUPIL, 49_00)]
    document = search_document(
        product, offers, "Forlaget Brøk", GOALS, RatingSummary(3, 13, (0, 0, 0, 2, 1))
    )
    assert document == {
        "id": str(PRODUCT_ID),
        "title": "Brøkbanden",
        "description": "Interaktive opgaver med brøker til mellemtrinnet.\nMed lærervejledning.",
        "publisher_id": str(PUBLISHER_ID),
        "publisher_name": "Forlaget Brøk",
        "subjects": ["matematik"],
        "grades": [4, 5, 6],
        "languages": ["da"],
        "media_types": ["interactive", "exercises"],
        "platforms": ["web", "ios", "chromebook"],
        "accessibility": ["text_to_speech", "dyslexia_friendly"],
        "licence_types": ["pupil", "school"],
        "min_price_ore": 4900,
        "price_band": "under_100",
        "has_trial": True,
        "offline": "partial",
        "goal_ids": [str(GOAL_A), str(GOAL_B)],
        "goal_path_ids": sorted(str(g) for g in (GOAL_A, GOAL_B, PHASE, COMPETENCE_GOAL, AREA)),
        "goal_texts": ["Eleven kan regne med brøker", "Eleven har viden om brøker og procent"],
        "competence_areas": ["Tal og algebra"],
        "rating_mean": 4.33,
        "rating_count": 3,
        "published_at": "2026-03-02T08:03:00+00:00",
        "version": 1,
    }
    assert list(document) == list(SEARCH_DOCUMENT_FIELDS)
    assert json.loads(json.dumps(document)) == document
    types = {
        "str": str,
        "int": int,
        "bool": bool,
        "float": float,
        "list[str]": list,
        "list[int]": list,
    }
    for name, declared in SEARCH_DOCUMENT_FIELDS.items():
        value = document[name]
        options = declared.split(" | ")
        assert (value is None and "None" in options) or isinstance(value, types[options[0]]), name


def test_goal_path_ids_hold_every_ancestor_so_a_subtree_filter_finds_the_product() -> None:
    document = search_document(product_in(ProductStatus.PUBLISHED), [], "F", GOALS, None)
    path = document["goal_path_ids"]
    assert isinstance(path, list)
    for goal in (GOAL_A, GOAL_B, PHASE, COMPETENCE_GOAL, AREA):
        assert str(goal) in path
    assert str(OTHER_AREA) not in path
    assert len(path) == len(set(path)) == 5


def test_plain_tuples_goals_without_area_no_offers_no_rating() -> None:
    goals = [(GOAL_A, "Eleven kan regne", (AREA,), None), (GOAL_B, "Eleven ved", (), "Geometri")]
    document = search_document(
        product_in(ProductStatus.PUBLISHED, trial_days=0), [], "F", goals, None
    )
    assert (
        document["min_price_ore"],
        document["price_band"],
        document["licence_types"],
        document["has_trial"],
        document["competence_areas"],
        document["rating_mean"],
        document["rating_count"],
        document["goal_path_ids"],
    ) == (
        None,
        None,
        [],
        False,
        ["Geometri"],
        None,
        0,
        sorted([str(GOAL_A), str(GOAL_B), str(AREA)]),
    )
    free = search_document(
        product_in(ProductStatus.PUBLISHED),
        [offer(LicenceType.CLASS, 0)],
        "F",
        goals,
        RatingSummary(0, 0, (0, 0, 0, 0, 0)),
    )
    assert (free["min_price_ore"], free["price_band"], free["rating_mean"]) == (0, "free", None)


def test_published_at_is_utc() -> None:
    product = dataclasses.replace(
        product_in(ProductStatus.PUBLISHED),
        published_at=datetime(2026, 3, 2, 9, 30, tzinfo=timezone(timedelta(hours=1))),
    )
    assert (
        search_document(product, [], "F", GOALS, None)["published_at"]
        == "2026-03-02T08:30:00+00:00"
    )


@pytest.mark.parametrize(
    "status",
    [ProductStatus.DRAFT, ProductStatus.SUBMITTED, ProductStatus.APPROVED, ProductStatus.WITHDRAWN],
)
def test_only_published_products_are_indexed(status: ProductStatus) -> None:
    with pytest.raises(CatalogueError) as caught:
        search_document(product_in(status), [], "F", GOALS, None)
    assert caught.value.message == f"only a published product is indexed; this one is {status}"


def test_goals_must_match_the_tags_and_offers_the_product() -> None:
    product = product_in(ProductStatus.PUBLISHED)
    with pytest.raises(CatalogueError) as caught:
        search_document(product, [], "F", GOALS[:1], None)
    assert caught.value.message == (
        f"goals must describe exactly the tagged goals, once each; missing: {GOAL_B}"
    )
    extra = TaggedGoal(OTHER_AREA, "Andet", [], None)
    with pytest.raises(CatalogueError, match=f"not tagged: {OTHER_AREA}"):
        search_document(product, [], "F", [*GOALS, extra], None)
    with pytest.raises(CatalogueError, match="once each"):
        search_document(product, [], "F", [*GOALS, GOALS[0]], None)
    foreign = dataclasses.replace(offer(LicenceType.PUPIL, 100), product_id=uuid.uuid4())
    with pytest.raises(CatalogueError, match="offers of another product"):
        search_document(product, [foreign], "F", GOALS, None)
