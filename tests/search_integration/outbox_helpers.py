"""Helpers for the search-integration tests: documents, a tiny catalogue, an outage switch.

``TinyCatalogue`` stands in for the catalogue's ``documents_for`` where a test is about the
outbox itself; the end-to-end tests use the real catalogue operations instead.
``FakeOutageIndex`` wraps a real adapter (tantivy on disk) and raises ``SearchUnavailable``
from every method while ``down`` — the way a Meilisearch server that stops answering looks
to the app — and passes every call through once it is back.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from server.search import outbox
from server.search.interfaces import (
    IndexHealth,
    SearchDocument,
    SearchIndex,
    SearchPage,
    SearchQuery,
    SearchUnavailable,
)

PUBLISHER_ID = "0b6f3a52-9a0e-4c1e-9f51-6c2b1f1d2a01"
BASE = datetime(2024, 8, 1, 8, 0, tzinfo=UTC)


def document(title: str, *, number: int = 0, **overrides: Any) -> dict[str, Any]:
    """A valid search document (``catalogue.documents.SEARCH_DOCUMENT_FIELDS``)."""
    price = overrides.pop("min_price_ore", 14950)
    data: dict[str, Any] = {
        "id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"skolehylde-test/{title}")),
        "title": title,
        "description": f"{title}: et digitalt læremiddel til folkeskolen.",
        "publisher_id": PUBLISHER_ID,
        "publisher_name": "Forlaget Blækhus",
        "subjects": ["matematik"],
        "grades": [4, 5],
        "languages": ["da"],
        "media_types": ["interactive"],
        "platforms": ["web"],
        "accessibility": [],
        "licence_types": ["pupil"],
        "min_price_ore": price,
        "price_band": None if price is None else "100_499",
        "has_trial": False,
        "offline": "none",
        "goal_ids": [],
        "goal_path_ids": [],
        "goal_texts": [],
        "competence_areas": [],
        "rating_mean": None,
        "rating_count": 0,
        "published_at": (BASE + timedelta(days=number)).isoformat(),
        "version": 1,
    }
    data.update(overrides)
    SearchDocument.from_dict(data)  # a helper that builds invalid documents is a bug
    return data


class TinyCatalogue:
    """Published products as documents, with the catalogue's ``documents_for`` shape."""

    def __init__(self) -> None:
        self.published: dict[str, dict[str, Any]] = {}
        self.calls: list[list[str]] = []

    def documents_for(
        self, _session: Session, product_ids: Sequence[uuid.UUID]
    ) -> list[dict[str, Any]]:
        ids = [str(p) for p in product_ids]
        self.calls.append(ids)
        return [self.published[i] for i in ids if i in self.published]

    def publish(self, session: Session, doc: dict[str, Any]) -> None:
        """What a catalogue operation does: change, enqueue, commit, then flush soon."""
        self.published[doc["id"]] = doc
        outbox.enqueue(session, doc["id"])
        session.commit()
        outbox.flush_soon()

    def withdraw(self, session: Session, product_id: str) -> None:
        self.published.pop(product_id, None)
        outbox.enqueue(session, product_id)
        session.commit()
        outbox.flush_soon()


class FakeOutageIndex:
    """A real ``SearchIndex`` behind a switch: every call fails while ``down``."""

    def __init__(self, real: SearchIndex) -> None:
        self.real = real
        self.backend = real.backend
        self.down = False
        self.failed_calls = 0

    def _gate(self) -> None:
        if self.down:
            self.failed_calls += 1
            raise SearchUnavailable("connection refused (test outage)")

    def upsert(self, documents: Iterable[SearchDocument]) -> None:
        self._gate()
        self.real.upsert(documents)

    def delete(self, ids: Iterable[str]) -> None:
        self._gate()
        self.real.delete(ids)

    def search(self, query: SearchQuery) -> SearchPage:
        self._gate()
        return self.real.search(query)

    def count(self) -> int:
        self._gate()
        return self.real.count()

    def versions(self) -> dict[str, int]:
        self._gate()
        return self.real.versions()

    def clear(self) -> None:
        self._gate()
        self.real.clear()

    def check(self) -> IndexHealth:
        self._gate()
        return self.real.check()


def wait_for(condition: Callable[[], bool], *, timeout_s: float = 10.0) -> bool:
    """Poll ``condition`` until it holds (bounded); True if it did."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return condition()
