"""The real server with its embedded defaults (SQLite, tantivy) and the demo data, served on
127.0.0.1 and a free port from a thread: what the app talks to in the e2e test and the bench."""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from apiflask import APIFlask
from werkzeug.serving import BaseWSGIServer, make_server

from server import database
from server.app import create_app
from server.demo import load_demo
from server.extensions import db


@dataclass
class LiveServer:
    base_url: str
    app: APIFlask
    server: BaseWSGIServer
    thread: threading.Thread

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)
        with self.app.app_context():
            db.engine.dispose()


def free_port() -> int:
    probe = make_server("127.0.0.1", 0, lambda env, start: [])
    port = int(probe.server_port)
    probe.server_close()
    return port


def start_demo_server(var_dir: Path, **config: Any) -> LiveServer:
    os.environ.setdefault("SKOLEHYLDE_VAR_DIR", str(var_dir))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    app = create_app(
        {
            "SKOLEHYLDE_ENV": "development",
            "SECRET_KEY": "live-test-secret-not-for-production",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{var_dir / 'skolehylde.db'}",
            "SEARCH_BACKEND": "tantivy",
            "SEARCH_INDEX_DIR": str(var_dir / "search"),
            "ASSET_DIR": str(var_dir / "assets"),
            "PUBLIC_BASE_URL": base,
            **config,
        }
    )
    database.upgrade(app)
    with app.app_context():
        for _line in load_demo(db.session(), environment="development"):
            pass
        db.session.remove()
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return LiveServer(base, app, server, thread)


def browser_for(base_url: str, username: str, password: str = "skolehylde-demo") -> Any:  # noqa: S107  # the demo password
    """Stands in for the system browser: the server's sign-in form, then the redirect to the
    app's loopback listener (exactly what a person does in the browser)."""
    import re

    import requests

    def open_browser(url: str) -> None:
        browser = requests.Session()
        page = browser.get(url, allow_redirects=False, timeout=10)
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        next_url = re.search(r'name="next" value="([^"]+)"', page.text)
        if csrf is None or next_url is None:
            raise RuntimeError(f"no sign-in form at {url}: {page.status_code}")
        signed_in = browser.post(
            f"{base_url}/login",
            data={
                "username": username,
                "password": password,
                "csrf_token": csrf.group(1),
                "next": next_url.group(1).replace("&amp;", "&"),
            },
            allow_redirects=False,
            timeout=10,
        )
        back = browser.get(
            base_url + signed_in.headers["Location"], allow_redirects=False, timeout=10
        )
        requests.get(back.headers["Location"], timeout=10)  # the app's loopback redirect

    return open_browser


def token_of(live: LiveServer, username: str) -> str:
    """A bearer token for a demo user, issued by the server's own code (for test set-up)."""
    from sqlalchemy import select

    from server.oauth.tokens import issue_access_token
    from server.organisations.models import UserRow

    with live.app.app_context():
        session = db.session()
        user_id = session.scalar(select(UserRow.id).where(UserRow.username == username))
        token = issue_access_token(session, user_id)
        session.commit()
        db.session.remove()
    return token


def fund_demo_school(live: LiveServer) -> dict[str, Any]:
    """A subsidy programme with Aarhus's grant and own funds, and an allocation to
    Bakkeskolen, through the budget API as the platform admin and Aarhus's buyer — unless the
    demo data has funded the school already."""
    import uuid

    import requests

    base = live.base_url

    def call(token: str, method: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": str(uuid.uuid4())}
        answer = requests.request(method, base + path, json=body, headers=headers, timeout=10)
        assert answer.status_code in (200, 201), (path, answer.status_code, answer.text)
        result: dict[str, Any] = answer.json()
        return result

    admin, buyer = token_of(live, "admin"), token_of(live, "indkoeber")
    leader = token_of(live, "leder")
    me = requests.get(
        f"{base}/api/v1/me", headers={"Authorization": f"Bearer {leader}"}, timeout=10
    ).json()
    school_id = next(r["school_id"] for r in me["user"]["roles"] if r["school_id"])
    budget = requests.get(
        f"{base}/api/v1/schools/{school_id}/budget",
        headers={"Authorization": f"Bearer {leader}"},
        timeout=10,
    ).json()
    if budget.get("allocated_ore"):  # the demo data funds the school already
        return {"school_id": school_id, "programme_id": None}
    programme = call(admin, "POST", "/api/v1/programmes", {
        "name": "Digitale læremidler 2026/27", "rate_bp": 5000,
        "valid_from": "2026-08-01", "valid_to": "2027-07-31",
    })  # fmt: skip
    call(admin, "PUT", f"/api/v1/programmes/{programme['id']}/grants/751",
         {"amount_ore": 40_000_000})  # fmt: skip
    call(buyer, "POST", "/api/v1/municipalities/751/own-funds", {"amount_ore": 20_000_000})
    call(buyer, "PUT", "/api/v1/municipalities/751/purchase-settings", {"ean": "5798000160750"})
    for fund, amount in (("grant", 15_000_000), ("own", 10_000_000)):
        call(buyer, "POST", "/api/v1/municipalities/751/allocations",
             {"school_id": school_id, "fund": fund, "amount_ore": amount})  # fmt: skip
    return {"school_id": school_id, "programme_id": programme["id"]}


def class_4b(live: LiveServer) -> str:
    from sqlalchemy import select

    from server.organisations.models import SchoolClassRow

    with live.app.app_context():
        class_id = db.session.scalar(select(SchoolClassRow.id).where(SchoolClassRow.name == "4.B"))
        db.session.remove()
    return str(class_id)


def assign(live: LiveServer, class_id: str, external_id: str, lesson: str) -> tuple[str, str]:
    """What the Deep Linking return stores when the teacher picks a lesson in the tool."""
    import uuid
    from datetime import UTC, datetime

    from sqlalchemy import select

    from server.catalogue.models import ProductRow
    from server.launch.models import AssignmentRow

    with live.app.app_context():
        session = db.session()
        product = session.scalar(select(ProductRow).where(ProductRow.external_id == external_id))
        assert product is not None
        row = AssignmentRow(
            id=uuid.uuid4(), class_id=uuid.UUID(class_id), product_id=product.id,
            lesson_title=lesson, url="http://127.0.0.1:8001/lti/launch",
            custom={}, created_by=None, created_at=datetime.now(UTC),
        )  # fmt: skip
        session.add(row)
        session.commit()
        ids = (str(row.id), str(product.id))
        db.session.remove()
    return ids
