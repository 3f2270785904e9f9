"""The HTTP client: errors become typed exceptions with a Danish message; 401 refreshes once."""

from __future__ import annotations

import kivyenv  # noqa: F401  # Kivy headless, before anything imports it

# isort: split

import socket
import threading
from collections.abc import Iterator

import pytest

from app_fakes import FakeTransport, answer, error_answer, fake_api
from mobile import api as api_module
from mobile.api import (
    ApiClient,
    Forbidden,
    NotFoundError,
    Offline,
    Rejected,
    ServerError,
    SignInRequired,
    TimedOut,
    Tokens,
    requests_transport,
)
from mobile.i18n import translator
from mobile.money import format_kr


@pytest.fixture(autouse=True)
def danish() -> None:
    translator.lang = "da"


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A loopback port that accepts connections and never answers (a hanging server)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield listener.getsockname()[1]
    stop.set()
    thread.join(2)
    for conn in accepted:
        conn.close()
    listener.close()


def closed_port() -> int:
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    return port


def test_server_down_is_offline_with_a_danish_message() -> None:
    client = ApiClient(f"http://127.0.0.1:{closed_port()}", transport=requests_transport())
    with pytest.raises(Offline) as caught:
        client.health()
    assert caught.value.message == (
        "Ingen forbindelse til Skolehylde. Tjek netværket og prøv igen."
    )
    assert caught.value.retryable is True


def test_a_server_that_does_not_answer_times_out(silent_port: int) -> None:
    client = ApiClient(
        f"http://127.0.0.1:{silent_port}", transport=requests_transport(), timeout=(1.0, 0.3)
    )
    with pytest.raises(TimedOut) as caught:
        client.health()
    assert caught.value.message == "Skolehylde svarer ikke lige nu. Prøv igen om lidt."


@pytest.mark.parametrize(
    ("status", "code", "message", "kind", "shown"),
    [
        (409, "conflict", "Du har allerede anmeldt materialet.", Rejected,
         "Du har allerede anmeldt materialet."),
        (403, "not_entitled", "Din skole har ikke licens til materialet.", Forbidden,
         "Din skole har ikke licens til materialet."),
        (404, "goal_not_found", "No goal with id 1.", NotFoundError,
         "Det findes ikke (længere)."),
        (422, "validation_error", "Validation error", Rejected,
         "Det kunne ikke lade sig gøre. Tjek det indtastede."),
        (503, "search_unavailable", "Search is unavailable right now; please try again shortly.",
         ServerError, "Søgningen er ikke tilgængelig lige nu. Prøv igen om lidt."),
        (500, "internal_error", "Internal Server Error", ServerError,
         "Der skete en fejl hos Skolehylde. Prøv igen om lidt."),
    ],
)  # fmt: skip
def test_error_json_becomes_a_typed_error_with_a_danish_message(
    status: int, code: str, message: str, kind: type, shown: str
) -> None:
    transport = FakeTransport()
    transport.on("GET", "/api/v1/me", error_answer(status, code, message))
    with pytest.raises(kind) as caught:
        fake_api(transport).me()
    assert caught.value.message == shown
    assert caught.value.code == code
    assert caught.value.status == status


def test_a_body_that_is_not_json_is_a_server_error() -> None:
    transport = FakeTransport()
    transport.on("GET", "/api/v1/me", api_module.Response(502, {}, b"<html>Bad gateway</html>"))
    with pytest.raises(ServerError) as caught:
        fake_api(transport).me()
    assert caught.value.message == "Der skete en fejl hos Skolehylde. Prøv igen om lidt."


def test_an_expired_token_is_refreshed_once_and_the_call_repeated() -> None:
    transport = FakeTransport()
    transport.on(
        "GET", "/api/v1/me", error_answer(401, "unauthorized", "Token expired"),
        answer(200, {"user": None}),
    )  # fmt: skip
    transport.on(
        "POST", "/oauth/token",
        answer(200, {"access_token": "new-access", "refresh_token": "new-refresh",
                     "expires_in": 600, "token_type": "Bearer"}),
    )  # fmt: skip
    saved: list[Tokens | None] = []
    client = fake_api(transport, tokens=Tokens("old-access", "old-refresh"), on_tokens=saved.append)
    assert client.me() == {"user": None}
    assert transport.paths() == ["GET /api/v1/me", "POST /oauth/token", "GET /api/v1/me"]
    assert transport.calls[1]["form"] == {
        "grant_type": "refresh_token", "refresh_token": "old-refresh",
        "client_id": "skolehylde-app",
    }  # fmt: skip
    assert transport.calls[0]["headers"]["Authorization"] == "Bearer old-access"
    assert transport.calls[2]["headers"]["Authorization"] == "Bearer new-access"
    assert [t.access_token if t else None for t in saved] == ["new-access"]


def test_a_refused_refresh_signs_out_and_says_so() -> None:
    transport = FakeTransport()
    transport.on("GET", "/api/v1/me", error_answer(401, "unauthorized", "Token expired"))
    transport.on("POST", "/oauth/token", answer(400, {"error": "invalid_grant"}))
    signed_out: list[bool] = []
    client = fake_api(
        transport,
        tokens=Tokens("old", "old-refresh"),
        on_signed_out=lambda: signed_out.append(True),
    )
    with pytest.raises(SignInRequired) as caught:
        client.me()
    assert caught.value.message == "Du er blevet logget ud. Log ind igen."
    assert transport.paths() == ["GET /api/v1/me", "POST /oauth/token"]  # once, not a loop
    assert client.tokens is None
    assert signed_out == [True]


def test_sign_out_revokes_both_tokens_and_forgets_them_even_offline() -> None:
    transport = FakeTransport()
    transport.on("POST", "/oauth/revoke", answer(200, {}), Offline("x"))
    client = fake_api(transport, tokens=Tokens("acc", "ref"))
    client.revoke()
    assert client.tokens is None
    assert [c["form"] for c in transport.calls] == [
        {"token": "ref", "client_id": "skolehylde-app", "token_type_hint": "refresh_token"},
        {"token": "acc", "client_id": "skolehylde-app"},
    ]


def test_purchase_requests_carry_an_idempotency_key() -> None:
    transport = FakeTransport()
    transport.on("POST", "/api/v1/purchase-requests", answer(201, {"id": "p1"}))
    fake_api(transport, tokens=Tokens("acc")).request_purchase({"offer_id": "o", "quantity": 1})
    key = transport.calls[0]["headers"]["Idempotency-Key"]
    assert len(key) == 36 and key.count("-") == 4


@pytest.mark.parametrize(
    ("ore", "text"),
    [(0, "0,00 kr."), (14950, "149,50 kr."), (123450, "1.234,50 kr."),
     (123456789, "1.234.567,89 kr."), (-5, "-0,05 kr.")],
)  # fmt: skip
def test_money_is_formatted_in_danish_from_ore(ore: int, text: str) -> None:
    assert format_kr(ore) == text
