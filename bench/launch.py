"""Benchmark of a launch's three steps on our side, under the production server configuration.

The issue's Speed section: the app under gunicorn as ``skolehylde serve`` runs it (gthread,
``--workers``/``--threads``, preloaded app, ``gc.freeze``; the demo tool is not started) on
127.0.0.1 and a free port, with the demo data (SQLite in a temporary directory unless
``--database-url`` names a PostgreSQL database). At ``--clients`` (8) concurrent keep-alive
clients, in one run, each phase on its own:

1. ``health``: ``GET /health``, the trivial JSON endpoint of the same app (the reference);
2. ``launch_request``: ``POST /api/v1/launches`` (bearer token of a 4.B pupil; policy,
   entitlement check, a signed ticket) — the app's launch request;
3. ``one_time_url``: ``GET /launch/<token>`` (spends the ticket, gathers the launch, signs
   the message hint, renders the form to the tool's login initiation);
4. ``lti_authorize``: ``GET /lti/authorize`` with the parameters pylti1p3 sends (checks them
   against the hint, spends hint and nonce, signs the id_token with RS256).

Each phase's requests per second and latency percentiles are printed, with each step's
throughput as a ratio of the trivial endpoint's (target >= 0.3) and its p99 (target <= 20 ms).
``budget_rows_written`` counts the rows of the budget and ledger tables before and after
(target 0); ``launch_events_written`` shows the queued events reached the database.

    .venv/bin/python bench/launch.py
    .venv/bin/python bench/launch.py --postgres     # a throwaway PostgreSQL 15 cluster
"""

from __future__ import annotations

import argparse
import html
import http.client
import json
import os
import re
import secrets
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

FIELD = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)"')
PUPILS = 200


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)

    def at(p: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000, 3)

    return {"p50_ms": at(0.50), "p95_ms": at(0.95), "p99_ms": at(0.99), "n": len(ordered)}


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def environment(database_url: str, tmp: Path, port: int) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "SEARCH_INDEX_DIR": str(tmp / "search"),
        "SEARCH_IN_MEMORY": "0",
        "SKOLEHYLDE_VAR_DIR": str(tmp / "var"),
        "SKOLEHYLDE_ENV": "development",
        "SECRET_KEY": secrets.token_urlsafe(32),
        "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
    }


def prepare(env: dict[str, str]) -> dict[str, Any]:
    """Migrate, load the demo, add pupils to 4.B; their tokens and the launch's registration."""
    os.environ.update(env)
    from sqlalchemy import select

    from server.app import create_app
    from server.catalogue.models import ProductRow
    from server.database import upgrade
    from server.demo import load_demo
    from server.extensions import db
    from server.launch.models import ToolRegistrationRow
    from server.oauth.tokens import issue_access_token
    from server.organisations.models import MembershipRow, SchoolClassRow, SchoolRow, UserRow

    app = create_app()
    upgrade(app)
    with app.app_context():
        session = db.session()
        for line in load_demo(session):
            log(f"  {line}")
        school = session.scalar(select(SchoolRow).where(SchoolRow.institution_number == "990001"))
        assert school is not None
        school_class = session.scalar(
            select(SchoolClassRow).where(
                SchoolClassRow.school_id == school.id, SchoolClassRow.name == "4.B"
            )
        )
        assert school_class is not None
        from datetime import UTC, datetime

        now = datetime.now(UTC)
        tokens = []
        for number in range(PUPILS):
            import uuid

            user = UserRow(id=uuid.uuid4(), display_name=f"Elev {number}", active=True,
                           created_at=now, updated_at=now)  # fmt: skip
            session.add(user)
            session.flush()
            session.add(
                MembershipRow(
                    id=uuid.uuid4(),
                    user_id=user.id,
                    role="pupil",
                    school_id=school.id,
                    class_id=school_class.id,
                    active=True,
                )
            )
            session.commit()
            tokens.append(issue_access_token(session, user.id, ttl=3600))
        product = session.scalar(
            select(ProductRow).where(ProductRow.external_id == "demo-matematisk-problemloesning")
        )
        assert product is not None
        registration = session.get(ToolRegistrationRow, product.id)
        assert registration is not None
        info = {
            "tokens": tokens,
            "product_id": str(product.id),
            "client_id": registration.client_id,
            "redirect_uri": registration.launch_url,
            "budget_rows": budget_rows(session),
        }
        db.session.remove()
        db.engine.dispose()
    return info


def budget_rows(session: Any) -> int:
    from sqlalchemy import func, select

    from server.budgets import models as budgets
    from server.ledger import models as ledger

    tables = [
        getattr(module, name)
        for module in (budgets, ledger)
        for name in dir(module)
        if name.endswith("Row") and hasattr(getattr(module, name), "__table__")
    ]
    return sum(session.scalar(select(func.count()).select_from(t)) or 0 for t in tables)


def launch_events(database_url: str, env: dict[str, str]) -> tuple[int, int]:
    os.environ.update(env)
    from sqlalchemy import func, select

    from server.app import create_app
    from server.extensions import db
    from server.launch.models import LaunchEventRow

    app = create_app()
    with app.app_context():
        session = db.session()
        events = session.scalar(select(func.count()).select_from(LaunchEventRow)) or 0
        rows = budget_rows(session)
        db.session.remove()
        db.engine.dispose()
    return events, rows


def start_server(env: dict[str, str], port: int, tmp: Path, workers: int, threads: int) -> Any:
    log_file = (tmp / "server.log").open("wb")
    server = subprocess.Popen(
        [sys.executable, "-c", "from server.cli import main; main()", "serve", "--no-demo-tool",
         "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
         "--threads", str(threads)],
        cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=log_file,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/health")
            if connection.getresponse().status == 200:
                connection.close()
                return server
        except OSError:
            time.sleep(0.2)
    server.terminate()
    raise SystemExit("the server did not start within 60 s")


Request = tuple[str, str, dict[str, str], bytes | None]  # method, path, headers, body


def phase(
    port: int, work: list[Request], clients: int, expect: int, keep: bool = False
) -> tuple[dict[str, Any], list[tuple[bytes, dict[str, str]]]]:
    """Run ``work`` split across ``clients`` keep-alive connections; answers kept if asked."""
    chunks = [work[number::clients] for number in range(clients)]
    latencies: list[list[float]] = [[] for _ in range(clients)]
    answers: list[list[tuple[bytes, dict[str, str]]]] = [[] for _ in range(clients)]
    errors: list[str] = []

    def worker(number: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        for method, path, headers, body in chunks[number]:
            started = time.perf_counter()
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            data = response.read()
            latencies[number].append(time.perf_counter() - started)
            if response.status != expect and len(errors) < 5:
                errors.append(f"{response.status} {path[:60]}: {data[:200]!r}")
            if keep:
                answers[number].append((data, dict(response.getheaders())))
        connection.close()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    done = sum(len(values) for values in latencies)
    result = {
        "requests": done,
        "requests_per_s": round(done / wall, 1),
        "latency": percentiles([s for values in latencies for s in values]),
        "errors": errors,
    }
    return result, [answer for values in answers for answer in values]


def run(args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    port = free_port()
    database_url = args.database_url or f"sqlite:///{tmp / 'bench.db'}"
    env = environment(database_url, tmp, port)
    log("preparing the demo database …")
    info = prepare(env)
    log(f"starting gunicorn ({args.workers} workers × {args.threads} threads) …")
    server = start_server(env, port, tmp, args.workers, args.threads)
    try:
        return measure(args, port, info, database_url, env)
    finally:
        server.terminate()
        server.wait(timeout=30)


def measure(
    args: argparse.Namespace, port: int, info: dict[str, Any], database_url: str,
    env: dict[str, str],
) -> dict[str, Any]:  # fmt: skip
    n, clients = args.launches, args.clients
    tokens: list[str] = info["tokens"]
    body = json.dumps({"product_id": info["product_id"]}).encode()

    def launch_request(i: int) -> Request:
        headers = {"Authorization": f"Bearer {tokens[i % len(tokens)]}",
                   "Content-Type": "application/json"}  # fmt: skip
        return ("POST", "/api/v1/launches", headers, body)

    def warm(make: Callable[[int], Request], count: int) -> None:
        phase(port, [make(i) for i in range(count)], clients, 201)

    log("warming up …")
    phase(port, [("GET", "/health", {}, None)] * 400, clients, 200)
    warm(launch_request, 200)

    log("phase: /health")
    health, _ = phase(port, [("GET", "/health", {}, None)] * n, clients, 200)
    log("phase: POST /api/v1/launches")
    launches, answers = phase(port, [launch_request(i) for i in range(n)], clients, 201, True)
    urls = [urllib.parse.urlsplit(json.loads(data)["url"]).path for data, _ in answers]
    log("phase: GET /launch/<token>")
    opened, pages = phase(port, [("GET", url, {}, None) for url in urls], clients, 200, True)
    authorize: list[Request] = []
    for data, headers in pages:
        fields = {html.unescape(k): html.unescape(v) for k, v in FIELD.findall(data.decode())}
        cookie = headers.get("Set-Cookie", "").split(";", 1)[0]
        query = urllib.parse.urlencode({
            "scope": "openid", "response_type": "id_token", "response_mode": "form_post",
            "prompt": "none", "client_id": info["client_id"],
            "redirect_uri": info["redirect_uri"], "state": "state-" + secrets.token_hex(8),
            "nonce": secrets.token_hex(16), "login_hint": fields["login_hint"],
            "lti_message_hint": fields["lti_message_hint"],
        })  # fmt: skip
        authorize.append(("GET", f"/lti/authorize?{query}", {"Cookie": cookie}, None))
    log("phase: GET /lti/authorize")
    authorized, _ = phase(port, authorize, clients, 200)
    time.sleep(2.5)  # the event writer flushes every second
    events, rows = launch_events(database_url, env)
    reference = health["requests_per_s"]

    def step(result: dict[str, Any]) -> dict[str, Any]:
        ratio = round(result["requests_per_s"] / reference, 3)
        return {
            **result,
            "ratio_to_health": ratio,
            "meets_ratio_0_3": ratio >= 0.3,
            "meets_p99_20ms": result["latency"]["p99_ms"] <= 20,
        }

    return {
        "database": "postgresql" if database_url.startswith("postgres") else "sqlite",
        "server": {"gunicorn": "gthread", "workers": args.workers, "threads": args.threads},
        "clients": clients,
        "launches": n,
        "health": health,
        "launch_request": step(launches),
        "one_time_url": step(opened),
        "lti_authorize": step(authorized),
        "budget_rows_written": rows - info["budget_rows"],
        "launch_events_written": events,
        "cpu_count": os.cpu_count(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--launches", type=int, default=2000, help="requests per phase")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (serve's)")
    parser.add_argument("--threads", type=int, default=4, help="threads per worker (serve's)")
    parser.add_argument("--database-url", default=None, help="default: SQLite in a temp dir")
    parser.add_argument(
        "--postgres",
        action="store_true",
        help="a throwaway PostgreSQL 15 cluster (tests/pgcluster.py) with fsync and"
        " synchronous_commit on, as in production",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="skolehylde-bench-launch-") as scratch:
        if not args.postgres:
            print(json.dumps(run(args, Path(scratch)), indent=2))
            return
        sys.path.insert(0, str(REPO / "tests"))
        from pgcluster import PostgresCluster

        cluster = PostgresCluster.start(
            settings={"fsync": "on", "synchronous_commit": "on", "full_page_writes": "on"}
        )
        try:
            cluster.execute("CREATE DATABASE bench")
            args.database_url = cluster.url("bench")
            print(json.dumps(run(args, Path(scratch)), indent=2))
        finally:
            cluster.stop()


if __name__ == "__main__":
    main()
