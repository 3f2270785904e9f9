"""The search index inside the app: adapter from config, outbox, product search.

``init_app`` builds the configured ``SearchIndex`` (``server.search.build_search_index``)
into ``app.extensions["search"]`` as a ``SearchService`` and registers ``/api/v1/products``.

Configuration (``server.config``): ``SEARCH_BACKEND`` (tantivy | meilisearch),
``SEARCH_INDEX_DIR`` (default ``VAR_DIR/search``), ``SEARCH_IN_MEMORY`` (default: only when
``SKOLEHYLDE_ENV=test``, so every test app gets a fresh index), ``MEILISEARCH_*``, and
``SEARCH_OUTBOX_RETRY_SECONDS`` (default 5): how often the retrier tries a backlog.

Why a background retrier, and why it is safe with several gunicorn workers
--------------------------------------------------------------------------
A backlog arises when the index was down at a flush (or a process died between a commit
and its flush). Waiting for the next catalogue write to flush it could take days, and doing
it inside search requests would make searches slow exactly when the index is struggling. So
each worker process has an ``OutboxRetrier``: a daemon thread that exists only while there
is a backlog. It is started when a flush leaves rows behind, and when a search or ``/ready``
notices pending rows (checked at most once per retry interval per process, so a crashed
process's rows are found too); it flushes every interval with its own app context and
session, and ends when the outbox is empty. Several workers (or machines) may run one at
once: flushes are serialised in the database (``server.search.outbox``), each flush builds
the documents from the current database state, and upserts by id are idempotent, so a row
handled twice is harmless. A fork (gunicorn's ``preload_app``) is detected by pid and gets a
fresh thread.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from apiflask import APIFlask
from flask import Flask, current_app
from sqlalchemy import delete, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from server.extensions import db
from server.identity.principal import Principal
from server.search import build_search_index, outbox
from server.search.interfaces import (
    UNRESTRICTED,
    CatalogueRestriction,
    SearchIndex,
    SearchPage,
    SearchQuery,
    SearchUnavailable,
)
from server.search.models import SearchEntryRow, SearchOutboxRow

log = logging.getLogger(__name__)

EXTENSION = "search"
DEFAULT_RETRY_SECONDS = 5.0
#: Errors other than an index outage (database gone, a bug) the retrier survives in a row
#: before it stops; the next flush trigger starts it again.
_MAX_RETRIER_ERRORS = 5


def init_app(app: APIFlask) -> None:
    """Build the configured search index and register the search endpoints."""
    from server.search import views

    config = dict(app.config)
    if config.get("SEARCH_IN_MEMORY") is None:
        config["SEARCH_IN_MEMORY"] = config.get("SKOLEHYLDE_ENV") == "test"
    service = SearchService(
        app,
        build_search_index(config),
        retry_seconds=float(app.config.get("SEARCH_OUTBOX_RETRY_SECONDS") or DEFAULT_RETRY_SECONDS),
    )
    app.extensions[EXTENSION] = service
    app.register_blueprint(views.bp)


def search_service(app: Flask | None = None) -> SearchService:
    return cast(SearchService, (app or current_app).extensions[EXTENSION])


def catalogue_documents_for(
    session: Session, product_ids: Sequence[uuid.UUID]
) -> list[dict[str, Any]]:
    """The catalogue's ``documents_for``: the documents of those products that are published."""
    from server.catalogue.documents import documents_for

    return cast(list[dict[str, Any]], documents_for(session, product_ids))


class OutboxRetrier:
    """Flushes the outbox in the background of one process while it has a backlog."""

    def __init__(self, app: Flask, interval_s: float) -> None:
        self._app = app
        self.interval_s = interval_s
        self._pid = os.getpid()
        self._guard = threading.Lock()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._stopping = False
        self.runs = 0  # flush attempts made (tests and /ready read it)

    @property
    def active(self) -> bool:
        thread = self._thread
        return thread is not None and thread.is_alive() and self._pid == os.getpid()

    def kick(self) -> None:
        """Make sure a retry runs now (starting the thread if none is running here)."""
        if self._pid != os.getpid():  # forked: the parent's thread and lock did not come along
            self._pid, self._guard, self._thread = os.getpid(), threading.Lock(), None
        with self._guard:
            self._stopping = False
            if self.active:
                self._wake.set()  # seen by ``_may_end`` if the thread is about to end
                return
            self._wake.clear()
            self._thread = threading.Thread(
                target=self._run, name="search-outbox-retrier", daemon=True
            )
            self._thread.start()

    def stop(self, timeout_s: float = 5.0) -> None:
        with self._guard:
            self._stopping = True
            self._wake.set()
            thread = self._thread
        if thread is not None and thread.is_alive():
            thread.join(timeout_s)

    def _may_end(self) -> bool:
        """End the thread unless a kick came in meanwhile (decided under the guard, so a kick
        either reaches this thread or starts a new one, never neither)."""
        with self._guard:
            if self._wake.is_set() and not self._stopping:
                self._wake.clear()
                return False
            self._thread = None
            return True

    def _run(self) -> None:
        errors = 0
        while not self._stopping:
            self.runs += 1
            try:
                with self._app.app_context():
                    report = search_service(self._app).flush_pending(wait=True)
            except Exception:
                errors += 1
                log.exception("search outbox retrier: flush failed (%d in a row)", errors)
                if errors >= _MAX_RETRIER_ERRORS and self._may_end():
                    return
            else:
                errors = 0
                if not report.unavailable and not report.skipped:
                    if report.pending:  # rows added meanwhile, or refused documents
                        log.info("search outbox: %d rows still pending", report.pending)
                    finished = not report.pending or report.rows == 0 or bool(report.invalid)
                    if finished and self._may_end():  # refused documents wait for a trigger
                        return
                    continue  # more came in while flushing, or a kick: go on at once
            self._wake.wait(self.interval_s)
            self._wake.clear()
        with self._guard:
            self._thread = None


@dataclass
class SearchService:
    """``app.extensions["search"]``: the index, how to build documents, and the retrier."""

    app: Flask
    index: SearchIndex
    retry_seconds: float = DEFAULT_RETRY_SECONDS
    documents_for: outbox.DocumentsFor = catalogue_documents_for
    retrier: OutboxRetrier = field(init=False)
    _next_backlog_check: float = field(default=0.0, init=False)

    def __post_init__(self) -> None:
        self.retrier = OutboxRetrier(self.app, self.retry_seconds)

    # --- the outbox -----------------------------------------------------------------------

    def flush_pending(self, *, wait: bool = True) -> outbox.FlushReport:
        """Flush every pending row once, in a session of its own (not the request's)."""
        with Session(db.engine) as session:
            return outbox.flush_all(session, self.index, self.documents_for, wait=wait)

    def flush_soon(self) -> None:
        """After a commit: flush now, in this request; hand a failure to the retrier.

        While the retrier is working off an outage it owns the backlog: requests do not
        each wait on an index that is known to be down."""
        if self.retrier.active:
            self.retrier.kick()
            return
        try:
            report = self.flush_pending(wait=False)
        except Exception:
            self.retrier.kick()
            raise
        if report.unavailable or report.skipped:
            self.retrier.kick()

    def notice_backlog(self, session: Session) -> None:
        """Start the retrier if rows are pending (checked once per interval per process):
        how a backlog left by another process, or by a crash, is found without an operator."""
        now = time.monotonic()
        if now < self._next_backlog_check or self.retrier.active:
            return
        self._next_backlog_check = now + self.retry_seconds
        try:
            pending = outbox.has_backlog(session)
        except Exception:
            session.rollback()
            log.exception("search outbox: cannot read the backlog")
            return
        if pending:
            self.retrier.kick()

    def readiness(self, session: Session) -> tuple[str, str]:
        """(search, search_outbox) for ``/ready``: "ok" or what is wrong."""
        try:
            self.index.check()
            search = "ok"
        except SearchUnavailable as error:
            search = f"error: {error}"
        except Exception as error:  # an adapter bug must not hide the rest of /ready
            search = f"error: {type(error).__name__}"
        try:
            backlog = outbox.backlog(session)
        except Exception as error:
            session.rollback()
            return search, f"error: {type(error).__name__}"
        if backlog.pending:
            self.notice_backlog(session)
        return search, backlog.describe()

    # --- searching ------------------------------------------------------------------------

    def search(self, session: Session, query: SearchQuery) -> SearchPage:
        """One search through the port (``SearchUnavailable`` when the index is down)."""
        self.notice_backlog(session)
        return self.index.search(query)


def restriction_for(session: Session, principal: Principal | None) -> CatalogueRestriction:
    """The allow/block rules (``municipality_catalogue_rules``) of the signed-in user's
    municipalities: those they hold a role in and those of their schools. Anonymous
    callers and users of no municipality are unrestricted. A user of several
    municipalities gets the union of their rules (any allow list allows; any block blocks).
    """
    if principal is None or principal.user_id is None:
        return UNRESTRICTED
    codes = _municipalities(session, principal)
    if not codes:
        return UNRESTRICTED
    from server.catalogue.models import CatalogueRuleRow

    rows = session.execute(
        select(
            CatalogueRuleRow.kind, CatalogueRuleRow.product_id, CatalogueRuleRow.publisher_id
        ).where(CatalogueRuleRow.municipality_code.in_(codes))
    ).all()
    if not rows:
        return UNRESTRICTED
    ids: dict[tuple[str, str], set[str]] = {
        (kind, what): set() for kind in ("allow", "block") for what in ("product", "publisher")
    }
    for kind, product_id, publisher_id in rows:
        if product_id is not None:
            ids[(kind, "product")].add(str(product_id))
        elif publisher_id is not None:
            ids[(kind, "publisher")].add(str(publisher_id))
    allow_products, allow_publishers = ids[("allow", "product")], ids[("allow", "publisher")]
    has_allow = bool(allow_products or allow_publishers)
    return CatalogueRestriction(
        allowed_product_ids=frozenset(allow_products) if has_allow else None,
        allowed_publisher_ids=frozenset(allow_publishers) if has_allow else None,
        blocked_product_ids=frozenset(ids[("block", "product")]),
        blocked_publisher_ids=frozenset(ids[("block", "publisher")]),
    )


def _municipalities(session: Session, principal: Principal) -> set[str]:
    from server.organisations.models import SchoolRow

    codes = set(principal.municipalities())
    schools = principal.schools()
    if schools:
        codes |= set(
            session.scalars(select(SchoolRow.municipality_code).where(SchoolRow.id.in_(schools)))
        )
    return {c for c in codes if c}


# --- the product search use case -------------------------------------------------------------


@dataclass(frozen=True)
class ProductSearchResult:
    """A page of the index with what it holds of its hits (``documents``: id → the display
    fields of ``SearchEntryRow``; a hit without one is left out) and the names of the
    publishers in the hits and the publisher facet."""

    page: SearchPage
    documents: dict[str, dict[str, Any]]
    publisher_names: dict[str, str]


def search_products(
    session: Session, principal: Principal | None, params: dict[str, Any]
) -> ProductSearchResult:
    """Search the catalogue for ``params`` (``schemas.ProductSearchQuery``), with the
    principal's municipality rules applied. Raises ``SearchUnavailable`` (HTTP 503)."""
    from server.search.interfaces import FACETS, MAX_TOTAL_HITS

    service = search_service()
    filters: dict[str, list[Any]] = {}
    for facet in FACETS:
        value = params.get(facet)
        if facet == "trial":
            if value is not None:
                filters[facet] = [bool(value)]
        elif value:
            filters[facet] = [str(v) for v in value]
    goal = params.get("goal")
    offset = min(int(params.get("offset", 0)), MAX_TOTAL_HITS - 1)
    limit = int(params.get("limit", 20))
    query = SearchQuery(
        text=params.get("q") or "",
        filters=filters,
        goal_id=str(goal) if goal else None,
        min_price_ore=params.get("min_price_ore"),
        max_price_ore=params.get("max_price_ore"),
        sort=params.get("sort") or "relevance",
        limit=min(limit, MAX_TOTAL_HITS - offset),  # paging ends at MAX_TOTAL_HITS
        offset=offset,
        facets=tuple(params.get("facets") or FACETS),
        restriction=restriction_for(session, principal),
    )
    page = service.search(session, query)
    ids = [uuid.UUID(hit.id) for hit in page.hits]
    documents = {
        str(product_id): display
        for product_id, display in (
            session.execute(
                select(SearchEntryRow.product_id, SearchEntryRow.display).where(
                    SearchEntryRow.product_id.in_(ids)
                )
            )
            if ids
            else ()
        )
    }
    names = {str(d["publisher_id"]): str(d["publisher_name"]) for d in documents.values()}
    unnamed = [p for p in page.facets.get("publisher", {}) if p not in names]
    if unnamed:
        names.update(_publisher_names(session, unnamed))
    return ProductSearchResult(page, documents, names)


def _publisher_names(session: Session, ids: Sequence[str]) -> dict[str, str]:
    from server.organisations.models import PublisherRow

    wanted = []
    for value in ids:
        try:
            wanted.append(uuid.UUID(value))
        except ValueError:
            continue
    if not wanted:
        return {}
    rows = session.execute(
        select(PublisherRow.id, PublisherRow.name).where(PublisherRow.id.in_(wanted))
    )
    return {str(i): str(n) for i, n in rows}


# --- rebuild and drift check (``skolehylde search reindex`` / ``check``) ------------------------


@dataclass(frozen=True)
class ReindexReport:
    documents: int
    outbox_rows_cleared: int
    seconds: float


def reindex(
    engine: Engine,
    index: SearchIndex,
    documents_for: outbox.DocumentsFor = catalogue_documents_for,
    *,
    batch: int = 1000,
) -> ReindexReport:
    """Rebuild the whole index from the database: clear it, write the document of every
    published product in batches, then drop the outbox rows that were pending when it began
    (this rebuild read newer state than they describe). Rows added meanwhile stay pending.

    Runs in sessions of its own (each batch's rows are let go after it). Searches during a
    rebuild see a partial index. Raises ``SearchUnavailable``."""
    from server.catalogue.documents import published_product_ids
    from server.search.interfaces import SearchDocument

    started = time.perf_counter()
    with Session(engine) as session:
        covered = list(session.scalars(select(SearchOutboxRow.id)))
        ids = published_product_ids(session)
    index.clear()
    with Session(engine) as session:
        session.execute(delete(SearchEntryRow))
        session.commit()
    written = 0
    for start in range(0, len(ids), batch):
        with Session(engine) as session:
            data = documents_for(session, ids[start : start + batch])
            documents = [SearchDocument.from_dict(d) for d in data]
            index.upsert(documents)
            outbox.store_entries(session, documents)
            session.commit()
        written += len(documents)
    cleared = 0
    with Session(engine) as session:
        for start in range(0, len(covered), 1000):
            rows = covered[start : start + 1000]
            result = session.execute(delete(SearchOutboxRow).where(SearchOutboxRow.id.in_(rows)))
            cleared += int(result.rowcount or 0)  # type: ignore[attr-defined]
        session.commit()
    return ReindexReport(written, cleared, time.perf_counter() - started)


@dataclass(frozen=True)
class DriftReport:
    """Index against database: ``missing`` published but not indexed, ``stale`` indexed with
    another version, ``extra`` indexed but not published. ``backlog``: outbox rows pending
    (drift they explain is on its way to the index)."""

    published: int
    indexed: int
    missing: tuple[str, ...]
    stale: tuple[str, ...]
    extra: tuple[str, ...]
    backlog: outbox.Backlog

    @property
    def diverged(self) -> bool:
        return bool(self.missing or self.stale or self.extra)


def check_drift(session: Session, index: SearchIndex) -> DriftReport:
    """Compare ``index.versions()`` with the published products' versions."""
    from server.catalogue.models import ProductRow

    indexed = index.versions()
    published = {
        str(product_id): int(version)
        for product_id, version in session.execute(
            select(ProductRow.id, ProductRow.version).where(ProductRow.status == "published")
        )
    }
    backlog = outbox.backlog(session)
    session.rollback()
    return DriftReport(
        published=len(published),
        indexed=len(indexed),
        missing=tuple(sorted(set(published) - set(indexed))),
        stale=tuple(sorted(p for p, v in published.items() if p in indexed and indexed[p] != v)),
        extra=tuple(sorted(set(indexed) - set(published))),
        backlog=backlog,
    )
