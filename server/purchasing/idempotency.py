"""``Idempotency-Key`` for the POSTs that move money (approve, pay, cancel, allocate, …).

The first successful answer to a (principal, key) is stored with a SHA-256 of the method,
path and body. The same key and body again get the stored answer (header
``Idempotent-Replayed: true``) and the operation does not run; the same key with another
body or path is refused with 422 ``idempotency_key_reused``. Errors are not stored: a
refused request changed nothing, so a retry with the same key may run. Without the header
the request runs as usual (the operations refuse a second approval or cancellation anyway).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from flask import Response, jsonify, request
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from server.identity.principal import Principal
from server.purchasing.errors import IdempotencyKeyReused
from server.purchasing.models import IdempotencyKeyRow


def principal_key(principal: Principal) -> str:
    if principal.user_id is not None:
        return f"user:{principal.user_id}"
    return f"client:{principal.client_id}"


def request_hash() -> str:
    digest = hashlib.sha256()
    digest.update(request.method.encode())
    digest.update(b"\0")
    digest.update(request.path.encode())
    digest.update(b"\0")
    digest.update(request.get_data(cache=True))
    return digest.hexdigest()


def _replay(row: IdempotencyKeyRow, fingerprint: str) -> Response:
    if row.request_hash != fingerprint:
        raise IdempotencyKeyReused(
            "Idempotency-Key er allerede brugt til en anden forespørgsel.",
            details={"en": "This Idempotency-Key was used with another request body or path;"
                     " use a new key for a new request."},
        )  # fmt: skip
    response = jsonify(row.response)
    response.status_code = row.status_code
    response.headers["Idempotent-Replayed"] = "true"
    return response


def idempotent(
    session: Session,
    principal: Principal,
    key: str | None,
    run: Callable[[], tuple[dict[str, Any], int]],
) -> Response:
    """Answer with ``run()`` (a JSON-ready body and a status) once per key."""
    if key is None:
        body, status = run()
        response = jsonify(body)
        response.status_code = status
        return response
    owner = principal_key(principal)
    fingerprint = request_hash()
    stored = session.get(IdempotencyKeyRow, (owner, key))
    if stored is not None:
        return _replay(stored, fingerprint)
    body, status = run()
    session.add(
        IdempotencyKeyRow(
            principal=owner, key=key, request_hash=fingerprint, status_code=status,
            response=body, created_at=datetime.now(UTC),
        )
    )  # fmt: skip
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        stored = session.get(IdempotencyKeyRow, (owner, key))
        if stored is not None:
            return _replay(stored, fingerprint)
        raise
    response = jsonify(body)
    response.status_code = status
    return response
