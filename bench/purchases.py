"""Benchmark of purchasing against one hot school budget, beside pgbench on the same cluster.

Starts its own throwaway PostgreSQL cluster (``tests/pgcluster.py``), migrates a database
with ``server.database.upgrade`` and funds one school. Then:

* ``purchases``: for ``--clients`` 1, 8 and 32 (threads spread over ``--processes`` forked
  processes, so one interpreter's GIL is not the limit), each client with its own
  connection runs real purchases through the operations layer for ``--seconds``: the teacher's
  ``create_request`` and the leader's ``approve`` (invoice: reserve, spend, licence, commit)
  against the *same* school allocation, so every purchase queues on the same locked ledger
  rows. A refused purchase (budget spent) is counted, not retried.
* ``boundary``: 32 clients buy until refused from an allocation with room for exactly
  ``--room`` purchases: ``bought`` must equal ``room``.
* ``overspend_ore``: spent minus allocated over every school (0 means no overspend) and the
  ledger check after each run (``ledger_problems`` must be 0).
* ``pgbench``: ``pgbench -i`` then ``pgbench -N -c 8 -j 2 -T <seconds>`` (simple update) on
  the same cluster in the same run; ``ratio_8`` / ``ratio_32`` = purchases/s ÷ pgbench tps
  (target >= 0.2).

Prints one JSON object on stdout; progress goes to stderr::

    .venv/bin/python bench/purchases.py
    .venv/bin/python bench/purchases.py --seconds 5 --clients 8 32
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
for folder in (REPO, REPO / "tests"):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))

from purchasing_support import fund_school, make_offer, principal  # noqa: E402
from sqlalchemy import create_engine, func, select  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from factories import make_class, make_publisher, make_school, make_user  # noqa: E402
from pgcluster import PostgresCluster  # noqa: E402
from server import database  # noqa: E402
from server.app import create_app  # noqa: E402
from server.extensions import db  # noqa: E402
from server.identity.principal import Principal  # noqa: E402
from server.ledger.models import LedgerAccountRow  # noqa: E402
from server.ledger.postings import check_ledger  # noqa: E402
from server.purchasing import operations as purchasing  # noqa: E402
from server.purchasing.errors import InsufficientBudget  # noqa: E402

PRICE_ORE = 1_000  # net; 50 % subsidy: 500 øre of grant and 500 of own money a purchase
TARGET_RATIO = 0.2


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


class Shop:
    """One funded school with a teacher, a leader and a pupil-licence offer."""

    def __init__(self, session: Session, admin: Principal, publisher: Any, room: int) -> None:
        school = make_school(session, "751")
        self.class_id = make_class(session, school).id
        self.teacher = principal(session, make_user(session, "teacher", school=school))
        self.leader = principal(session, make_user(session, "school_leader", school=school))
        self.offer_id = make_offer(session, publisher, price_ore=PRICE_ORE, licence_type="pupil").id
        half = room * PRICE_ORE // 2
        fund_school(session, admin, school, grant_ore=half, own_ore=half)

    def buy(self, session: Session) -> bool:
        request = purchasing.create_request(
            session, self.teacher, offer_id=self.offer_id, quantity=1, reason="bench",
            school_class_id=self.class_id,
        )  # fmt: skip
        try:
            purchasing.approve(session, self.leader, request.id, gateway=None)
        except InsufficientBudget:
            session.rollback()
            return False
        return True


def _client_threads(
    url: str,
    shop: Shop,
    clients: int,
    begin_at: float,
    seconds: float | None,
    stop_when_refused: bool,
    results: Any,
) -> None:
    """``clients`` threads, each with its own connection, buying from ``begin_at`` on."""
    engine = create_engine(url, pool_size=clients, max_overflow=0)
    bought = [0] * clients
    refused = [0] * clients
    errors: list[str] = []
    deadline = begin_at + (seconds or 0)

    def client(index: int) -> None:
        with Session(engine) as session:
            time.sleep(max(0.0, begin_at - time.time()))
            while seconds is None or time.time() < deadline:
                try:
                    if shop.buy(session):
                        bought[index] += 1
                    else:
                        refused[index] += 1
                        if stop_when_refused:
                            return
                except Exception as error:
                    session.rollback()
                    errors.append(f"{type(error).__name__}: {error}"[:200])
                    return

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    engine.dispose()
    results.put({"bought": sum(bought), "refused": sum(refused), "errors": errors,
                 "ended": time.time()})  # fmt: skip


def run_clients(
    url: Any,
    shop: Shop,
    clients: int,
    *,
    seconds: float | None,
    stop_when_refused: bool,
    processes: int,
) -> dict[str, Any]:
    """``clients`` clients spread over ``processes`` forked processes (so Python's GIL is
    not the limit), each client a thread with its own connection."""
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    begin_at = time.time() + 1.0
    url_text = (
        url.render_as_string(hide_password=False) if hasattr(url, "render_as_string") else str(url)
    )
    shares = [
        clients // processes + (1 if i < clients % processes else 0) for i in range(processes)
    ]
    children = [
        context.Process(
            target=_client_threads,
            args=(url_text, shop, share, begin_at, seconds, stop_when_refused, results),
        )
        for share in shares
        if share
    ]
    for child in children:
        child.start()
    done = [results.get(timeout=600) for _ in children]
    for child in children:
        child.join()
    elapsed = max(d["ended"] for d in done) - begin_at
    bought = sum(d["bought"] for d in done)
    errors = [e for d in done for e in d["errors"]]
    return {
        "clients": clients,
        "processes": len(children),
        "seconds": round(elapsed, 3),
        "bought": bought,
        "refused": sum(d["refused"] for d in done),
        "errors": len(errors),
        "first_errors": errors[:3],
        "purchases_per_s": round(bought / elapsed, 1),
    }


def overspend_ore(session: Session) -> int:
    """Money spent or reserved beyond what was allocated (0 = none), over every school."""
    session.expire_all()
    negative = session.scalar(
        select(func.coalesce(func.sum(LedgerAccountRow.balance_ore), 0)).where(
            LedgerAccountRow.balance_ore < 0, ~LedgerAccountRow.allow_negative
        )
    )
    return -int(negative or 0)


def pgbench(cluster: PostgresCluster, seconds: int) -> dict[str, Any]:
    cluster.execute("CREATE DATABASE pgbench")
    tool = str(cluster.bindir / "pgbench")
    connect = ["-h", "127.0.0.1", "-p", str(cluster.port), "-U", "postgres"]
    subprocess.run(
        [tool, *connect, "-i", "-q", "pgbench"], check=True, capture_output=True, timeout=300
    )
    done = subprocess.run(
        [tool, *connect, "-N", "-c", "8", "-j", "2", "-T", str(seconds), "pgbench"],
        check=True, capture_output=True, text=True, timeout=seconds + 120,
    )  # fmt: skip
    found = re.search(r"tps = ([0-9.]+) \(without initial connection time\)", done.stdout)
    if found is None:
        raise RuntimeError(f"pgbench said: {done.stdout[-500:]}")
    return {"command": f"pgbench -N -c 8 -j 2 -T {seconds}", "tps": float(found.group(1))}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 8, 32])
    parser.add_argument("--seconds", type=float, default=10.0, help="per timed run")
    parser.add_argument("--room", type=int, default=200, help="purchases the boundary allows")
    parser.add_argument(
        "--processes", type=int, default=2, help="client processes (threads within them)"
    )
    args = parser.parse_args(argv)

    log("starting a throwaway PostgreSQL cluster …")
    cluster = PostgresCluster.start()
    try:
        cluster.execute("CREATE DATABASE bench")
        app = create_app(
            {
                "SQLALCHEMY_DATABASE_URI": cluster.url("bench"),
                "SECRET_KEY": "bench-only",
                "SKOLEHYLDE_ENV": "test",
                "PUBLIC_BASE_URL": "http://skolehylde.bench",
            }
        )
        database.upgrade(app)
        with app.app_context():
            session: Session = db.session  # type: ignore[assignment]
            url = db.engine.url
            admin = principal(session, make_user(session, "platform_admin"))
            publisher = make_publisher(session)
            results: dict[str, Any] = {"purchases": [], "price_ore": PRICE_ORE}
            for clients in args.clients:
                shop = Shop(session, admin, publisher, room=10_000_000)
                log(f"{clients} clients buying for {args.seconds:g} s …")
                run = run_clients(
                    url, shop, clients, seconds=args.seconds, stop_when_refused=False,
                    processes=args.processes,
                )  # fmt: skip
                run["overspend_ore"] = overspend_ore(session)
                results["purchases"].append(run)
                log(f"  {run['purchases_per_s']} purchases/s")
            shop = Shop(session, admin, publisher, room=args.room)
            log(f"boundary: 32 clients against room for {args.room} …")
            boundary = run_clients(
                url, shop, 32, seconds=None, stop_when_refused=True, processes=args.processes
            )
            boundary["room"] = args.room
            boundary["exact"] = boundary["bought"] == args.room
            results["boundary"] = boundary
            results["overspend_ore"] = overspend_ore(session)
            results["ledger_problems"] = len(check_ledger(session))
            db.session.remove()
            db.engine.dispose()
        log("pgbench simple-update …")
        results["pgbench"] = pgbench(cluster, int(args.seconds))
        tps = results["pgbench"]["tps"]
        for run in results["purchases"]:
            results[f"ratio_{run['clients']}"] = round(run["purchases_per_s"] / tps, 4)
        results["target_ratio"] = TARGET_RATIO
        results["load_average_1m"] = round(os.getloadavg()[0], 2)
        results["cpus"] = os.cpu_count()
    finally:
        cluster.stop()
        log("PostgreSQL cluster stopped")
    json.dump(results, sys.stdout, indent=2, ensure_ascii=False)
    print()
    return 0 if results["overspend_ore"] == 0 and results["boundary"]["exact"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
