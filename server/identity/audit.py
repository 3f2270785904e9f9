"""The security audit log: one call, ``record``, used by every sign-in method and role change.

Entries are added to the caller's session and commit with the caller's transaction; a
failure that rolls back its work records its audit entry in a transaction of its own
(``record_now``), so refused attempts are never lost.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from server.identity.models import AuditEventRow

EVENTS = frozenset(
    {
        "sign_in",
        "sign_in_failed",
        "account_locked",
        "sign_out",
        "token_issued",
        "token_refused",
        "token_revoked",
        "refresh_token_reused",
        "role_changed",
        "badge_issued",
        "badge_revoked",
        "roster_imported",
        "school_year_rolled_over",
        "client_created",
    }
)


def record(
    session: Session,
    event: str,
    outcome: str,
    *,
    actor_user_id: uuid.UUID | None = None,
    subject_user_id: uuid.UUID | None = None,
    client_id: str | None = None,
    school_id: uuid.UUID | None = None,
    municipality_code: str | None = None,
    detail: dict[str, Any] | None = None,
) -> AuditEventRow:
    if event not in EVENTS:
        raise ValueError(f"unknown audit event {event!r}")
    if outcome not in {"success", "failure"}:
        raise ValueError(f"outcome must be success or failure, not {outcome!r}")
    row = AuditEventRow(
        id=uuid.uuid4(),
        at=datetime.now(UTC),
        event=event,
        outcome=outcome,
        actor_user_id=actor_user_id,
        subject_user_id=subject_user_id,
        client_id=client_id,
        school_id=school_id,
        municipality_code=municipality_code,
        detail=detail or {},
    )
    session.add(row)
    return row


def record_now(session_factory: Any, event: str, outcome: str, **fields: Any) -> None:
    """Record in a separate, immediately committed transaction (for refused requests)."""
    with session_factory() as own:
        record(own, event, outcome, **fields)
        own.commit()
