"""Product search: the port (``interfaces``) and its adapters, chosen by ``SEARCH_BACKEND``.

``build_search_index(config)`` reads, from a Flask config or any mapping:

* ``SEARCH_BACKEND``: ``tantivy`` (default, embedded) or ``meilisearch``;
* tantivy: ``SEARCH_INDEX_DIR`` (default ``VAR_DIR/search``; ``VAR_DIR`` defaults to
  ``var``), or ``SEARCH_IN_MEMORY=True`` for a RAM index;
* meilisearch: ``MEILISEARCH_URL`` (required), ``MEILISEARCH_API_KEY``,
  ``MEILISEARCH_INDEX`` (default ``products``), ``MEILISEARCH_TIMEOUT`` (seconds, default 5).

Adapters are imported only when chosen, so the vendor SDK loads only where it is used.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from server.config import ConfigurationError
from server.search.interfaces import SearchIndex

BACKENDS = ("tantivy", "meilisearch")


def build_search_index(config: Mapping[str, Any]) -> SearchIndex:
    backend = str(config.get("SEARCH_BACKEND") or "tantivy").strip().lower()
    if backend == "tantivy":
        from server.search.tantivy_index import TantivySearchIndex

        if config.get("SEARCH_IN_MEMORY"):
            return TantivySearchIndex(None)
        directory = (
            config.get("SEARCH_INDEX_DIR") or Path(config.get("VAR_DIR") or "var") / "search"
        )
        return TantivySearchIndex(Path(directory))
    if backend == "meilisearch":
        from server.search.meilisearch_index import DEFAULT_INDEX_UID, MeilisearchIndex

        url = config.get("MEILISEARCH_URL")
        if not url:
            raise ConfigurationError("SEARCH_BACKEND=meilisearch needs MEILISEARCH_URL")
        try:
            timeout = int(config.get("MEILISEARCH_TIMEOUT") or 5)
        except (TypeError, ValueError):
            raise ConfigurationError("MEILISEARCH_TIMEOUT must be whole seconds") from None
        return MeilisearchIndex.from_url(
            str(url),
            config.get("MEILISEARCH_API_KEY") or None,
            str(config.get("MEILISEARCH_INDEX") or DEFAULT_INDEX_UID),
            timeout_s=timeout,
        )
    raise ConfigurationError(
        f"SEARCH_BACKEND must be one of {', '.join(BACKENDS)}, not {backend!r}"
    )
