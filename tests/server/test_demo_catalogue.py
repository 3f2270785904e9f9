"""The demo catalogue of ``make run``: valid, fictional, tagged to real goals, and searchable
as ``EXPECTED`` says (checked through the search port on an in-memory tantivy index)."""

from __future__ import annotations

import json
import re
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest

from catalogue.documents import TaggedGoal, search_document
from catalogue.model import (
    Action,
    ActorRole,
    Offer,
    Product,
    act,
    cvr_is_valid,
    new_product,
)
from catalogue.text import markup_problem
from catalogue.validation import (
    OFFER_FIELDS,
    PRODUCT_FIELDS,
    listing_data,
    offer_data,
    validate_offer,
    validate_product,
)
from catalogue.vocabulary import PERIODS
from learning_goals.faelles_maal import load_shipped_frameworks
from learning_goals.model import GoalKind, ancestors_of, parent_map
from server import demo
from server.demo_catalogue import (
    DEMO_PUBLISHERS,
    EXPECTED,
    EXPECTED_FACETS,
    demo_catalogue_jsonl,
    demo_products,
    demo_publisher_id,
    expected_results,
    listing_fields,
)
from server.search.interfaces import SearchDocument, SearchQuery
from server.search.tantivy_index import TantivySearchIndex

#: Well-known Danish educational publishers: the demo must not borrow their names.
REAL_PUBLISHERS = (
    "Gyldendal",
    "Alinea",
    "Clio",
    "Praxis",
    "Systime",
    "Meloni",
    "Frydenlund",
    "Dansk Psykologisk Forlag",
    "Akademisk Forlag",
    "Forlaget Columbus",
    "Columbus",
    "Special-pædagogisk forlag",
    "Lindhardt og Ringhof",
)
TEXT_FIELDS = ("title", "description")
NS = uuid.UUID("3f8e2a55-0c1d-5b6e-8f70-64656d6f6b61")
T0 = datetime(2026, 8, 3, 8, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def lines() -> list[dict[str, Any]]:
    return demo_products()


@pytest.fixture(scope="module")
def goals() -> dict[uuid.UUID, TaggedGoal]:
    """Every shipped goal as the search document wants it, computed from the packages."""
    tagged: dict[uuid.UUID, TaggedGoal] = {}
    for package in load_shipped_frameworks():
        parents = parent_map(package)
        by_id = {goal.id: goal for goal in package.goals}
        for goal in package.goals:
            ancestors = [g for g in ancestors_of(goal.id, parents) if g != goal.id]
            areas = [
                by_id[g].full_statement
                for g in [goal.id, *ancestors]
                if by_id[g].kind is GoalKind.COMPETENCE_AREA
            ]
            tagged[goal.id] = TaggedGoal(
                goal.id, goal.full_statement, ancestors, areas[0] if areas else None
            )
    return tagged


@pytest.fixture(scope="module")
def goal_grades() -> dict[uuid.UUID, set[int]]:
    return {goal.id: set(goal.grades) for p in load_shipped_frameworks() for goal in p.goals}


def product_id(line: dict[str, Any]) -> str:
    return str(uuid.uuid5(NS, line["external_id"]))


# --- publishers ----------------------------------------------------------------------------


def test_about_ten_fictional_publishers_with_valid_cvrs() -> None:
    assert 9 <= len(DEMO_PUBLISHERS) <= 11
    cvrs = [p.cvr for p in DEMO_PUBLISHERS]
    assert len(set(cvrs)) == len(cvrs)
    assert len({p.name for p in DEMO_PUBLISHERS}) == len(DEMO_PUBLISHERS)
    for publisher in DEMO_PUBLISHERS:
        assert cvr_is_valid(publisher.cvr), publisher
        digits = [int(d) for d in publisher.cvr]
        assert digits[0] != 0
        assert sum(d * w for d, w in zip(digits, (2, 7, 6, 5, 4, 3, 2, 1), strict=True)) % 11 == 0
        assert publisher.name.endswith(" (demo)")
        assert publisher.contact_email.endswith(".invalid")
        dpa = urlsplit(publisher.data_processing_agreement_url)
        assert dpa.scheme == "https"
        assert dpa.hostname is not None and dpa.hostname.endswith(".invalid")


def test_the_demo_publisher_account_belongs_to_one_of_them() -> None:
    (account,) = [u for u in demo.USERS if u.role == "publisher_admin"]
    laerkereden = next(p for p in DEMO_PUBLISHERS if p.cvr == account.publisher_cvr)
    assert laerkereden.name == "Forlaget Lærkereden (demo)"
    assert demo_publisher_id(laerkereden.cvr) == demo.demo_id("publisher", laerkereden.cvr)


def test_no_real_publisher_name_appears_anywhere() -> None:
    everything = demo_catalogue_jsonl() + "\n".join(p.name for p in DEMO_PUBLISHERS)
    for real in REAL_PUBLISHERS:
        assert not re.search(rf"\b{re.escape(real)}\b", everything, re.IGNORECASE), real


# --- the lines -----------------------------------------------------------------------------


def test_about_two_hundred_products_from_every_publisher(lines: list[dict[str, Any]]) -> None:
    assert 190 <= len(lines) <= 210
    per_publisher = Counter(line["publisher_cvr"] for line in lines)
    assert set(per_publisher) == {p.cvr for p in DEMO_PUBLISHERS}
    assert min(per_publisher.values()) >= 5


def test_every_line_validates_and_is_already_in_normal_form(
    lines: list[dict[str, Any]], goals: dict[uuid.UUID, TaggedGoal]
) -> None:
    def unknown(ids: set[uuid.UUID]) -> set[uuid.UUID]:
        return {goal_id for goal_id in ids if goal_id not in goals}

    for line in lines:
        assert set(line) == {*PRODUCT_FIELDS, "offers", "external_id", "publisher_cvr"}
        fields = listing_fields(line)
        assert listing_data(validate_product(fields, unknown_goal_ids=unknown)) == fields
        assert 1 <= len(line["offers"]) <= 3
        for offer in line["offers"]:
            assert set(offer) == set(OFFER_FIELDS)
            assert offer_data(validate_offer(offer)) == offer
        terms = [(o["licence_type"], o["period"]) for o in line["offers"]]
        assert len(set(terms)) == len(terms), line["external_id"]


def test_ids_and_titles_are_unique(lines: list[dict[str, Any]]) -> None:
    external_ids = [line["external_id"] for line in lines]
    assert len(set(external_ids)) == len(external_ids)
    assert all(isinstance(i, str) and i for i in external_ids)
    titles = [line["title"] for line in lines]
    assert len(set(titles)) == len(titles)


def test_deterministic(lines: list[dict[str, Any]]) -> None:
    assert demo_products() == lines
    assert demo_products() is not demo_products()
    assert expected_results() == EXPECTED
    parsed = [json.loads(text) for text in demo_catalogue_jsonl().splitlines()]
    assert parsed == lines


def test_plain_text_only(lines: list[dict[str, Any]]) -> None:
    for line in lines:
        for name in TEXT_FIELDS:
            assert markup_problem(line[name]) is None, (line["external_id"], name)
        assert "<" not in line["title"] + line["description"]


def test_prices_are_whole_ore_and_realistic(lines: list[dict[str, Any]]) -> None:
    offers = [offer for line in lines for offer in line["offers"]]
    assert all(type(o["price_ore"]) is int for o in offers)
    paid = [o for o in offers if o["price_ore"] > 0]
    by_type = {
        kind: [o["price_ore"] for o in paid if o["licence_type"] == kind]
        for kind in ("pupil", "class", "school", "municipality")
    }
    assert all(by_type.values())
    assert all(49_00 <= p <= 199_00 for p in by_type["pupil"])
    yearly = [o for o in paid if o["period"] != "school_years_3"]
    assert all(500_00 <= o["price_ore"] <= 2_500_00 for o in yearly if o["licence_type"] == "class")
    assert all(
        5_000_00 <= o["price_ore"] <= 40_000_00 for o in yearly if o["licence_type"] == "school"
    )
    free = [line for line in lines if all(o["price_ore"] == 0 for o in line["offers"])]
    assert 3 <= len(free) <= 10
    assert all(o["price_ore"] > 0 for line in lines if line not in free for o in line["offers"])
    assert {o["period"] for o in offers} == set(PERIODS.codes())
    assert sum(o["subsidy_eligible"] for o in offers) > 0.75 * len(offers)


def test_metadata_is_varied(lines: list[dict[str, Any]]) -> None:
    subjects = Counter(line["subjects"][0] for line in lines)
    assert subjects.most_common(2)[0][0] in {"matematik", "dansk"}
    assert subjects["matematik"] >= 40 and subjects["dansk"] >= 40
    assert len(subjects) >= 15
    assert len({m for line in lines for m in line["media_types"]}) >= 10
    assert {p for line in lines for p in line["platforms"]} >= {"web", "ios", "android"}
    assert len({lang for line in lines for lang in line["languages"]}) >= 8
    with_a11y = [line for line in lines if line["accessibility"]]
    assert len(with_a11y) > 0.4 * len(lines)
    assert all(line["accessibility_statement_url"] for line in with_a11y)
    assert {line["offline"] for line in lines} == {"none", "partial", "full"}
    apps = {"ios", "android", "windows", "macos"}
    assert all(apps & set(line["platforms"]) for line in lines if line["offline"] != "none")
    assert 0.2 * len(lines) < sum(line["trial_days"] > 0 for line in lines) < 0.8 * len(lines)
    assert {g for line in lines for g in line["grades"]} == set(range(11))


def test_launch_settings(lines: list[dict[str, Any]]) -> None:
    kinds = Counter(line["launch"]["kind"] for line in lines)
    assert 3 <= kinds["lti"] <= 15 and kinds["url"] > 0.9 * len(lines)
    for line in lines:
        url = urlsplit(line["launch"]["url"])
        if line["launch"]["kind"] == "lti":
            assert (url.scheme, url.hostname, url.port) == ("http", "127.0.0.1", 8001)
        else:
            assert url.scheme == "https"
            assert url.hostname is not None and url.hostname.endswith(".invalid")


def test_matematik_and_dansk_are_tagged_to_real_goals_with_consistent_grades(
    lines: list[dict[str, Any]],
    goals: dict[uuid.UUID, TaggedGoal],
    goal_grades: dict[uuid.UUID, set[int]],
) -> None:
    for line in lines:
        ids = [uuid.UUID(g) for g in line["goal_ids"]]
        assert all(goal_id in goals for goal_id in ids), line["external_id"]
        if {"matematik", "dansk"} & set(line["subjects"]):
            assert 1 <= len(ids) <= 4, line["external_id"]
        grades = set(line["grades"])
        covered = set().union(*(goal_grades[g] for g in ids)) if ids else grades
        assert grades <= covered, line["external_id"]
        for goal_id in ids:
            assert goal_grades[goal_id] & grades, (line["external_id"], goal_id)
    tagged = [line for line in lines if line["goal_ids"]]
    assert len(tagged) >= 90


def test_the_acceptance_words_are_there(lines: list[dict[str, Any]]) -> None:
    def text(line: dict[str, Any]) -> str:
        return f"{line['title']} {line['description']}".casefold()

    fractions = [line for line in lines if re.search(r"\bbrøker\b", text(line))]
    assert len([line for line in fractions if set(line["grades"]) <= {4, 5, 6}]) >= 5
    reading = [line for line in lines if re.search(r"\blæsning|læseforståelse", text(line))]
    assert len(reading) >= 5


def test_expected_documents_the_acceptance_checks(lines: list[dict[str, Any]]) -> None:
    typo = {case["query"]: case for case in EXPECTED["typo_queries"]}
    assert set(typo) == {"brøkker", "læsnig"}
    assert len(typo["brøkker"]["external_ids"]) >= 5
    assert len(typo["læsnig"]["external_ids"]) >= 5
    area, *_ = EXPECTED["goal_filters"]
    assert area["human_code"] == "MAT.SS"
    assert area["tagged_directly"] == 0  # found only through goals below it
    assert len(area["external_ids"]) >= 8
    assert sum(area["facets"]["subject"].values()) >= len(area["external_ids"])
    titles = {line["external_id"]: line["title"] for line in lines}
    for case in [*EXPECTED["typo_queries"], *EXPECTED["goal_filters"]]:
        assert [titles[i] for i in case["external_ids"]] == case["titles"]


# --- through the search port ---------------------------------------------------------------


def published(line: dict[str, Any], at: datetime) -> Product:
    """The line as a published product (its goal ids were checked above)."""
    listing = validate_product(listing_fields(line), unknown_goal_ids=lambda ids: set())
    product = new_product(
        id=uuid.UUID(product_id(line)),
        publisher_id=demo_publisher_id(line["publisher_cvr"]),
        listing=listing,
        at=at,
    )
    for action, role in (
        (Action.SUBMIT, ActorRole.PUBLISHER_ADMIN),
        (Action.APPROVE, ActorRole.PLATFORM_ADMIN),
        (Action.PUBLISH, ActorRole.PLATFORM_ADMIN),
    ):
        product, _ = act(product, action, role=role, at=at)
    return product


@pytest.fixture(scope="module")
def documents(
    lines: list[dict[str, Any]], goals: dict[uuid.UUID, TaggedGoal]
) -> dict[str, SearchDocument]:
    names = {p.cvr: p.name for p in DEMO_PUBLISHERS}
    docs: dict[str, SearchDocument] = {}
    for number, line in enumerate(lines):
        tagged = [goals[uuid.UUID(g)] for g in line["goal_ids"]]
        product = published(line, T0 + timedelta(minutes=number))
        offers = [
            Offer.create(uuid.uuid5(NS, f"{product.id}/{n}"), product.id, validate_offer(terms))
            for n, terms in enumerate(line["offers"])
        ]
        data = search_document(product, offers, names[line["publisher_cvr"]], tagged, None)
        docs[line["external_id"]] = SearchDocument.from_dict(data)
    return docs


@pytest.fixture(scope="module")
def index(documents: dict[str, SearchDocument]) -> TantivySearchIndex:
    index = TantivySearchIndex(None)
    index.upsert(documents.values())
    assert index.count() == len(documents)
    return index


def all_ids(index: TantivySearchIndex, **query: Any) -> list[str]:
    ids: list[str] = []
    while True:
        page = index.search(SearchQuery(limit=100, offset=len(ids), **query))
        ids.extend(page.ids)
        if len(ids) >= page.total:
            return ids


@pytest.mark.parametrize("case", EXPECTED["typo_queries"], ids=lambda case: case["query"])
def test_a_typo_query_finds_exactly_the_expected_products(
    index: TantivySearchIndex, lines: list[dict[str, Any]], case: dict[str, Any]
) -> None:
    by_external = {line["external_id"]: product_id(line) for line in lines}
    found = all_ids(index, text=case["query"])
    assert sorted(found) == sorted(by_external[i] for i in case["external_ids"])


@pytest.mark.parametrize("case", EXPECTED["goal_filters"], ids=lambda case: case["human_code"])
def test_a_goal_subtree_filter_finds_the_expected_products_with_their_facet_counts(
    index: TantivySearchIndex,
    documents: dict[str, SearchDocument],
    case: dict[str, Any],
) -> None:
    expected_docs = [documents[i] for i in case["external_ids"]]
    page = index.search(SearchQuery(goal_id=case["goal_id"], facets=EXPECTED_FACETS, limit=100))
    assert page.total == len(expected_docs)
    assert sorted(page.ids) == sorted(doc.id for doc in expected_docs)
    direct = {
        facet: dict(Counter(v for doc in expected_docs for v in doc.facet_values(facet)))
        for facet in EXPECTED_FACETS
    }
    assert {facet: dict(counts) for facet, counts in page.facets.items()} == direct
    assert case["facets"] == direct
    assert list(page.facets["grade"]) == list(case["facets"]["grade"])  # by count, then value
