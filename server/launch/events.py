"""Launch events off the hot path: an in-process queue, written in batches by a thread.

A launch only appends a ``LaunchEvent`` to a queue (no database work in the request). One
daemon thread per worker process writes what has gathered every ``LAUNCH_EVENTS_FLUSH_SECONDS``
(default 1 s) or as soon as ``BATCH`` events wait, in one transaction; it also records which
user a publisher's pairwise ``sub`` stands for (for the publisher's licence check) and sweeps
spent one-time tokens that have expired.

What a crash costs: events still in the queue (at most about one flush interval's worth) are
lost when the process is killed hard; a normal shutdown (gunicorn's SIGTERM, interpreter exit)
flushes them (``atexit``). A lost event under-counts use a little; it never invents one, and an
event is only queued as ``success`` after the launch's message has been signed and sent. A
failed batch write is retried on the next flush (the queue keeps the events) and logged.

The thread is started lazily in the process that records (gunicorn forks workers after the
app is built, and threads do not survive a fork).
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
import time
import uuid
from collections import Counter, deque
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, select, update

log = logging.getLogger(__name__)
BATCH = 500
_EXTENSION = "skolehylde.launch_events"


@dataclass(frozen=True, slots=True)
class LaunchEvent:
    at: datetime
    product_id: uuid.UUID
    publisher_id: uuid.UUID
    school_id: uuid.UUID | None
    municipality_code: str | None
    class_id: uuid.UUID | None
    role: str
    pseudonym: str
    kind: str  # "lti" | "url"
    outcome: str  # "success" | "failed"
    reason: str | None = None
    #: the publisher's pairwise sub and whom it stands for (kept in publisher_subjects only)
    publisher_sub: str | None = None
    user_id: uuid.UUID | None = None
    #: a launch under a trial: the trial's launch count goes up (purchasing reads it)
    trial_id: uuid.UUID | None = None


class LaunchEventRecorder:
    """The queue and its writer thread (one per worker process)."""

    def __init__(self, app: Any, interval: float) -> None:
        self._app = app
        self._interval = interval
        self._queue: deque[LaunchEvent] = deque()
        self._wake = threading.Event()
        self._lock = threading.Lock()  # one flush at a time
        self._pid: int | None = None
        self._stopped = False
        self._swept = 0.0
        #: tests flush by hand (no thread writing under them)
        self._threaded = not app.config.get("TESTING")

    def record(self, event: LaunchEvent) -> None:
        self._queue.append(event)
        self._ensure_thread()
        if len(self._queue) >= BATCH:
            self._wake.set()

    def pending(self) -> int:
        return len(self._queue)

    def _ensure_thread(self) -> None:
        if self._pid == os.getpid() or not self._threaded:
            return
        with self._lock:
            if self._pid == os.getpid():
                return
            self._pid = os.getpid()
            thread = threading.Thread(target=self._run, name="launch-events", daemon=True)
            thread.start()
            atexit.register(self.flush)

    def _run(self) -> None:
        while not self._stopped:
            self._wake.wait(self._interval)
            self._wake.clear()
            try:
                self.flush()
            except Exception:
                log.exception("writing launch events failed; they stay queued")

    def flush(self) -> int:
        """Write every queued event now (tests and shutdown call this); returns how many."""
        with self._lock:
            batch: list[LaunchEvent] = []
            while self._queue and len(batch) < 10 * BATCH:
                batch.append(self._queue.popleft())
            if not batch:
                self._sweep()
                return 0
            try:
                with self._app.app_context():
                    _write(batch)
            except Exception:
                self._queue.extendleft(reversed(batch))
                raise
            self._sweep()
            return len(batch)

    def _sweep(self) -> None:
        """Forget spent tokens that have expired anyway (at most once a minute)."""
        from server.extensions import db
        from server.launch.models import SpentTokenRow

        if time.monotonic() - self._swept < 60:
            return
        self._swept = time.monotonic()

        with self._app.app_context():
            session = db.session()
            session.execute(
                delete(SpentTokenRow).where(SpentTokenRow.expires_at < datetime.now(UTC))
            )
            session.commit()
            db.session.remove()


def _write(batch: list[LaunchEvent]) -> None:
    from server.extensions import db
    from server.launch.models import LaunchEventRow, PublisherSubjectRow
    from server.licensing.models import TrialRow

    session = db.session()
    try:
        session.add_all(
            LaunchEventRow(
                id=uuid.uuid4(),
                at=event.at,
                product_id=event.product_id,
                publisher_id=event.publisher_id,
                school_id=event.school_id,
                municipality_code=event.municipality_code,
                class_id=event.class_id,
                role=event.role,
                pseudonym=event.pseudonym,
                kind=event.kind,
                outcome=event.outcome,
                reason=event.reason,
            )
            for event in batch
        )
        subjects = {
            (event.publisher_id, event.publisher_sub): event.user_id
            for event in batch
            if event.publisher_sub and event.user_id
        }
        known = set()
        if subjects:
            known = {
                (row.publisher_id, row.sub)
                for row in session.scalars(
                    select(PublisherSubjectRow).where(
                        PublisherSubjectRow.sub.in_([sub for _, sub in subjects])
                    )
                )
            }
        session.add_all(
            PublisherSubjectRow(publisher_id=publisher_id, sub=sub, user_id=user_id)
            for (publisher_id, sub), user_id in subjects.items()
            if (publisher_id, sub) not in known
        )
        trials = Counter(e.trial_id for e in batch if e.trial_id and e.outcome == "success")
        for trial_id, launches in sorted(trials.items()):
            session.execute(
                update(TrialRow)
                .where(TrialRow.id == trial_id)
                .values(launches=TrialRow.launches + launches)
            )
        session.commit()
    finally:
        db.session.remove()


def init_app(app: Any) -> LaunchEventRecorder:
    recorder = LaunchEventRecorder(app, float(app.config.get("LAUNCH_EVENTS_FLUSH_SECONDS", 1.0)))
    app.extensions[_EXTENSION] = recorder
    return recorder


def recorder_of(app: Any) -> LaunchEventRecorder:
    recorder: LaunchEventRecorder = app.extensions[_EXTENSION]
    return recorder
