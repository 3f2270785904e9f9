"""``FakeMeilisearchClient``: a recording stand-in for ``meilisearch.Client``.

It records every call (``calls``: ``(method, args)`` in order) and answers with canned
responses; ``fail_with`` makes the next calls raise a given client exception. Tenant tokens are
made by a real ``meilisearch.Client`` (that part of the client is local JWT signing, no HTTP).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from types import SimpleNamespace
from typing import Any

import meilisearch
import requests
from meilisearch.errors import MeilisearchApiError


def api_error(status: int, code: str, message: str = "error") -> MeilisearchApiError:
    response = requests.Response()
    response.status_code = status
    response._content = (
        f'{{"message": "{message}", "code": "{code}", "type": "invalid_request", '
        f'"link": "https://docs.meilisearch.com/errors#{code}"}}'
    ).encode()
    return MeilisearchApiError(message, response)


class FakeIndex:
    def __init__(self, client: FakeMeilisearchClient, uid: str) -> None:
        self._client = client
        self.uid = uid

    def _record(self, method: str, *args: Any) -> SimpleNamespace:
        self._client.record(f"index({self.uid}).{method}", *args)
        return self._client.next_task()

    def search(self, query: str, opt_params: Mapping[str, Any] | None = None) -> dict[str, Any]:
        self._client.record(f"index({self.uid}).search", query, dict(opt_params or {}))
        if self._client.search_responses:
            return self._client.search_responses.pop(0)
        return {"hits": [], "totalHits": 0, "facetDistribution": {}}

    def add_documents(
        self, documents: Sequence[Mapping[str, Any]], primary_key: str | None = None
    ) -> SimpleNamespace:
        return self._record("add_documents", [dict(d) for d in documents], primary_key)

    def delete_documents(self, ids: list[str]) -> SimpleNamespace:
        return self._record("delete_documents", list(ids))

    def delete_all_documents(self) -> SimpleNamespace:
        return self._record("delete_all_documents")

    def update_settings(self, body: dict[str, Any]) -> SimpleNamespace:
        return self._record("update_settings", body)

    def get_stats(self) -> SimpleNamespace:
        self._client.record(f"index({self.uid}).get_stats")
        return SimpleNamespace(number_of_documents=self._client.document_count)

    def get_documents(self, parameters: dict[str, Any]) -> SimpleNamespace:
        self._client.record(f"index({self.uid}).get_documents", dict(parameters))
        start = parameters["offset"]
        rows = self._client.stored_documents[start : start + parameters["limit"]]
        return SimpleNamespace(
            results=[meilisearch.models.document.Document(r) for r in rows],
            total=len(self._client.stored_documents),
        )


class FakeMeilisearchClient:
    def __init__(self) -> None:
        self.calls: list[tuple[str, tuple[Any, ...]]] = []
        self.search_responses: list[dict[str, Any]] = []
        self.task_results: list[SimpleNamespace] = []  # Task answers for wait_for_task
        self.document_count = 0
        self.stored_documents: list[dict[str, Any]] = []
        self.health_status: dict[str, str] = {"status": "available"}
        self.fail_with: Exception | None = None
        self._task_uid = 0

    # --- recording -----------------------------------------------------------------

    def record(self, method: str, *args: Any) -> None:
        self.calls.append((method, args))
        if self.fail_with is not None:
            raise self.fail_with

    def next_task(self) -> SimpleNamespace:
        self._task_uid += 1
        return SimpleNamespace(task_uid=self._task_uid)

    def methods(self) -> list[str]:
        return [method for method, _ in self.calls]

    def args_of(self, method: str) -> list[tuple[Any, ...]]:
        return [args for name, args in self.calls if name == method]

    # --- the client's surface ------------------------------------------------------

    def index(self, uid: str) -> FakeIndex:
        return FakeIndex(self, uid)

    def create_index(self, uid: str, options: Mapping[str, Any] | None = None) -> SimpleNamespace:
        self.record("create_index", uid, dict(options or {}))
        return self.next_task()

    def wait_for_task(
        self, uid: int, timeout_in_ms: int = 5000, interval_in_ms: int = 50
    ) -> SimpleNamespace:
        self.record("wait_for_task", uid, timeout_in_ms)
        if self.task_results:
            return self.task_results.pop(0)
        return SimpleNamespace(uid=uid, status="succeeded", error=None)

    def health(self) -> dict[str, str]:
        self.record("health")
        return self.health_status

    def generate_tenant_token(
        self,
        api_key_uid: str,
        search_rules: Mapping[str, Any],
        *,
        expires_at: datetime | None = None,
        api_key: str | None = None,
    ) -> str:
        self.record("generate_tenant_token", api_key_uid, search_rules, expires_at)
        real = meilisearch.Client("http://127.0.0.1:9", api_key)
        return real.generate_tenant_token(
            api_key_uid, search_rules, expires_at=expires_at, api_key=api_key
        )
