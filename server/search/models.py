"""The search outbox (products whose search document must be (re)written to the index) and
the search entries (what the index holds of each product, for showing hits).

A row is added in the same transaction as the catalogue change that makes it necessary
(``server.search.outbox.enqueue``), so a committed change always has its row, whatever the
index is doing. A flush deletes the rows it has written to the index; a row that could not be
written stays, with ``attempts`` and ``last_error``, until a later flush succeeds.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, DateTime, Integer, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from server.extensions import db

#: SQLite only autoincrements an INTEGER PRIMARY KEY; PostgreSQL gets a bigint identity.
_ROW_ID = BigInteger().with_variant(Integer(), "sqlite")


class SearchOutboxRow(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "search_outbox"

    #: Flush order: the order the changes were committed in (near enough: ids are taken at
    #: insert, commits may land in another order; every flush reads the current documents, so
    #: the order only matters for fairness).
    id: Mapped[int] = mapped_column(_ROW_ID, primary_key=True, autoincrement=True)
    product_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    enqueued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_attempt_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str | None] = mapped_column(String(500))


class SearchEntryRow(db.Model):  # type: ignore[name-defined,misc]
    """What the index holds of a product, for showing a hit: the display fields of the search
    document it was last written with (``DISPLAY_FIELDS``).

    Written in the flush (or reindex) that writes the index, so a search turns its hits into
    result items with one primary-key read instead of rebuilding documents from the catalogue
    (which validates every listing: ~8 ms for 20 hits). It is derived data, exactly as fresh
    as the index; ``skolehylde search reindex`` rebuilds it with the index.
    """

    __tablename__ = "search_entries"

    product_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    version: Mapped[int] = mapped_column(Integer)
    display: Mapped[dict[str, Any]] = mapped_column(JSON)
    indexed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


#: The search-document fields a result item shows (``server.search.views``).
DISPLAY_FIELDS = (
    "id",
    "title",
    "publisher_id",
    "publisher_name",
    "subjects",
    "grades",
    "languages",
    "media_types",
    "platforms",
    "accessibility",
    "licence_types",
    "min_price_ore",
    "price_band",
    "has_trial",
    "offline",
    "rating_mean",
    "rating_count",
    "published_at",
    "version",
)
