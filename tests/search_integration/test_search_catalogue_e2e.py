"""Search end to end: the catalogue's own operations, the outbox, tantivy on disk, HTTP and
the ``skolehylde search`` commands (SQLite and PostgreSQL)."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from apiflask import APIFlask
from click.testing import CliRunner, Result
from flask.testing import FlaskClient
from outbox_helpers import FakeOutageIndex, wait_for
from sqlalchemy import select
from sqlalchemy.orm import Session

from catalogue.model import Action
from catalogue.money import format_dkk
from factories import make_publisher, make_school, make_user
from learning_goals.case import read_case_package
from server.catalogue import operations
from server.catalogue.models import CatalogueRuleRow, ProductRow
from server.cli import main
from server.goals.models import GoalClosureRow
from server.goals.operations import import_package
from server.identity.current import principal_for_user
from server.identity.principal import Principal
from server.organisations.models import PublisherRow
from server.search import outbox
from server.search.interfaces import SearchDocument
from server.search.models import SearchOutboxRow
from server.search.service import SearchService, search_service
from server.search.tantivy_index import TantivySearchIndex

CASE = (
    Path(__file__).resolve().parent.parent / "fixtures" / "case" / "opensalt_smartlevel-test.json"
)


def product_body(title: str, **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "title": title,
        "description": f"{title}: interaktive opgaver med brøker til mellemtrinnet.",
        "subjects": ["matematik"],
        "grades": [4, 5, 6],
        "languages": ["da"],
        "media_types": ["interactive"],
        "platforms": ["web", "ios"],
        "accessibility": ["text_to_speech"],
        "accessibility_statement_url": "https://forlag.example/tilgaengelighed",
        "offline": "partial",
        "trial_days": 30,
        "launch": {"kind": "lti", "url": "https://forlag.example/lti/launch"},
        "data_processing_agreement_url": "https://forlag.example/dpa.pdf",
        "goal_ids": [],
    }
    body.update(changes)
    return body


@dataclass
class Shop:
    """The catalogue as its operations see it, and the search index behind a switch."""

    session: Session
    service: SearchService
    index: FakeOutageIndex
    index_dir: Path
    admin: Principal
    publishers: dict[str, tuple[PublisherRow, Principal]]

    def draft(
        self,
        title: str,
        *,
        publisher: str = "blaekhus",
        price_ore: int = 14950,
        licence: str = "pupil",
        **changes: Any,
    ) -> ProductRow:
        row, principal = self.publishers[publisher]
        product = operations.create_product(
            self.session, principal, row.id, product_body(title, **changes)
        )
        operations.add_offer(
            self.session,
            principal,
            product.id,
            {"licence_type": licence, "period": "school_year", "price_ore": price_ore},
        )
        operations.act_on_product(self.session, principal, product.id, Action.SUBMIT)
        operations.act_on_product(self.session, self.admin, product.id, Action.APPROVE)
        return product

    def publish(self, product: ProductRow) -> None:
        operations.act_on_product(self.session, self.admin, product.id, Action.PUBLISH)

    def listed(self, title: str, **options: Any) -> ProductRow:
        product = self.draft(title, **options)
        self.publish(product)
        return product


@pytest.fixture
def shop(app: APIFlask, session: Session, tmp_path: Path) -> Iterator[Shop]:
    service = search_service(app)
    index = FakeOutageIndex(TantivySearchIndex(tmp_path / "index"))
    service.index = index
    service.retry_seconds = service.retrier.interval_s = 0.05
    admin_user = make_user(session, "platform_admin", name="Admin")
    publishers = {}
    for key, name in (("blaekhus", "Forlaget Blækhus"), ("taltrold", "Taltrolden ApS")):
        publisher = make_publisher(session, name)
        user = make_user(session, "publisher_admin", publisher=publisher, name=f"Redaktør {key}")
        session.commit()
        principal = principal_for_user(session, user.id)
        assert principal is not None
        publishers[key] = (publisher, principal)
    admin = principal_for_user(session, admin_user.id)
    assert admin is not None
    yield Shop(session, service, index, tmp_path / "index", admin, publishers)
    service.retrier.stop()


def items(client: FlaskClient, token: str | None = None, **params: Any) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    answer = client.get("/api/v1/products", query_string=params, headers=headers)
    assert answer.status_code == 200, answer.get_json()
    return dict(answer.get_json())


def titles(client: FlaskClient, token: str | None = None, **params: Any) -> list[str]:
    return [item["title"] for item in items(client, token, **params)["items"]]


def pending(session: Session) -> list[uuid.UUID]:
    session.rollback()
    return list(session.scalars(select(SearchOutboxRow.product_id).order_by(SearchOutboxRow.id)))


# --- the outage, through the catalogue's publish --------------------------------------------


def test_index_down_during_a_real_publish_then_back(shop: Shop, client: FlaskClient) -> None:
    product = shop.draft("Brøkbanden")
    shop.index.down = True

    shop.publish(product)  # the operation commits and does not fail

    shop.session.rollback()
    assert shop.session.get(ProductRow, product.id).status == "published"  # type: ignore[union-attr]
    assert pending(shop.session) == [product.id]
    down = client.get("/api/v1/products", query_string={"q": "brøkbanden"})
    assert down.status_code == 503
    assert down.get_json()["error"]["code"] == "search_unavailable"

    shop.index.down = False

    assert wait_for(lambda: titles(client, q="brøkbanden") == ["Brøkbanden"])
    assert pending(shop.session) == []
    [item] = items(client, q="brøkbanden")["items"]
    assert item["id"] == str(product.id)
    assert item["publisher"]["name"] == "Forlaget Blækhus"
    assert (item["min_price_ore"], item["min_price"]) == (14950, format_dkk(14950))
    assert item["title_html"] == "<mark>Brøkbanden</mark>"
    assert item["has_trial"] is True


def test_offer_and_withdraw_reach_the_index_through_the_outbox(
    shop: Shop, client: FlaskClient
) -> None:
    product = shop.listed("Brøkbanden")
    _, principal = shop.publishers["blaekhus"]
    operations.add_offer(
        shop.session,
        principal,
        product.id,
        {"licence_type": "school", "period": "school_year", "price_ore": 9900},
    )
    [item] = items(client, q="brøkbanden")["items"]
    assert item["min_price_ore"] == 9900
    assert item["licence_types"] == ["pupil", "school"]
    operations.act_on_product(shop.session, principal, product.id, Action.WITHDRAW)
    assert titles(client, q="brøkbanden") == []
    assert pending(shop.session) == []


# --- search over HTTP ------------------------------------------------------------------------


@pytest.fixture
def three(shop: Shop) -> dict[str, ProductRow]:
    import_package(shop.session, read_case_package(CASE.read_bytes()))
    parent, child = shop.session.execute(
        select(GoalClosureRow.ancestor_id, GoalClosureRow.descendant_id)
        .where(GoalClosureRow.depth == 1)
        .order_by(GoalClosureRow.ancestor_id, GoalClosureRow.descendant_id)
        .limit(1)
    ).one()
    shop.session.commit()
    made = {
        "banden": shop.listed("Brøkbanden", goal_ids=[str(child)]),
        "laese": shop.listed(
            "Læselyst",
            description="Læsning for de yngste: lydret læsning og forståelse.",
            subjects=["dansk"],
            grades=[1, 2, 3],
            trial_days=0,
            offline="none",
            price_ore=99900,
            licence="class",
        ),
        "vaerksted": shop.listed(
            "Brøkværkstedet",
            publisher="taltrold",
            grades=[6, 7],
            trial_days=0,
            accessibility=[],
            price_ore=250000,
            licence="school",
        ),
    }
    # Published a day apart ("newest first" sorts on seconds), told to search like any change.
    for day, key in enumerate(("banden", "laese", "vaerksted")):
        made[key].published_at = datetime(2026, 1, 10 + day, 8, tzinfo=UTC)
        outbox.enqueue(shop.session, made[key].id)
    shop.session.commit()
    outbox.flush_soon()
    made["parent_goal"], made["child_goal"] = parent, child  # type: ignore[assignment]
    return made


def test_typo_filters_sort_and_goal_subtree(three: dict[str, Any], client: FlaskClient) -> None:
    assert set(titles(client, q="brøkker")) == {"Brøkbanden", "Brøkværkstedet"}
    assert titles(client, q="laeselyst") == ["Læselyst"]
    assert titles(client, subject="dansk") == ["Læselyst"]
    assert titles(client, grade=[5, 7], sort="price_asc") == ["Brøkbanden", "Brøkværkstedet"]
    assert titles(client, trial="true") == ["Brøkbanden"]
    assert titles(client, max_price_ore=100000, sort="price_desc") == ["Læselyst", "Brøkbanden"]
    assert titles(client, min_price_ore=100000) == ["Brøkværkstedet"]
    assert titles(client, sort="price_desc") == ["Brøkværkstedet", "Læselyst", "Brøkbanden"]
    assert titles(client) == ["Brøkværkstedet", "Læselyst", "Brøkbanden"]  # newest first
    assert titles(client, goal=str(three["parent_goal"])) == ["Brøkbanden"]
    assert titles(client, goal=str(three["child_goal"])) == ["Brøkbanden"]
    assert titles(client, goal=str(uuid.uuid4())) == []
    assert titles(client, publisher=str(three["vaerksted"].publisher_id)) == ["Brøkværkstedet"]
    page = items(client, limit=1, offset=1)
    assert (page["total"], page["limit"], page["offset"]) == (3, 1, 1)
    assert [i["title"] for i in page["items"]] == ["Læselyst"]


def test_facets_with_counts_and_labels(three: dict[str, Any], client: FlaskClient) -> None:
    facets = items(client)["facets"]
    assert facets["subject"] == [
        {"value": "matematik", "label": "Matematik", "count": 2},
        {"value": "dansk", "label": "Dansk", "count": 1},
    ]
    assert {f["value"]: f["count"] for f in facets["grade"]} == {
        "1": 1,
        "2": 1,
        "3": 1,
        "4": 1,
        "5": 1,
        "6": 2,
        "7": 1,
    }
    assert {f["value"]: f["label"] for f in facets["grade"]}["6"] == "6. klasse"
    assert {f["value"]: (f["label"], f["count"]) for f in facets["trial"]} == {
        "false": ("Ingen prøveperiode", 2),
        "true": ("Gratis prøveperiode", 1),
    }
    assert {f["label"]: f["count"] for f in facets["publisher"]} == {
        "Forlaget Blækhus": 2,
        "Taltrolden ApS": 1,
    }
    assert {f["value"]: f["count"] for f in facets["price_band"]} == {
        "100_499": 1,
        "500_1999": 1,
        "2000_plus": 1,
    }
    assert {f["value"]: f["count"] for f in facets["licence_type"]} == {
        "pupil": 1,
        "class": 1,
        "school": 1,
    }
    narrowed = items(client, q="brøker", facets=["subject", "offline"], lang="en")["facets"]
    assert narrowed == {
        "subject": [{"value": "matematik", "label": "Mathematics", "count": 2}],
        "offline": [{"value": "partial", "label": "Partly offline", "count": 2}],
    }


def test_a_municipalitys_block_and_allow_lists_apply_to_its_users(
    three: dict[str, Any], shop: Shop, client: FlaskClient, token_for: Callable[[Any], str]
) -> None:
    school = make_school(shop.session, "101")
    teacher = make_user(shop.session, "teacher", school=school)
    elsewhere = make_user(shop.session, "teacher", school=make_school(shop.session, "751"))
    shop.session.add(
        CatalogueRuleRow(
            id=uuid.uuid4(),
            municipality_code="101",
            kind="block",
            product_id=three["vaerksted"].id,
            created_at=datetime.now(UTC),
        )
    )
    shop.session.commit()
    token, other = token_for(teacher), token_for(elsewhere)
    assert set(titles(client, token, q="brøker")) == {"Brøkbanden"}
    subjects = items(client, token)["facets"]["subject"]
    assert {f["value"]: f["count"] for f in subjects} == {"matematik": 1, "dansk": 1}
    assert set(titles(client, other, q="brøker")) == {"Brøkbanden", "Brøkværkstedet"}
    assert set(titles(client, None, q="brøker")) == {"Brøkbanden", "Brøkværkstedet"}
    shop.session.add(
        CatalogueRuleRow(
            id=uuid.uuid4(),
            municipality_code="101",
            kind="allow",
            publisher_id=three["laese"].publisher_id,
            created_at=datetime.now(UTC),
        )
    )
    shop.session.commit()
    assert titles(client, token) == ["Læselyst", "Brøkbanden"]  # the blocked one stays out


@pytest.mark.parametrize(
    "params",
    [
        {"q": "x" * 201},
        {"q": "brøk\x00"},
        {"q": "brøk\x1b[31m"},
        {"limit": 0},
        {"limit": 101},
        {"offset": -1},
        {"offset": 10_000},
        {"goal": "not-a-uuid"},
        {"grade": 11},
        {"grade": "fem"},
        {"subject": "klingon"},
        {"publisher": "1; DROP TABLE products"},
        {"min_price_ore": "149,50"},
        {"max_price_ore": -1},
        {"sort": "cheapest"},
        {"trial": "maybe"},
        {"facets": "colour"},
        {"lang": "sv"},
        {"unknown": "1"},
    ],
)
def test_bad_input_is_a_422_in_our_error_format(
    three: dict[str, Any], client: FlaskClient, params: dict[str, Any]
) -> None:
    answer = client.get("/api/v1/products", query_string=params)
    assert answer.status_code == 422, answer.get_json()
    assert answer.get_json()["error"]["code"] == "validation_error"


@pytest.mark.parametrize(
    "q",
    [
        "",
        "   ",
        '"brøk',
        "brøk*",
        "title:brøk",
        "(brøk OR læs) AND NOT [1 TO 5]",
        "\\^~!?+-&&||{}",
        "<script>alert(1)</script>",
        "brøk " * 39,  # 195 characters, 39 words: the port uses the first 10
        "ø" * 200,
        "😀 brøk",
        "%00 %27 ' --",
    ],
)
def test_odd_text_never_fails(three: dict[str, Any], client: FlaskClient, q: str) -> None:
    page = items(client, q=q)
    for item in page["items"]:
        assert "<script>" not in item["title_html"] + item["description_html"]


def test_paging_is_cut_at_the_total_hits_cap(three: dict[str, Any], client: FlaskClient) -> None:
    page = items(client, offset=9_999, limit=100)
    assert (page["items"], page["total"], page["limit"], page["offset"]) == ([], 3, 1, 9_999)
    assert items(client, min_price_ore=500, max_price_ore=100)["items"] == []


# --- /ready and the commands -----------------------------------------------------------------


def test_ready_reports_a_lost_index_and_reindex_brings_it_back(
    shop: Shop, client: FlaskClient, cli: CliRunner
) -> None:
    shop.listed("Brøkbanden")
    shop.listed("Læselyst", subjects=["dansk"])
    assert client.get("/ready").status_code == 200
    shutil.rmtree(shop.index_dir)

    ready = client.get("/ready")
    assert ready.status_code == 503
    assert ready.get_json()["checks"]["search"].startswith(
        f"error: the search index at {shop.index_dir} is gone"
    )
    assert client.get("/api/v1/products").status_code == 503

    result = run(cli, "search", "reindex", "--batch", "1")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("indexed 2 published products in ")
    assert client.get("/ready").status_code == 200
    assert set(titles(client)) == {"Brøkbanden", "Læselyst"}


def test_reindex_clears_the_outbox_it_covers(shop: Shop, cli: CliRunner) -> None:
    shop.index.down = True
    product = shop.listed("Brøkbanden")  # published while the index was down
    shop.service.retrier.stop()
    assert pending(shop.session) == [product.id]
    shop.index.down = False  # back, but nothing retries (the retrier is stopped)
    result = run(cli, "search", "reindex")
    assert result.exit_code == 0, result.output
    assert "outbox rows cleared: 1" in result.output
    assert pending(shop.session) == []
    assert TantivySearchIndex(shop.index_dir).versions() == {str(product.id): 1}


def test_check_reports_missing_stale_and_extra(shop: Shop, cli: CliRunner) -> None:
    first, second = shop.listed("Brøkbanden"), shop.listed("Læselyst")
    result = run(cli, "search", "check")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0] == "published: 2  indexed: 2"
    assert result.output.splitlines()[-1] == "index and database agree"

    index = shop.index.real
    document = shop.service.documents_for(shop.session, [second.id])[0]
    index.delete([str(first.id)])
    index.upsert([SearchDocument.from_dict({**document, "version": 7})])
    ghost = str(uuid.uuid4())
    index.upsert([SearchDocument.from_dict({**document, "id": ghost})])

    result = run(cli, "search", "check")
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[:4] == [
        "published: 2  indexed: 2",
        f"missing: 1  {first.id}",
        f"stale: 1  {second.id}",
        f"extra: 1  {ghost}",
    ]
    assert "outbox: ok" in lines
    assert "`skolehylde search reindex` rebuilds" in result.output


def test_sync_flushes_a_backlog_once(shop: Shop, cli: CliRunner) -> None:
    shop.index.down = True
    product = shop.listed("Brøkbanden")
    shop.service.retrier.stop()
    shop.index.down = False  # back, but nothing retries (the retrier is stopped)
    result = run(cli, "search", "sync")
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "outbox rows: 1  upserted: 1  deleted: 0  still pending: 0"
    assert pending(shop.session) == []
    assert TantivySearchIndex(shop.index_dir).versions() == {str(product.id): 1}


@pytest.fixture
def cli(database_url: str, shop: Shop, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("SEARCH_INDEX_DIR", str(shop.index_dir))
    monkeypatch.setenv("SEARCH_IN_MEMORY", "0")
    monkeypatch.delenv("SKOLEHYLDE_ENV", raising=False)
    return CliRunner()


def run(cli: CliRunner, *args: str) -> Result:
    return cli.invoke(main, list(args), catch_exceptions=False)


def test_an_invalid_token_is_a_401_not_an_unrestricted_search(client: FlaskClient) -> None:
    answer = client.get("/api/v1/products", headers={"Authorization": "Bearer expired-or-made-up"})
    assert answer.status_code == 401
    assert answer.get_json()["error"]["code"] == "unauthenticated"
    assert 'error="invalid_token"' in answer.headers["WWW-Authenticate"]
