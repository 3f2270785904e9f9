"""The search outbox: nothing lost in an index outage, recovery with no operator (both DBs).

The index is the real tantivy adapter on disk behind ``FakeOutageIndex`` (the outage switch);
``TinyCatalogue`` plays the catalogue's ``documents_for``. The end-to-end variant through the
catalogue's own operations is in ``test_search_catalogue_e2e.py``.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from apiflask import APIFlask
from flask.testing import FlaskClient
from outbox_helpers import FakeOutageIndex, TinyCatalogue, document, wait_for
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.extensions import db
from server.search import outbox
from server.search.models import SearchOutboxRow
from server.search.service import SearchService, search_service
from server.search.tantivy_index import TantivySearchIndex


@dataclass
class Search:
    service: SearchService
    index: FakeOutageIndex
    catalogue: TinyCatalogue


@pytest.fixture
def search(app: APIFlask, tmp_path: Path) -> Iterator[Search]:
    service = search_service(app)
    index = FakeOutageIndex(TantivySearchIndex(tmp_path / "index"))
    catalogue = TinyCatalogue()
    service.index = index
    service.documents_for = catalogue.documents_for
    service.retry_seconds = service.retrier.interval_s = 0.05
    yield Search(service, index, catalogue)
    service.retrier.stop()


def outbox_rows(session: Session) -> list[tuple[str, int, str | None]]:
    session.rollback()  # a fresh snapshot: other sessions and the retrier commit too
    return [
        (str(r.product_id), r.attempts, r.last_error)
        for r in session.scalars(select(SearchOutboxRow).order_by(SearchOutboxRow.id))
    ]


def found(client: FlaskClient, q: str) -> list[str]:
    answer = client.get("/api/v1/products", query_string={"q": q})
    assert answer.status_code == 200, answer.get_json()
    return [item["id"] for item in answer.get_json()["items"]]


def test_enqueue_commits_with_the_callers_transaction_or_not_at_all(
    search: Search, session: Session
) -> None:
    doc = document("Brøkbyen")
    outbox.enqueue(session, doc["id"])
    session.rollback()
    assert outbox_rows(session) == []
    outbox.enqueue(session, doc["id"])
    session.commit()
    assert outbox_rows(session) == [(doc["id"], 0, None)]
    assert search.index.real.count() == 0  # enqueue alone writes nothing to the index


def test_a_publish_is_searchable_when_the_request_returns(
    search: Search, session: Session, client: FlaskClient
) -> None:
    doc = document("Brøkbyen")
    search.catalogue.publish(session, doc)
    assert outbox_rows(session) == []
    assert found(client, "brøkbyen") == [doc["id"]]
    assert not search.service.retrier.active  # nothing to retry


def test_index_outage_during_publish_loses_nothing_and_recovers_by_itself(
    search: Search, session: Session, client: FlaskClient
) -> None:
    before = document("Regnehuset", number=1)
    search.catalogue.publish(session, before)
    search.index.down = True

    doc = document("Brøkbyen", number=2)
    search.catalogue.publish(session, doc)  # commits; the flush after it fails, quietly

    rows = outbox_rows(session)
    assert [r[0] for r in rows] == [doc["id"]]
    assert rows[0][1] >= 1 and rows[0][2] == "connection refused (test outage)"
    answer = client.get("/api/v1/products", query_string={"q": "brøkbyen"})
    assert answer.status_code == 503
    assert answer.headers["Retry-After"] == "5"
    assert answer.get_json()["error"]["code"] == "search_unavailable"
    ready = client.get("/ready")
    assert ready.status_code == 503
    checks = ready.get_json()["checks"]
    assert checks["database"] == "ok"
    assert checks["search"] == "error: connection refused (test outage)"
    assert checks["search_outbox"].startswith("1 pending")
    assert search.service.retrier.active  # working off the backlog in the background

    search.index.down = False  # the index is back; nobody does anything

    assert wait_for(lambda: found(client, "brøkbyen") == [doc["id"]])
    assert wait_for(lambda: outbox_rows(session) == [])
    assert found(client, "regnehuset") == [before["id"]]  # nothing else lost either
    assert wait_for(lambda: not search.service.retrier.active)  # the retrier ends
    ready = client.get("/ready").get_json()
    assert ready == {
        "status": "ok",
        "checks": {"database": "ok", "search": "ok", "search_outbox": "ok"},
    }


def test_a_withdrawal_during_an_outage_is_removed_once_the_index_is_back(
    search: Search, session: Session, client: FlaskClient
) -> None:
    doc = document("Brøkbyen")
    search.catalogue.publish(session, doc)
    search.index.down = True
    search.catalogue.withdraw(session, doc["id"])
    assert [r[0] for r in outbox_rows(session)] == [doc["id"]]
    search.index.down = False
    assert wait_for(lambda: outbox_rows(session) == [])
    assert found(client, "brøkbyen") == []
    assert search.index.real.versions() == {}


def test_a_backlog_left_by_another_process_is_found_by_a_search(
    search: Search, session: Session, client: FlaskClient
) -> None:
    """A worker died between its commit and its flush: its rows wait with no retrier."""
    doc = document("Brøkbyen")
    search.catalogue.published[doc["id"]] = doc
    outbox.enqueue(session, doc["id"])
    session.commit()  # and no flush_soon
    assert not search.service.retrier.active

    client.get("/api/v1/products", query_string={"q": "noget andet"})  # notices the backlog

    assert wait_for(lambda: found(client, "brøkbyen") == [doc["id"]])
    assert outbox_rows(session) == []


def test_ready_also_notices_a_backlog(
    search: Search, session: Session, client: FlaskClient
) -> None:
    doc = document("Brøkbyen")
    search.catalogue.published[doc["id"]] = doc
    outbox.enqueue(session, doc["id"])
    session.commit()
    assert client.get("/ready").get_json()["checks"]["search_outbox"].startswith("1 pending")
    assert wait_for(lambda: outbox_rows(session) == [])
    assert search.index.real.versions() == {doc["id"]: 1}


def test_rows_processed_twice_or_by_several_flushers_at_once_are_harmless(
    search: Search, session: Session
) -> None:
    docs = [document(f"Produkt {n}", number=n) for n in range(40)]
    for doc in docs:
        search.catalogue.published[doc["id"]] = doc
        outbox.enqueue(session, doc["id"])
        outbox.enqueue(session, doc["id"])  # two changes to one product
    session.commit()
    engine = db.engine
    errors: list[BaseException] = []

    def flusher() -> None:
        try:
            with Session(engine) as own:
                outbox.flush_all(own, search.index, search.catalogue.documents_for, batch=7)
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=flusher) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    assert outbox_rows(session) == []
    assert search.index.real.versions() == {doc["id"]: 1 for doc in docs}
    # The same rows again (a flusher that read them before another deleted them):
    report = outbox.flush(session, search.index, search.catalogue.documents_for)
    assert (report.rows, report.pending) == (0, 0)
    search.index.real.upsert([])  # and an upsert of the same documents changes nothing
    assert search.index.real.count() == 40


def test_a_document_the_index_refuses_keeps_its_row_and_does_not_block_the_rest(
    search: Search, session: Session
) -> None:
    good, bad = document("Brøkbyen"), document("Ødelagt", number=1)
    search.catalogue.published[good["id"]] = good
    search.catalogue.published[bad["id"]] = {**bad, "grades": [11]}  # a catalogue bug
    outbox.enqueue_many(session, [bad["id"], good["id"]])
    session.commit()
    report = outbox.flush(session, search.index, search.catalogue.documents_for)
    assert (report.upserted, report.deleted, report.pending) == (1, 0, 1)
    assert report.invalid == (bad["id"],)
    assert search.index.real.versions() == {good["id"]: 1}
    [(product_id, attempts, error)] = outbox_rows(session)
    assert (product_id, attempts) == (bad["id"], 1)
    assert error is not None and error.startswith("invalid search document: grades")


def test_flush_soon_never_raises_into_the_request(
    search: Search, session: Session, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(_session: Session, _ids: Any) -> list[dict[str, Any]]:
        raise RuntimeError("a bug in documents_for")

    search.service.documents_for = broken
    outbox.enqueue(session, document("Brøkbyen")["id"])
    session.commit()
    outbox.flush_soon()  # no exception
    assert "flush after commit failed" in caplog.text
    assert len(outbox_rows(session)) == 1  # the row waits for a fixed documents_for
    search.service.retrier.stop()


def test_pending_count_and_backlog_description(search: Search, session: Session) -> None:
    assert outbox.backlog(session).describe() == "ok"
    search.index.down = True
    search.catalogue.publish(session, document("Brøkbyen"))
    search.service.retrier.stop()
    backlog = outbox.backlog(session)
    assert backlog.pending == 1 and backlog.attempts >= 1
    assert backlog.last_error == "connection refused (test outage)"
    assert backlog.describe().startswith("1 pending, oldest ")
    assert backlog.describe().endswith("last error: connection refused (test outage)")
    assert session.scalar(select(func.count()).select_from(SearchOutboxRow)) == 1
