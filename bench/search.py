"""Benchmark of product search as the app runs it: from the database, through the port, over HTTP.

The issue's Speed section, end to end:

1. a fresh database (SQLite in a temporary directory, or ``--database-url`` for PostgreSQL),
   migrated; the shipped Fælles Mål frameworks (Matematik, Dansk) imported;
2. ``--products`` (default 100,000) generated products (Danish-looking text from
   ``bench/search_port.py``'s vocabulary, real catalogue codes, goal tags on real Fælles Mål
   goals for the mathematics and Danish products, 60 fictional publishers, 1–2 offers each,
   approved reviews on a third) *bulk-inserted* into the catalogue tables: ``insert_s``;
3. ``reindex_s``: ``skolehylde search reindex``'s function (``server.search.service.reindex``)
   rebuilding a fresh on-disk tantivy index from the database through the catalogue's
   ``documents_for`` — the figure the target "full index build <= 60 s from the database" is
   about;
4. ``port``: the mixed query set of ``bench/search_port.py`` (plain, typo, filtered,
   faceted, goal subtree, top 20 with snippets) through ``SearchIndex.search``;
5. ``http_one_client``: the same mix as ``GET /api/v1/products`` requests (which also
   compute every facet, highlight, and load the hits' documents from the database) against
   the app under gunicorn (``skolehylde serve``, gthread) on 127.0.0.1 and a free port, one
   keep-alive connection; ``http_8_clients``: queries per second with 8 threads, one
   connection each.

Prints one JSON object on stdout; progress on stderr. Only 127.0.0.1 traffic::

    .venv/bin/python bench/search.py
    .venv/bin/python bench/search.py --products 20000 --rounds 5
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
for path in (REPO, REPO / "bench"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

import search_port  # noqa: E402  (the word lists and the port's query mix)

NS = uuid.UUID("7a0c9c7e-8a55-4b7c-9d61-4e1f0a2b3c4d")
SUBJECT_CODES = {  # bench/search_port.py's subjects → catalogue codes
    "natur_teknologi": "natur-teknologi",
    "fysik_kemi": "fysik-kemi",
}
MEDIA = ["interactive", "video", "ebook", "audio", "game", "exercises", "course"]
PLATFORMS = ["web", "ios", "android", "windows", "chromebook"]
ACCESS = ["text_to_speech", "screen_reader", "captions", "dyslexia_friendly"]
LICENCES = ["pupil", "class", "school", "municipality"]
PRICES = [0, 2_500, 4_900, 9_900, 14_900, 19_900, 29_900, 49_900, 99_900, 249_900]
REVIEWERS = 40
CHUNK = 5_000


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def percentiles(samples: list[float]) -> dict[str, float]:
    return search_port.percentiles(samples)


# --- the database --------------------------------------------------------------------------


def prepare(database_url: str, tmp: Path) -> Any:
    os.environ["SKOLEHYLDE_VAR_DIR"] = str(tmp / "var")
    from server import database
    from server.app import create_app

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SEARCH_INDEX_DIR": str(tmp / "search"),
            "SEARCH_IN_MEMORY": False,
        }
    )
    database.upgrade(app)
    return app


def goals_by_subject(session: Any) -> tuple[dict[str, list[Any]], dict[str, Any]]:
    from sqlalchemy import select

    from learning_goals.faelles_maal import load_shipped_frameworks, slug
    from server.goals.models import FrameworkRow, GoalRow
    from server.goals.operations import import_package

    for package in load_shipped_frameworks():
        import_package(session, package)
    rows = session.execute(
        select(GoalRow.id, GoalRow.depth, FrameworkRow.subject).join(
            FrameworkRow, FrameworkRow.id == GoalRow.framework_id
        )
    ).all()
    taggable: dict[str, list[Any]] = {}
    areas: dict[str, Any] = {}
    competence: dict[str, Any] = {}
    for goal_id, depth, subject in rows:
        code = slug(subject)
        if depth == 0:
            areas.setdefault(code, goal_id)
        elif depth == 1:
            competence.setdefault(code, goal_id)
            taggable.setdefault(code, []).append(goal_id)
        else:
            taggable.setdefault(code, []).append(goal_id)
    for code in list(search_port.SUBJECTS):  # the port's subtree queries ask these subjects
        areas.setdefault(code, areas.get("matematik"))
        competence.setdefault(code, competence.get("matematik"))
    return taggable, {"area": {k: str(v) for k, v in areas.items()},
                      "competence": {k: str(v) for k, v in competence.items()}}  # fmt: skip


def insert_catalogue(session: Any, count: int, seed: int, taggable: dict[str, list[Any]]) -> None:
    """Bulk inserts (Core ``insert`` with many rows) of publishers, users, products, offers,
    goal tags and approved reviews: what an import of that many listings leaves behind."""
    from sqlalchemy import insert

    from server.catalogue.models import OfferRow, ProductGoalTagRow, ProductRow, ReviewRow
    from server.organisations.models import PublisherRow, UserRow

    rng = random.Random(seed)
    now = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
    publishers = [uuid.uuid5(NS, f"publisher/{n}") for n in range(60)]
    session.execute(
        insert(PublisherRow),
        [
            {"id": p, "name": f"Forlaget {n:02d} {rng.choice(['Kridt', 'Tavle', 'Læse'])}",
             "cvr": f"{40_000_000 + n}"}
            for n, p in enumerate(publishers)
        ],
    )  # fmt: skip
    reviewers = [uuid.uuid5(NS, f"reviewer/{n}") for n in range(REVIEWERS)]
    session.execute(
        insert(UserRow),
        [
            {"id": u, "display_name": f"Lærer {n}", "active": True, "created_at": now,
             "updated_at": now}
            for n, u in enumerate(reviewers)
        ],
    )  # fmt: skip
    subjects = list(search_port.SUBJECTS)
    weights = [6 if s in ("matematik", "dansk") else 1 for s in subjects]
    start = datetime(2015, 1, 1, tzinfo=UTC)
    products: list[dict[str, Any]] = []
    offers: list[dict[str, Any]] = []
    tags: list[dict[str, Any]] = []
    reviews: list[dict[str, Any]] = []

    def flush() -> None:
        for table, rows in ((ProductRow, products), (OfferRow, offers),
                            (ProductGoalTagRow, tags), (ReviewRow, reviews)):  # fmt: skip
            if rows:
                session.execute(insert(table), rows)
                rows.clear()

    for n in range(count):
        subject = rng.choices(subjects, weights)[0]
        words = search_port.SUBJECTS[subject]
        a, b = rng.sample(words, 2)
        low = rng.randint(0, 9)
        grades = list(range(low, min(10, low + rng.randint(0, 3)) + 1))
        title = rng.choice(search_port.TITLE_PATTERNS).format(
            A=a.capitalize(), b=b, g=grades[0] or 1
        )
        body = rng.choices(words, k=10) + rng.choices(search_port.GENERAL, k=18)
        rng.shuffle(body)
        product_id = uuid.uuid5(NS, f"product/{n}")
        published = start + timedelta(minutes=n * 47)
        products.append(
            {
                "id": product_id,
                "publisher_id": rng.choice(publishers),
                "status": "published",
                "version": 1,
                "title": title,
                "listing": {
                    "title": title,
                    "description": (" ".join(body) + ".").capitalize(),
                    "subjects": [SUBJECT_CODES.get(subject, subject)],
                    "grades": grades,
                    "languages": ["da"] if rng.random() < 0.85 else ["da", "en"],
                    "media_types": rng.sample(MEDIA, rng.randint(1, 2)),
                    "platforms": rng.sample(PLATFORMS, rng.randint(1, 4)),
                    "accessibility": rng.sample(ACCESS, rng.randint(0, 2)),
                    "accessibility_statement_url": None,
                    "offline": rng.choice(["none", "none", "partial", "full"]),
                    "trial_days": rng.choice([0, 0, 14, 30]),
                    "launch": {"kind": "lti", "url": f"https://p{n % 60}.example/lti",
                               "target": "window"},
                    "data_processing_agreement_url": f"https://p{n % 60}.example/dpa.pdf",
                },
                "published_at": published,
                "created_at": published,
                "updated_at": published,
            }
        )  # fmt: skip
        for licence in rng.sample(LICENCES, rng.randint(1, 2)):
            offers.append(
                {
                    "id": uuid.uuid4(), "product_id": product_id, "licence_type": licence,
                    "period": "school_year", "price_ore": rng.choice(PRICES), "vat_percent": 25,
                    "subsidy_eligible": rng.random() < 0.5, "min_quantity": 1,
                    "max_quantity": None, "active": True, "created_at": published,
                    "updated_at": published,
                }
            )  # fmt: skip
        pool = taggable.get(subject)
        if pool:
            for position, goal_id in enumerate(rng.sample(pool, rng.randint(1, 3))):
                tags.append({"product_id": product_id, "goal_id": goal_id, "position": position})
        if rng.random() < 0.33:
            for author in rng.sample(reviewers, rng.randint(1, 3)):
                reviews.append(
                    {
                        "id": uuid.uuid4(), "product_id": product_id, "author_id": author,
                        "rating": rng.randint(1, 5), "text": "", "status": "approved",
                        "created_at": published, "updated_at": published,
                    }
                )  # fmt: skip
        if len(products) >= CHUNK:
            flush()
    flush()
    session.commit()


# --- HTTP ----------------------------------------------------------------------------------


def http_queries(goal_ids: dict[str, Any]) -> list[tuple[str, str]]:
    """The port's mix as request paths (every one also gets all facets and snippets)."""
    area, competence = goal_ids["area"], goal_ids["competence"]
    mix: list[tuple[str, dict[str, Any]]] = []
    for q in [
        "brøker",
        "geometri",
        "læsning",
        "grammatik",
        "vikingetid",
        "forsøg planter",
        "stavning",
        "engelsk gloser",
        "sandsynlighed",
        "brø",
        "mat",
        "eventyr og digte",
    ]:
        mix.append(("plain", {"q": q}))
    for q in [
        "brøkker",
        "matmatik",
        "læsnig",
        "geomatri",
        "grammatk",
        "vikingtid",
        "stavnign",
        "sandsynlihed",
        "broeker",
        "laesning",
    ]:
        mix.append(("typo", {"q": q}))
    for q, extra in [
        ("brøker", {"grade": [5]}),
        ("læsning", {"subject": ["dansk"], "grade": [2, 3]}),
        ("", {"subject": ["matematik"], "trial": "true"}),
        ("spil", {"media_type": ["game"], "offline": ["full"]}),
        ("quiz", {"platform": ["ios"], "price_band": ["under_100", "free"]}),
    ]:
        mix.append(("filtered", {"q": q, **extra}))
    for q in ["brøker", "læsning", "", "forsøg", "matmatik"]:
        mix.append(("faceted", {"q": q, "sort": "rating"}))
    for subject, q in [("matematik", ""), ("dansk", "læsning"), ("matematik", "brøker")]:
        mix.append(("goal_subtree", {"q": q, "goal": area[subject]}))
        mix.append(("goal_subtree", {"q": q, "goal": competence[subject]}))
    for q in ["brøker", "læsning", "geometri og figurer", "matmatik", "eventyr"]:
        mix.append(("snippets", {"q": q, "limit": 20}))
    return [
        (kind, "/api/v1/products?" + urllib.parse.urlencode(params, doseq=True))
        for kind, params in mix
    ]  # fmt: skip


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(database_url: str, tmp: Path, workers: int, threads: int) -> tuple[Any, int]:
    port = free_port()
    log_file = (tmp / "server.log").open("wb")  # gunicorn's own log; access log goes nowhere
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "SEARCH_INDEX_DIR": str(tmp / "search"),
        "SEARCH_IN_MEMORY": "0",
        "SKOLEHYLDE_VAR_DIR": str(tmp / "var"),
        "SKOLEHYLDE_ENV": "development",
    }
    server = subprocess.Popen(
        [sys.executable, "-c", "from server.cli import main; main()", "serve",
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
                return server, port
        except OSError:
            time.sleep(0.2)
    server.terminate()
    raise SystemExit("the server did not start within 60 s")


def get(connection: http.client.HTTPConnection, path: str) -> tuple[int, bytes]:
    connection.request("GET", path)
    response = connection.getresponse()
    return response.status, response.read()


def one_client(port: int, queries: list[tuple[str, str]], rounds: int) -> dict[str, Any]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    samples: dict[str, list[float]] = {}
    statuses: dict[int, int] = {}
    for round_number in range(rounds + 1):
        for kind, path in queries:
            started = time.perf_counter()
            status, _ = get(connection, path)
            elapsed = time.perf_counter() - started
            statuses[status] = statuses.get(status, 0) + 1
            if round_number:
                samples.setdefault(kind, []).append(elapsed)
    connection.close()
    everything = [s for values in samples.values() for s in values]
    return {
        **percentiles(everything),
        "by_kind": {kind: percentiles(values) for kind, values in sorted(samples.items())},
        "statuses": statuses,
    }


def many_clients(
    port: int, queries: list[tuple[str, str]], clients: int, rounds: int
) -> dict[str, Any]:
    done = [0] * clients
    errors = [0] * clients
    latencies: list[list[float]] = [[] for _ in range(clients)]
    samples_of_errors: list[str] = []

    def worker(number: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        order = list(queries)
        random.Random(number).shuffle(order)
        for _ in range(rounds):
            for _kind, path in order:
                started = time.perf_counter()
                status, body = get(connection, path)
                latencies[number].append(time.perf_counter() - started)
                done[number] += 1
                if status != 200:
                    errors[number] += 1
                    if len(samples_of_errors) < 5:
                        samples_of_errors.append(f"{status} {path}: {body[:300]!r}")
        connection.close()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    return {
        "clients": clients,
        "requests": sum(done),
        "non_200": sum(errors),
        "non_200_samples": samples_of_errors,
        "seconds": round(wall, 3),
        "queries_per_s": round(sum(done) / wall, 1),
        "latency": percentiles([s for values in latencies for s in values]),
    }


# --- main ----------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--products", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--rounds", type=int, default=20, help="timed passes over the port mix")
    parser.add_argument("--http-rounds", type=int, default=10)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    parser.add_argument("--threads", type=int, default=4, help="threads per worker")
    parser.add_argument("--database-url", default=None, help="default: SQLite in a temp dir")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="skolehylde-bench-search-") as scratch:
        tmp = Path(scratch)
        database_url = args.database_url or f"sqlite:///{tmp / 'bench.db'}"
        app = prepare(database_url, tmp)
        from server.extensions import db
        from server.search.interfaces import SearchQuery
        from server.search.service import reindex, search_service

        with app.app_context():
            session = db.session()
            log("importing Fælles Mål…")
            taggable, goal_ids = goals_by_subject(session)
            log(f"inserting {args.products} products…")
            started = time.perf_counter()
            insert_catalogue(session, args.products, args.seed, taggable)
            insert_s = time.perf_counter() - started
            service = search_service(app)
            log("reindexing from the database…")
            report = reindex(db.engine, service.index, service.documents_for, batch=1000)
            indexed = service.index.count()

            log("port queries…")
            queries = search_port.query_set(goal_ids)
            by_kind: dict[str, list[float]] = {}
            for round_number in range(args.rounds + 1):
                for kind, make in queries:
                    started = time.perf_counter()
                    service.index.search(make())
                    elapsed = time.perf_counter() - started
                    if round_number:
                        by_kind.setdefault(kind, []).append(elapsed)
            typo_hits = {
                text: service.index.search(SearchQuery(text, limit=1)).total
                for text in ("brøkker", "matmatik", "læsnig", "broeker")
            }
            port_all = [s for values in by_kind.values() for s in values]
            db.session.remove()
        with app.app_context():
            db.engine.dispose()

        log(f"HTTP: gunicorn with {args.workers} workers × {args.threads} threads…")
        server, port = start_server(database_url, tmp, args.workers, args.threads)
        try:
            paths = http_queries(goal_ids)
            single = one_client(port, paths, args.http_rounds)
            log(f"HTTP: {args.clients} clients…")
            many = many_clients(port, paths, args.clients, args.http_rounds)
            if many["non_200"] or set(single["statuses"]) != {200}:
                log("server log (tail):\n" + (tmp / "server.log").read_text()[-3000:])
        finally:
            server.terminate()
            try:
                server.wait(20)
            except subprocess.TimeoutExpired:
                server.kill()

    result = {
        "benchmark": "search",
        "backend": "tantivy (disk)",
        "database": database_url.split(":", 1)[0],
        "products": args.products,
        "indexed": indexed,
        "insert_s": round(insert_s, 2),
        "reindex_s": round(report.seconds, 2),
        "reindex_docs_per_s": round(report.documents / report.seconds),
        "port": {**percentiles(port_all),
                 "by_kind": {k: percentiles(v) for k, v in sorted(by_kind.items())}},
        "typo_queries_total_hits": typo_hits,
        "http_one_client": single,
        "http_many_clients": many,
        "server": {"workers": args.workers, "threads": args.threads, "worker_class": "gthread"},
        "targets": {"reindex_s": 60, "port_p95_ms": 5, "http_one_client_p95_ms": 10},
        "cpus": os.cpu_count(),
        "python": sys.version.split()[0],
    }  # fmt: skip
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
