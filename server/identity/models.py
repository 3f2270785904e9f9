"""Sign-in material and the security audit log.

Secrets are never stored in the clear: passwords as argon2id hashes, badge codes as SHA-256
digests (they are long random tokens, so a fast hash is enough and lets us look them up).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from server.extensions import db


class PasswordCredentialRow(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "password_credentials"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    password_hash: Mapped[str] = mapped_column(String(200))
    failed_attempts: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class BadgeRow(db.Model):  # type: ignore[name-defined,misc]
    """A QR badge that signs one pupil in on a shared tablet. Revoked badges stay, for audit."""

    __tablename__ = "badges"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    issued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    issued_by: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class AuditEventRow(db.Model):  # type: ignore[name-defined,misc]
    """A security event: who did what to whom, from which client, with what outcome."""

    __tablename__ = "audit_events"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    #: e.g. "sign_in", "sign_in_failed", "account_locked", "role_changed", "badge_issued"
    event: Mapped[str] = mapped_column(String(60), index=True)
    outcome: Mapped[str] = mapped_column(String(20))  # "success" | "failure"
    actor_user_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    subject_user_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    client_id: Mapped[str | None] = mapped_column(String(100))
    school_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    municipality_code: Mapped[str | None] = mapped_column(String(3))
    #: Login name tried, method, reason: never a password, token or badge code.
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
