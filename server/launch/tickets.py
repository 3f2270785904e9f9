"""Short-lived signed tokens that carry a launch from one step to the next (no Flask).

A launch crosses three requests that may come from different clients: the app asks for a
launch (bearer token), the system browser opens the one-time URL (no bearer token), and the
tool sends the browser to our authorization endpoint. Each step hands the next a token signed
with the app's secret (HMAC, ``itsdangerous``): the signature proves we issued it and binds it
to the user, product and class, and its ``jti`` is spent in ``spent_tokens`` by the step that
uses it, so a copied URL works once. Nothing is written when a token is issued.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

TICKET_TTL = timedelta(minutes=2)  # the one-time URL the app opens
HINT_TTL = timedelta(minutes=5)  # the lti_message_hint, from our page to our authorization
DEEP_LINK_TTL = timedelta(minutes=30)  # a teacher may browse the tool before picking


class TokenRefused(Exception):
    """A token that is not ours, altered, for another purpose, or too old."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason  # "invalid" | "expired"


@dataclass(frozen=True, slots=True)
class Ticket:
    """What the one-time URL ``/launch/<token>`` stands for."""

    jti: str
    user_id: uuid.UUID
    product_id: uuid.UUID
    class_id: uuid.UUID | None
    assignment_id: uuid.UUID | None
    mode: str  # "launch" (resource link or signed URL) | "select" (deep linking)
    role: str  # the user's role in the class when the launch was asked for
    expires_at: datetime
    trial_id: uuid.UUID | None = None  # the launch is a trial's (its launches are counted)


def new_jti() -> str:
    return secrets.token_urlsafe(18)


def _serializer(secret: str, purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt=f"skolehylde.launch.{purpose}")


def sign(secret: str, purpose: str, payload: dict[str, Any]) -> str:
    return str(_serializer(secret, purpose).dumps(payload))


def unsign(secret: str, purpose: str, token: str, max_age: timedelta) -> dict[str, Any]:
    try:
        payload = _serializer(secret, purpose).loads(token, max_age=int(max_age.total_seconds()))
    except SignatureExpired as error:
        raise TokenRefused("expired") from error
    except BadSignature as error:
        raise TokenRefused("invalid") from error
    if not isinstance(payload, dict) or not isinstance(payload.get("jti"), str):
        raise TokenRefused("invalid")
    return payload


def issue_ticket(
    secret: str,
    *,
    user_id: uuid.UUID,
    product_id: uuid.UUID,
    class_id: uuid.UUID | None,
    assignment_id: uuid.UUID | None,
    mode: str,
    role: str,
    now: datetime,
    trial_id: uuid.UUID | None = None,
) -> tuple[str, Ticket]:
    ticket = Ticket(
        new_jti(),
        user_id,
        product_id,
        class_id,
        assignment_id,
        mode,
        role,
        now + TICKET_TTL,
        trial_id,
    )
    token = sign(
        secret,
        "ticket",
        {
            "jti": ticket.jti,
            "u": str(user_id),
            "p": str(product_id),
            "c": str(class_id) if class_id else None,
            "a": str(assignment_id) if assignment_id else None,
            "m": mode,
            "r": role,
            "t": str(trial_id) if trial_id else None,
        },
    )
    return token, ticket


def read_ticket(secret: str, token: str, *, now: datetime) -> Ticket:
    payload = unsign(secret, "ticket", token, TICKET_TTL)
    try:
        return Ticket(
            jti=payload["jti"],
            user_id=uuid.UUID(payload["u"]),
            product_id=uuid.UUID(payload["p"]),
            class_id=uuid.UUID(payload["c"]) if payload.get("c") else None,
            assignment_id=uuid.UUID(payload["a"]) if payload.get("a") else None,
            mode=str(payload["m"]),
            role=str(payload["r"]),
            trial_id=uuid.UUID(payload["t"]) if payload.get("t") else None,
            expires_at=now + TICKET_TTL,  # an upper bound: it was issued before now
        )
    except (KeyError, ValueError, TypeError) as error:
        raise TokenRefused("invalid") from error
