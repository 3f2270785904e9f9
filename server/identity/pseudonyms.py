"""Pairwise pseudonymous subject ids: one per user *and* publisher.

A publisher sees the same id for the same pupil every time, and cannot match it with the id
another publisher sees. Derived with HMAC-SHA256 under ``PSEUDONYM_KEY`` (from the
environment), so nothing has to be stored and nobody without the key can reverse it.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid


def pairwise_subject(key: bytes, user_id: uuid.UUID, publisher_id: uuid.UUID) -> str:
    digest = hmac.new(key, f"{publisher_id}:{user_id}".encode(), hashlib.sha256).digest()
    return str(uuid.UUID(bytes=digest[:16], version=4))
