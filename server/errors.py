"""One error format for the whole API, and the one place domain errors become HTTP answers.

JSON API: ``{"error": {"code", "message", "details"}}``. The CASE provider answers with the
CASE ``imsx_StatusInfo`` body instead, as CASE clients expect.
"""

from __future__ import annotations

from typing import Any

from apiflask import APIFlask, HTTPError
from flask import request
from marshmallow import Schema, fields

from learning_goals.model import GoalFrameworkError

CASE_PREFIX = "/ims/case/"

_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "too_many_requests",
    500: "internal_error",
    503: "unavailable",
}
_CASE_MINOR = {400: "invalid_data", 404: "unknownobject", 405: "invalid_data", 422: "invalid_data"}


class ApiError(HTTPError):
    """An error a view or operation raises on purpose; ``code`` is stable for clients."""

    status_code = 400
    code = "bad_request"

    def __init__(self, message: str, *, code: str | None = None, details: Any = None) -> None:
        super().__init__(
            self.status_code,
            message,
            detail=details if details is not None else {},
            extra_data={"code": code or self.code},
        )


class NotFound(ApiError):
    status_code = 404
    code = "not_found"


class Conflict(ApiError):
    status_code = 409
    code = "conflict"


class Unprocessable(ApiError):
    """Input that is well-formed but breaks a rule of the domain (a field named in details)."""

    status_code = 422
    code = "validation_error"


class ErrorBody(Schema):
    code = fields.String(required=True, metadata={"example": "not_found"})
    message = fields.String(required=True)
    details = fields.Raw(required=True, metadata={"description": "Field-level details, or {}"})


class ErrorResponse(Schema):
    error = fields.Nested(ErrorBody, required=True)


def error_body(status: int, message: str, details: Any = None, code: str | None = None) -> Any:
    return {
        "error": {
            "code": code or _CODES.get(status, "error"),
            "message": message,
            "details": details if details is not None else {},
        }
    }


def case_error_body(status: int, message: str) -> dict[str, Any]:
    """The CASE 1.0 ``imsx_StatusInfo`` error payload."""
    return {
        "imsx_codeMajor": "failure",
        "imsx_severity": "error",
        "imsx_description": message,
        "imsx_codeMinor": {
            "imsx_codeMinorField": [
                {
                    "imsx_codeMinorFieldName": "sourcedId",
                    "imsx_codeMinorFieldValue": _CASE_MINOR.get(status, "server_error"),
                }
            ]
        },
    }


def register_error_handlers(app: APIFlask) -> None:
    app.config["HTTP_ERROR_SCHEMA"] = ErrorResponse
    app.config["VALIDATION_ERROR_SCHEMA"] = ErrorResponse

    @app.error_processor
    def _format(error: HTTPError) -> tuple[Any, int, Any]:
        status = error.status_code
        message = error.message or "Error"
        if request.path.startswith(CASE_PREFIX):
            return case_error_body(status, message), status, error.headers
        code = (error.extra_data or {}).get("code")
        details = error.detail if error.detail else {}
        if status == 422 and not code:
            message = "The request is not valid; see details for each field."
        return error_body(status, message, details, code), status, error.headers

    @app.errorhandler(GoalFrameworkError)
    def _framework_error(error: GoalFrameworkError) -> Any:
        return _format(
            ApiError(error.message, code="invalid_framework", details={"where": error.where})
        )
