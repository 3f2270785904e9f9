"""Test doubles for the app: a recording transport with canned answers, a hand-driven clock,
and the Flask test client as a transport (the real server without sockets)."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from flask.testing import FlaskClient

from mobile.api import ApiClient, Offline, Params, Response
from mobile.i18n import translator

Handler = Callable[[dict[str, Any]], Response | Exception]


def answer(status: int, body: Any = None, headers: Mapping[str, str] | None = None) -> Response:
    raw = b"" if body is None else json.dumps(body).encode("utf-8")
    return Response(status, dict(headers or {"Content-Type": "application/json"}), raw)


def error_answer(status: int, code: str, message: str) -> Response:
    return answer(status, {"error": {"code": code, "message": message, "details": {}}})


@dataclass
class FakeTransport:
    """Answers by ``(method, path)``; a handler may return a Response or an exception to raise.
    Every call is recorded (method, path, params, json, form, headers)."""

    routes: dict[tuple[str, str], Handler | list[Handler]] = field(default_factory=dict)
    calls: list[dict[str, Any]] = field(default_factory=list)

    def on(self, method: str, path: str, *handlers: Handler | Response | Exception) -> None:
        wrapped = [h if callable(h) else (lambda _call, h=h: h) for h in handlers]
        self.routes[(method, path)] = wrapped if len(wrapped) > 1 else wrapped[0]

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
    ) -> Response:
        path = urlsplit(url).path
        call = {
            "method": method,
            "path": path,
            "params": list(params.items()) if isinstance(params, Mapping) else list(params or []),
            "json": json_body,
            "form": dict(form or {}),
            "headers": dict(headers),
        }
        self.calls.append(call)
        route = self.routes.get((method, path))
        if route is None:
            return error_answer(404, "not_found", "Siden findes ikke.")
        if isinstance(route, list):
            handler = route.pop(0) if len(route) > 1 else route[0]
        else:
            handler = route
        result = handler(call)
        if isinstance(result, Exception):
            raise result
        return result

    def paths(self) -> list[str]:
        return [f"{c['method']} {c['path']}" for c in self.calls]


class FakeClock:
    """Kivy's ``Clock`` by hand: ``advance(seconds)`` fires what is due. No sleeping."""

    def __init__(self) -> None:
        self.now = 0.0
        self._events: list[FakeEvent] = []

    def schedule_once(self, callback: Callable[[float], Any], timeout: float = 0) -> FakeEvent:
        event = FakeEvent(self.now + timeout, callback, None)
        self._events.append(event)
        return event

    def schedule_interval(self, callback: Callable[[float], Any], timeout: float) -> FakeEvent:
        event = FakeEvent(self.now + timeout, callback, timeout)
        self._events.append(event)
        return event

    def advance(self, seconds: float) -> None:
        target = self.now + seconds
        while True:
            due = [e for e in self._events if not e.cancelled and e.when <= target]
            if not due:
                break
            event = min(due, key=lambda e: e.when)
            self.now = event.when
            if event.interval is None:
                event.cancelled = True
            else:
                event.when += event.interval
            event.callback(0.0)
        self.now = target

    def pending(self) -> int:
        return sum(1 for e in self._events if not e.cancelled)


@dataclass
class FakeEvent:
    when: float
    callback: Callable[[float], Any]
    interval: float | None
    cancelled: bool = False

    def cancel(self) -> None:
        self.cancelled = True


def flask_transport(client: FlaskClient) -> Callable[..., Response]:
    """The app's transport over the Flask test client: the real server, no sockets."""

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
        path = urlsplit(url).path
        query = list(params.items()) if isinstance(params, Mapping) else list(params or [])
        kwargs: dict[str, Any] = {"headers": dict(headers), "query_string": query}
        if json_body is not None:
            kwargs["json"] = json_body
        if form is not None:
            kwargs["data"] = dict(form)
        result = client.open(path, method=method, **kwargs)
        return Response(result.status_code, dict(result.headers), result.get_data())

    return send


def offline() -> Offline:
    """What the real transport raises when the server cannot be reached."""
    return Offline(translator.t("err_offline"), code="offline")


def fake_api(transport: FakeTransport | None = None, **kwargs: Any) -> ApiClient:
    return ApiClient("http://skolehylde.test", transport=transport or FakeTransport(), **kwargs)


def hit(
    title: str, *, price: int | None = 14950, trial: bool = False, n: int = 0
) -> dict[str, Any]:
    """A search hit as ``GET /api/v1/products`` returns it."""
    return {
        "id": f"00000000-0000-4000-8000-{n:012d}",
        "title": title,
        "title_html": title,
        "description_html": "",
        "publisher": {"id": "00000000-0000-4000-8000-100000000000", "name": "Forlaget Æble"},
        "subjects": ["matematik"],
        "grades": [4, 5],
        "languages": ["da"],
        "media_types": ["interactive"],
        "platforms": ["web"],
        "accessibility": [],
        "licence_types": ["pupil"],
        "min_price_ore": price,
        "min_price": None,
        "price_band": None,
        "rating": {"mean": 4.5, "count": 2},
        "has_trial": trial,
        "offline": "none",
        "published_at": "2026-01-01T00:00:00Z",
        "score": 1.0,
    }


def page(items: list[dict[str, Any]], total: int, offset: int = 0) -> dict[str, Any]:
    facets = {
        "subject": [{"value": "matematik", "label": "Matematik", "count": total}],
        "grade": [
            {"value": "5", "label": "5. klasse", "count": 2},
            {"value": "4", "label": "4. klasse", "count": 3},
        ],
    }
    return {"items": items, "total": total, "facets": facets, "limit": 20, "offset": offset}


def product_detail(n: int = 1) -> dict[str, Any]:
    """``GET /api/v1/products/{id}`` for a product with two offers and one review."""
    return {
        "id": f"00000000-0000-4000-8000-{n:012d}",
        "publisher": {"id": "00000000-0000-4000-8000-100000000000", "name": "Forlaget Æble"},
        "status": "published",
        "listing": {
            "title": "Brøkfabrikken",
            "description": "Øv brøker på en sjov måde.",
            "grades": [4, 5],
            "trial_days": 30,
        },
        "labels": {
            "subjects": ["Matematik"],
            "media_types": ["Interaktiv"],
            "platforms": ["Web (browser)"],
            "accessibility": ["Oplæsning"],
        },
        "goals": [
            {
                "id": "00000000-0000-4000-8000-200000000001",
                "human_code": "MAT.TAL.6",
                "full_statement": "Eleven kan anvende brøker",
                "kind": "skill",
                "framework_id": "00000000-0000-4000-8000-300000000001",
            }
        ],
        "screenshots": [],
        "offers": [
            {
                "id": "00000000-0000-4000-8000-400000000001",
                "licence_type": "pupil",
                "licence_type_label": "Elevlicens",
                "period": "12m",
                "period_label": "12 måneder",
                "price_ore": 14950,
                "gross_ore": 18688,
                "subsidy_eligible": True,
                "min_quantity": 1,
                "active": True,
            },
            {
                "id": "00000000-0000-4000-8000-400000000002",
                "licence_type": "school",
                "licence_type_label": "Skolelicens",
                "period": "12m",
                "period_label": "12 måneder",
                "price_ore": 123450000,
                "gross_ore": 154312500,
                "subsidy_eligible": False,
                "min_quantity": 1,
                "active": True,
            },
        ],
        "rating": {"count": 1, "mean": "4.0", "display": "4,0", "histogram": [0, 0, 0, 1, 0]},
        "reviews": [{"id": "r1", "rating": 4, "text": "Godt til 5. klasse."}],
    }


def me(role: str, **tenant: Any) -> dict[str, Any]:
    return {
        "user": {
            "id": "00000000-0000-4000-8000-500000000001",
            "display_name": "Åse Ørsted",
            "roles": [{"role": role, **tenant}],
        },
        "client_id": "skolehylde-app",
        "method": "badge" if role == "pupil" else "password",
        "scopes": ["api"],
    }
