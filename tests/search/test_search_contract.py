"""Runs the search contract (search_contract.py) on every adapter available here.

tantivy always (in RAM; on disk for the outage case). Meilisearch only when
``MEILISEARCH_URL`` is set (``MEILISEARCH_API_KEY`` optional): no Meilisearch server can be
obtained on these machines, so without it that parameter does not exist (the test run's
header says so), also in CI, as the Catalogue issue allows. Each Meilisearch run works in
indexes of its own (``test_<random>_…``) and removes them.
"""

from __future__ import annotations

import os
import shutil
import socket
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from search_contract import SearchIndexContract
from search_products import DOCUMENTS

from server.search.interfaces import SearchIndex
from server.search.tantivy_index import TantivySearchIndex

MEILISEARCH_URL = os.environ.get("MEILISEARCH_URL")
MEILISEARCH_API_KEY = os.environ.get("MEILISEARCH_API_KEY")

IndexFactory = Callable[[], SearchIndex]


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class TantivyBackend:
    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp

    def new(self) -> SearchIndex:
        return TantivySearchIndex(None)

    def unavailable(self) -> SearchIndex:
        path = self.tmp / f"gone-{uuid.uuid4().hex}"
        index = TantivySearchIndex(path)
        index.upsert(DOCUMENTS)
        assert index.count() == 30
        shutil.rmtree(path)  # the index directory is lost while the app runs
        return index

    def dispose(self) -> None:
        pass


class MeilisearchBackend:
    def __init__(self) -> None:
        from server.search.meilisearch_index import MeilisearchIndex

        self._cls = MeilisearchIndex
        self._prefix = f"test_{uuid.uuid4().hex[:8]}"
        self._created: list[str] = []

    def new(self) -> SearchIndex:
        assert MEILISEARCH_URL
        uid = f"{self._prefix}_{len(self._created)}"
        self._created.append(uid)
        index = self._cls.from_url(MEILISEARCH_URL, MEILISEARCH_API_KEY, uid)
        index.clear()  # creates the index with MEILISEARCH_SETTINGS
        return index

    def unavailable(self) -> SearchIndex:
        return self._cls.from_url(f"http://127.0.0.1:{_closed_port()}", None, "products")

    def dispose(self) -> None:
        import meilisearch

        assert MEILISEARCH_URL
        client = meilisearch.Client(MEILISEARCH_URL, MEILISEARCH_API_KEY)
        for uid in self._created:
            client.wait_for_task(client.delete_index(uid).task_uid)


# Only adapters that can run here are parameters (no skipped half): the run's header says
# whether the Meilisearch half ran (see pytest_report_header in tests/conftest.py).
@pytest.fixture(scope="module", params=["tantivy", *(["meilisearch"] if MEILISEARCH_URL else [])])
def backend(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TantivyBackend | MeilisearchBackend]:
    chosen: TantivyBackend | MeilisearchBackend
    if request.param == "tantivy":
        chosen = TantivyBackend(tmp_path_factory.mktemp("tantivy"))
    else:
        chosen = MeilisearchBackend()
    yield chosen
    chosen.dispose()


@pytest.fixture(scope="module")
def index(backend: TantivyBackend | MeilisearchBackend) -> SearchIndex:
    loaded = backend.new()
    loaded.upsert(DOCUMENTS)
    return loaded


@pytest.fixture
def fresh_index(backend: TantivyBackend | MeilisearchBackend) -> SearchIndex:
    return backend.new()


@pytest.fixture
def unavailable_index(backend: TantivyBackend | MeilisearchBackend) -> SearchIndex:
    return backend.unavailable()


class TestSearchContract(SearchIndexContract):
    pass
