"""The HTTP client of the app: one method per endpoint, typed errors with a Danish message.

Every failure the network or the server can produce becomes an ``ApiError`` subclass whose
``message`` is Danish and fit to show: the server's own message when it sent our error JSON
(``{"error": {"code", "message", "details"}}``), otherwise one of ours. Nothing else escapes,
so a screen never shows a traceback. The transport is a small port so tests can put the
Flask test client where ``requests`` would be.
"""

from __future__ import annotations

import contextlib
import json
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import requests

from mobile.i18n import translator

DEFAULT_TIMEOUT = (3.05, 10.0)  # connect, read (seconds): flaky school Wi-Fi, not forever

Params = Mapping[str, Any] | Sequence[tuple[str, Any]]


@dataclass(frozen=True, slots=True)
class Response:
    status: int
    headers: Mapping[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body.decode("utf-8")) if self.body else None


class Transport(Protocol):
    def __call__(
        self,
        method: str,
        url: str,
        *,
        params: Params | None,
        json_body: Any,
        form: Mapping[str, str] | None,
        headers: Mapping[str, str],
        timeout: tuple[float, float],
    ) -> Response: ...


class ApiError(Exception):
    """Something went wrong; ``message`` is for the user (Danish), ``code`` for the program."""

    retryable = False

    def __init__(
        self, message: str, *, code: str = "error", status: int | None = None, details: Any = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status
        self.details = details if details is not None else {}


class Offline(ApiError):
    """No connection to the server (down, no network, DNS)."""

    retryable = True


class TimedOut(ApiError):
    retryable = True


class SignInRequired(ApiError):
    """401 after one refresh (or no refresh token): back to the sign-in screen."""


class Forbidden(ApiError):
    pass


class NotFoundError(ApiError):
    pass


class Rejected(ApiError):
    """A 4xx the user can act on (validation, conflict, not entitled)."""


class ServerError(ApiError):
    retryable = True


def requests_transport(session: requests.Session | None = None) -> Transport:
    """The real transport: ``requests`` with timeouts; its exceptions become ours."""
    http = session or requests.Session()

    def send(
        method: str,
        url: str,
        *,
        params: Params | None,
        json_body: Any,
        form: Mapping[str, str] | None,
        headers: Mapping[str, str],
        timeout: tuple[float, float],
    ) -> Response:
        try:
            answer = http.request(
                method,
                url,
                params=params,
                json=json_body,
                data=form,
                headers=dict(headers),
                timeout=timeout,
                allow_redirects=False,
            )
        except requests.Timeout:
            raise TimedOut(translator.t("err_timeout"), code="timeout") from None
        except requests.ConnectionError:
            raise Offline(translator.t("err_offline"), code="offline") from None
        except requests.RequestException:
            raise Offline(translator.t("err_offline"), code="offline") from None
        return Response(answer.status_code, dict(answer.headers), answer.content)

    return send


# Our messages for error codes whose server text is English or too technical.
_CODE_MESSAGES = {
    "search_unavailable": "err_search_unavailable",
    "too_many_requests": "err_rate_limited",
    "internal_error": "err_server",
    "unavailable": "err_server",
    "goal_not_found": "err_not_found",
    "framework_not_found": "err_not_found",
    "not_found": "err_not_found",
    "forbidden": "err_forbidden",
}


def error_from_response(response: Response) -> ApiError:
    """Map a 4xx/5xx answer to one of our exceptions, with a Danish message."""
    code, message, details = f"http_{response.status}", "", None
    try:
        body = response.json()
    except (ValueError, UnicodeDecodeError):
        body = None
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        error = body["error"]
        code = str(error.get("code") or code)
        message = str(error.get("message") or "")
        details = error.get("details")
    elif isinstance(body, dict) and "error" in body:  # OAuth token endpoint (RFC 6749)
        code = str(body["error"])
        message = ""
    key = _CODE_MESSAGES.get(code)
    status = response.status
    if status == 401:
        return SignInRequired(translator.t("err_signed_out"), code=code, status=status)
    if key is not None and (status >= 500 or not _looks_danish(message)):
        message = translator.t(key)
    if status >= 500:
        return ServerError(message or translator.t("err_server"), code=code, status=status)
    if not message or not _looks_danish(message):
        message = translator.t("err_rejected") if status != 404 else translator.t("err_not_found")
    if status == 403:
        return Forbidden(message, code=code, status=status, details=details)
    if status == 404:
        return NotFoundError(message, code=code, status=status, details=details)
    return Rejected(message, code=code, status=status, details=details)


_DANISH_HINTS = ("æ", "ø", "å", " ikke ", " kan ", " skal ", " er ", " har ", " du ", " din ")


def _looks_danish(text: str) -> bool:
    """The server writes Danish messages; a few old ones are English (then we use ours)."""
    padded = f" {text.lower()} "
    return any(hint in padded for hint in _DANISH_HINTS)


@dataclass
class Tokens:
    access_token: str
    refresh_token: str | None = None
    expires_in: int | None = None
    scope: str = ""
    method: str = ""

    @classmethod
    def from_token_response(cls, body: Mapping[str, Any], method: str) -> Tokens:
        return cls(
            access_token=str(body["access_token"]),
            refresh_token=body.get("refresh_token"),
            expires_in=body.get("expires_in"),
            scope=str(body.get("scope", "")),
            method=method,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "access_token": self.access_token,
            "refresh_token": self.refresh_token,
            "expires_in": self.expires_in,
            "scope": self.scope,
            "method": self.method,
        }


@dataclass
class ApiClient:
    """Talks to one Skolehylde server. ``tokens`` is the signed-in session (or None).

    A 401 on a signed-in call refreshes the tokens once (``refresh_token`` grant) and repeats
    the call; a second 401, or a refresh that fails, raises ``SignInRequired`` and calls
    ``on_signed_out`` so the app can go back to the sign-in screen.
    """

    base_url: str
    transport: Transport = field(default_factory=requests_transport)
    client_id: str = "skolehylde-app"
    timeout: tuple[float, float] = DEFAULT_TIMEOUT
    tokens: Tokens | None = None
    on_tokens: Callable[[Tokens | None], None] = lambda tokens: None
    on_signed_out: Callable[[], None] = lambda: None
    lang: Callable[[], str] = lambda: translator.lang

    # -- plumbing ---------------------------------------------------------------------------

    def url(self, path: str) -> str:
        return self.base_url.rstrip("/") + path

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Params | None = None,
        json_body: Any = None,
        headers: Mapping[str, str] | None = None,
        auth: bool = True,
    ) -> Any:
        response = self._send(method, path, params, json_body, headers, auth)
        if response.status == 401 and auth and self.tokens is not None:
            if self._refresh():
                response = self._send(method, path, params, json_body, headers, auth)
            if response.status == 401:
                self.forget_tokens()
                self.on_signed_out()
        if response.status >= 400:
            raise error_from_response(response)
        try:
            return response.json()
        except (ValueError, UnicodeDecodeError):
            raise ServerError(translator.t("err_server"), code="bad_json") from None

    def raw(self, path: str) -> bytes:
        """A binary resource (a screenshot, a chart) with the same error handling."""
        response = self._send("GET", path, None, None, None, True)
        if response.status >= 400:
            raise error_from_response(response)
        return response.body

    def _send(
        self,
        method: str,
        path: str,
        params: Params | None,
        json_body: Any,
        headers: Mapping[str, str] | None,
        auth: bool,
    ) -> Response:
        sent = {"Accept": "application/json", "Accept-Language": self.lang(), **(headers or {})}
        if auth and self.tokens is not None:
            sent["Authorization"] = f"Bearer {self.tokens.access_token}"
        return self.transport(
            method,
            self.url(path),
            params=params,
            json_body=json_body,
            form=None,
            headers=sent,
            timeout=self.timeout,
        )

    def token_request(self, form: Mapping[str, str], method: str) -> Tokens:
        """``POST /oauth/token`` as a public client; a refusal is ``SignInRequired``."""
        response = self.transport(
            "POST",
            self.url("/oauth/token"),
            params=None,
            json_body=None,
            form={**form, "client_id": self.client_id},
            headers={"Accept": "application/json"},
            timeout=self.timeout,
        )
        if response.status in (400, 401):
            body = response.json() if response.body else {}
            code = str(body.get("error", "invalid_grant")) if isinstance(body, dict) else ""
            raise SignInRequired(translator.t("err_sign_in_refused"), code=code, status=400)
        if response.status >= 400:
            raise error_from_response(response)
        tokens = Tokens.from_token_response(response.json(), method)
        self.set_tokens(tokens)
        return tokens

    def set_tokens(self, tokens: Tokens | None) -> None:
        self.tokens = tokens
        self.on_tokens(tokens)

    def forget_tokens(self) -> None:
        self.set_tokens(None)

    def _refresh(self) -> bool:
        tokens = self.tokens
        if tokens is None or not tokens.refresh_token:
            return False
        try:
            self.token_request(
                {"grant_type": "refresh_token", "refresh_token": tokens.refresh_token},
                tokens.method,
            )
        except SignInRequired:
            return False
        return True

    def revoke(self, tokens: Tokens | None = None) -> None:
        """Revoke the refresh token (and with it the session) at the server; forget both.
        ``tokens``: the ones to revoke when the client has already let go of them."""
        if tokens is None:
            tokens = self.tokens
            self.forget_tokens()
        if tokens is None:
            return
        for token, hint in ((tokens.refresh_token, "refresh_token"), (tokens.access_token, "")):
            if not token:
                continue
            form = {"token": token, "client_id": self.client_id}
            if hint:
                form["token_type_hint"] = hint
            # offline: the tokens are forgotten here anyway; the access token expires soon
            with contextlib.suppress(ApiError):
                self.transport(
                    "POST",
                    self.url("/oauth/revoke"),
                    params=None,
                    json_body=None,
                    form=form,
                    headers={"Accept": "application/json"},
                    timeout=self.timeout,
                )

    # -- endpoints --------------------------------------------------------------------------

    def health(self) -> bool:
        self.request("GET", "/health", auth=False)
        return True

    def me(self) -> dict[str, Any]:
        return dict(self.request("GET", "/api/v1/me"))

    def search_products(self, params: Params) -> dict[str, Any]:
        return dict(self.request("GET", "/api/v1/products", params=params))

    def product(self, product_id: str) -> dict[str, Any]:
        return dict(self.request("GET", f"/api/v1/products/{product_id}"))

    def frameworks(self) -> list[dict[str, Any]]:
        return list(self.request("GET", "/api/v1/frameworks", auth=False)["items"])

    def framework_tree(self, framework_id: str) -> dict[str, Any]:
        return dict(self.request("GET", f"/api/v1/frameworks/{framework_id}", auth=False))

    def goal(self, goal_id: str) -> dict[str, Any]:
        return dict(self.request("GET", f"/api/v1/goals/{goal_id}", auth=False))

    def my_materials(self) -> list[dict[str, Any]]:
        return list(self.request("GET", "/api/v1/me/materials")["items"])

    def my_assignments(self) -> list[dict[str, Any]]:
        return list(self.request("GET", "/api/v1/me/assignments")["items"])

    def launch(
        self,
        product_id: str,
        *,
        school_class_id: str | None = None,
        assignment_id: str | None = None,
        select_content: bool = False,
    ) -> dict[str, Any]:
        """A one-time URL to open in the system browser. ``select_content``: a teacher picks
        a lesson in the tool (LTI Deep Linking) and the pick becomes the class's assignment."""
        body: dict[str, Any] = {"product_id": product_id}
        if school_class_id:
            body["school_class_id"] = school_class_id
        if assignment_id:
            body["assignment_id"] = assignment_id
        if select_content:
            body["select_content"] = True
        return dict(self.request("POST", "/api/v1/launches", json_body=body))

    def start_trial(self, product_id: str, school_class_id: str) -> dict[str, Any]:
        body = {"product_id": product_id, "school_class_id": school_class_id}
        return dict(self.request("POST", "/api/v1/trials", json_body=body))

    def request_purchase(self, body: Mapping[str, Any]) -> dict[str, Any]:
        return dict(
            self.request(
                "POST",
                "/api/v1/purchase-requests",
                json_body=dict(body),
                headers={"Idempotency-Key": str(uuid.uuid4())},
            )
        )

    def purchase_requests(self, status: str = "pending") -> list[dict[str, Any]]:
        answer = self.request("GET", "/api/v1/purchase-requests", params={"status": status})
        return list(answer["items"])

    def decide_purchase(
        self, request_id: str, approve: bool, reason: str = "", idempotency_key: str = ""
    ) -> dict[str, Any]:
        action = "approve" if approve else "reject"
        return dict(
            self.request(
                "POST",
                f"/api/v1/purchase-requests/{request_id}/{action}",
                json_body={} if approve else {"reason": reason},
                headers={"Idempotency-Key": idempotency_key or str(uuid.uuid4())},
            )
        )

    def school_budget(self, school_id: str) -> dict[str, Any]:
        return dict(self.request("GET", f"/api/v1/schools/{school_id}/budget"))

    def municipality_budget(self, code: str) -> dict[str, Any]:
        return dict(self.request("GET", f"/api/v1/municipalities/{code}/budget"))

    def review(self, product_id: str, rating: int, text: str) -> dict[str, Any]:
        body = {"rating": rating, "text": text}
        return dict(self.request("POST", f"/api/v1/products/{product_id}/reviews", json_body=body))

    def school_classes(self, school_id: str) -> list[dict[str, Any]]:
        return list(self.request("GET", f"/api/v1/schools/{school_id}/classes")["items"])
