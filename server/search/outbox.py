"""The transactional outbox between the catalogue and the search index.

Why: the index is another system. Writing to it inside a catalogue operation would either
hold the database transaction open on the index or lose the write when the index is down
after the commit. Instead:

1. an operation calls ``enqueue(session, product_id)`` before its commit: the outbox row
   commits with the change, or neither does;
2. after the commit it calls ``flush_soon()``: the pending rows are written to the index
   right away, in-process, so a publish is searchable when the response returns; it never
   raises into the request;
3. what could not be written (index down) stays pending with ``attempts`` and
   ``last_error``, and is retried without an operator: by the next flush, and by the
   search service's background retrier (``server.search.service.OutboxRetrier``) while a
   backlog exists. ``skolehylde search sync`` flushes by hand; ``/ready`` shows the backlog.

A flush rebuilds each product's document from the database at that moment
(``documents_for``), so rows are hints, not payloads: a row processed twice, or two rows for
one product, give the same result (upsert by id is idempotent), and a product that is no
longer published is deleted from the index. Flushes are serialised across processes (a
PostgreSQL advisory lock; SQLite's write lock), so an older document can never overwrite a
newer one: whoever flushes last read the newest committed state.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, func, insert, select, text
from sqlalchemy.orm import Session

from server.search.interfaces import (
    InvalidSearchDocument,
    SearchDocument,
    SearchIndex,
    SearchUnavailable,
)
from server.search.models import DISPLAY_FIELDS, SearchEntryRow, SearchOutboxRow

log = logging.getLogger(__name__)

#: ``documents_for(session, product_ids)``: the search documents (``catalogue.documents``
#: dicts) of those products that are published; unpublished or unknown ids are left out.
DocumentsFor = Callable[[Session, Sequence[uuid.UUID]], list[dict[str, Any]]]

DEFAULT_BATCH = 500
#: Any 64-bit number, the same in every process: the advisory lock of a flush (PostgreSQL).
_FLUSH_LOCK_KEY = 0x5E4C_0B0F_1A5E
_MAX_ERROR_CHARS = 500


@dataclass(frozen=True)
class FlushReport:
    """What one flush did. ``error`` is set when the index was unavailable: nothing was
    lost, the rows it read stay pending (``pending`` counts every pending row afterwards)."""

    rows: int = 0  # outbox rows read
    upserted: int = 0
    deleted: int = 0
    pending: int = 0
    error: str | None = None
    invalid: tuple[str, ...] = ()  # product ids whose document the index refused
    skipped: bool = False  # another process was flushing (only with ``wait=False``)
    last_id: int = 0  # the highest outbox id read (the next batch starts after it)

    @property
    def unavailable(self) -> bool:
        return self.error is not None

    def __add__(self, other: FlushReport) -> FlushReport:
        return FlushReport(
            rows=self.rows + other.rows,
            upserted=self.upserted + other.upserted,
            deleted=self.deleted + other.deleted,
            pending=other.pending,
            error=other.error,
            invalid=self.invalid + other.invalid,
            skipped=other.skipped,
            last_id=max(self.last_id, other.last_id),
        )


@dataclass(frozen=True)
class Backlog:
    """The pending rows, as ``/ready`` and ``skolehylde search check`` report them."""

    pending: int
    oldest: datetime | None = None
    attempts: int = 0  # most attempts of any pending row
    last_error: str | None = None
    products: tuple[str, ...] = field(default=(), repr=False)  # up to 20 pending product ids

    def describe(self) -> str:
        if not self.pending:
            return "ok"
        parts = [f"{self.pending} pending"]
        if self.oldest is not None:
            oldest = self.oldest if self.oldest.tzinfo else self.oldest.replace(tzinfo=UTC)
            age = max(0, int((datetime.now(UTC) - oldest).total_seconds()))
            parts.append(f"oldest {age} s")
        if self.attempts:
            parts.append(f"{self.attempts} attempts")
        if self.last_error:
            parts.append(f"last error: {self.last_error}")
        return ", ".join(parts)


def enqueue(session: Session, product_id: uuid.UUID | str) -> None:
    """Note, in the caller's transaction, that ``product_id``'s search document changed
    (published, withdrawn, offers, reviews, tags…). No commit: it commits with the change."""
    enqueue_many(session, [product_id])


def enqueue_many(session: Session, product_ids: Iterable[uuid.UUID | str]) -> None:
    now = datetime.now(UTC)
    for product_id in dict.fromkeys(_as_uuid(p) for p in product_ids):
        session.add(SearchOutboxRow(product_id=product_id, enqueued_at=now, attempts=0))


def flush_soon() -> None:
    """After a commit: write the pending rows to the index now (in this process), or leave
    them to the retrier. Best effort: never raises (the change is committed and its outbox
    row is safe whatever happens here)."""
    from server.search.service import search_service

    try:
        search_service().flush_soon()
    except Exception:  # the request must not fail because the index did
        log.exception("search outbox: flush after commit failed; the retrier will try again")


def flush(
    session: Session,
    index: SearchIndex,
    documents_for: DocumentsFor,
    *,
    limit: int = DEFAULT_BATCH,
    after_id: int = 0,
    wait: bool = True,
) -> FlushReport:
    """Write up to ``limit`` pending rows (in id order, ids above ``after_id``) to ``index``
    and delete them; commits ``session``.

    Products ``documents_for`` does not return (no longer published) are deleted from the
    index. On ``SearchUnavailable`` the rows stay, with ``attempts`` and ``last_error``, and
    the report carries the error. A document the index refuses (``InvalidSearchDocument``, a
    bug in the catalogue) keeps its row with the error and does not hold up the others.
    With ``wait=False`` a flush already running elsewhere makes this one return at once
    (``skipped``) instead of waiting for it (PostgreSQL; SQLite always waits).
    """
    try:
        if not _serialise(session, wait=wait):
            session.rollback()
            return FlushReport(skipped=True, pending=pending_count(session))
        rows = list(
            session.scalars(
                select(SearchOutboxRow)
                .where(SearchOutboxRow.id > after_id)
                .order_by(SearchOutboxRow.id)
                .limit(limit)
            )
        )
        if not rows:
            session.commit()
            return FlushReport(pending=pending_count(session), last_id=after_id)
        last_id = rows[-1].id
        product_ids = list(dict.fromkeys(row.product_id for row in rows))
        documents: list[SearchDocument] = []
        invalid: dict[str, str] = {}
        for data in documents_for(session, product_ids):
            try:
                documents.append(SearchDocument.from_dict(data))
            except InvalidSearchDocument as error:
                invalid[str(data.get("id"))] = f"invalid search document: {error}"
        published = {doc.id for doc in documents} | set(invalid)
        gone = [str(p) for p in product_ids if str(p) not in published]
        now = datetime.now(UTC)
        try:
            index.upsert(documents)
            index.delete(gone)
        except SearchUnavailable as error:
            message = _short(str(error) or type(error).__name__)
            for row in rows:
                _note_failure(row, message, now)
            session.commit()
            log.warning("search outbox: index unavailable, %d rows kept: %s", len(rows), message)
            return FlushReport(
                rows=len(rows), pending=pending_count(session), error=message, last_id=last_id
            )
        store_entries(session, documents, gone, now)
        done = [row.id for row in rows if str(row.product_id) not in invalid]
        for row in rows:
            if str(row.product_id) in invalid:
                _note_failure(row, invalid[str(row.product_id)], now)
        if done:
            session.execute(delete(SearchOutboxRow).where(SearchOutboxRow.id.in_(done)))
        session.commit()
    except BaseException:
        session.rollback()
        raise
    for product_id, message in invalid.items():
        log.error("search outbox: product %s not indexed: %s", product_id, message)
    return FlushReport(
        rows=len(rows),
        upserted=len(documents),
        deleted=len(gone),
        pending=pending_count(session),
        invalid=tuple(sorted(invalid)),
        last_id=last_id,
    )


def flush_all(
    session: Session,
    index: SearchIndex,
    documents_for: DocumentsFor,
    *,
    batch: int = DEFAULT_BATCH,
    wait: bool = True,
) -> FlushReport:
    """Flush every row pending now, batch by batch, once each; stops at the first outage.

    Rows added while it runs are left to the next flush (the loop is bounded)."""
    ceiling = session.scalar(select(func.max(SearchOutboxRow.id))) or 0
    session.rollback()  # the read above must not hold a snapshot or a lock
    report = FlushReport()
    after = 0
    while after < ceiling:
        step = flush(session, index, documents_for, limit=batch, after_id=after, wait=wait)
        report = report + step
        if step.unavailable or step.skipped or step.rows == 0:
            break
        after = step.last_id
    return FlushReport(
        rows=report.rows,
        upserted=report.upserted,
        deleted=report.deleted,
        pending=pending_count(session),
        error=report.error,
        invalid=report.invalid,
        skipped=report.skipped,
        last_id=report.last_id,
    )


def pending_count(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(SearchOutboxRow)) or 0)


def has_backlog(session: Session) -> bool:
    return session.scalar(select(SearchOutboxRow.id).limit(1)) is not None


def backlog(session: Session) -> Backlog:
    pending, oldest, attempts = session.execute(
        select(
            func.count(),
            func.min(SearchOutboxRow.enqueued_at),
            func.max(SearchOutboxRow.attempts),
        ).select_from(SearchOutboxRow)
    ).one()
    if not pending:
        return Backlog(0)
    last_error = session.scalar(
        select(SearchOutboxRow.last_error)
        .where(SearchOutboxRow.last_error.is_not(None))
        .order_by(SearchOutboxRow.last_attempt_at.desc(), SearchOutboxRow.id.desc())
        .limit(1)
    )
    products = session.scalars(
        select(SearchOutboxRow.product_id).order_by(SearchOutboxRow.id).limit(20)
    )
    return Backlog(
        int(pending),
        oldest,
        int(attempts or 0),
        last_error,
        tuple(dict.fromkeys(str(p) for p in products)),
    )


def clear(session: Session, *, up_to_id: int | None = None) -> int:
    """Delete pending rows (``up_to_id``: those at or below it); no commit. For reindex,
    which writes every published product anyway."""
    statement = delete(SearchOutboxRow)
    if up_to_id is not None:
        statement = statement.where(SearchOutboxRow.id <= up_to_id)
    return int(session.execute(statement).rowcount or 0)  # type: ignore[attr-defined]


def max_id(session: Session) -> int:
    return int(session.scalar(select(func.max(SearchOutboxRow.id))) or 0)


def store_entries(
    session: Session,
    documents: Sequence[SearchDocument],
    gone: Sequence[str] = (),
    now: datetime | None = None,
) -> None:
    """Record what was just written to the index (``SearchEntryRow``); no commit."""
    at = now or datetime.now(UTC)
    replaced = [_as_uuid(doc.id) for doc in documents] + [_as_uuid(p) for p in gone]
    for start in range(0, len(replaced), DEFAULT_BATCH):
        part = replaced[start : start + DEFAULT_BATCH]
        session.execute(delete(SearchEntryRow).where(SearchEntryRow.product_id.in_(part)))
    if documents:
        session.execute(
            insert(SearchEntryRow),
            [
                {
                    "product_id": _as_uuid(doc.id),
                    "version": doc.version,
                    "display": {name: data[name] for name in DISPLAY_FIELDS},
                    "indexed_at": at,
                }
                for doc in documents
                for data in (doc.to_dict(),)
            ],
        )


def _serialise(session: Session, *, wait: bool) -> bool:
    """Take the flush lock for the rest of the transaction; False if busy and not ``wait``.

    PostgreSQL: a transaction-level advisory lock. SQLite: the database write lock, taken by
    a write that changes nothing (other writers wait for ``busy_timeout``)."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        if wait:
            session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _FLUSH_LOCK_KEY})
            return True
        return bool(
            session.scalar(text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": _FLUSH_LOCK_KEY})
        )
    session.execute(delete(SearchOutboxRow).where(SearchOutboxRow.id < 0))
    return True


def _note_failure(row: SearchOutboxRow, message: str, now: datetime) -> None:
    row.attempts = (row.attempts or 0) + 1
    row.last_error = message
    row.last_attempt_at = now


def _short(message: str) -> str:
    return message if len(message) <= _MAX_ERROR_CHARS else message[: _MAX_ERROR_CHARS - 1] + "…"


def _as_uuid(value: uuid.UUID | str) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
