"""The errors purchasing, budgets and licences answer with (Danish message first)."""

from __future__ import annotations

from server.errors import ApiError, Unprocessable


class InsufficientBudget(ApiError):
    status_code = 409
    code = "insufficient_budget"


class StateConflict(ApiError):
    status_code = 409
    code = "state_conflict"


class IdempotencyKeyReused(ApiError):
    status_code = 422
    code = "idempotency_key_reused"


class BadWebhook(ApiError):
    """A webhook whose signature does not verify is refused like a bad credential."""

    status_code = 403
    code = "invalid_webhook"


class PaymentProviderError(ApiError):
    status_code = 502
    code = "payment_failed"


class PaymentProviderUnavailable(ApiError):
    status_code = 503
    code = "payment_unavailable"


def invalid(field: str, message: str, danish: str | None = None) -> Unprocessable:
    """A 422 about one field of the JSON body."""
    return Unprocessable(
        danish or "Indholdet er ikke gyldigt; se details.",
        details={"json": {field: [message]}},
    )
