"""50 concurrent purchases against one school allocation with room for exactly 20, on
PostgreSQL: each attempt is a thread with its own connection running the real approve
operation. Exactly 20 succeed, nothing is overspent, the ledger balances."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from apiflask import APIFlask
from purchasing_support import fund_school, make_offer, pg_app, principal
from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session

from factories import make_class, make_publisher, make_school, make_user
from server.extensions import db
from server.ledger.models import LedgerAccountRow
from server.ledger.postings import check_ledger
from server.licensing.models import LicenceRow
from server.purchasing import operations as purchasing
from server.purchasing.errors import InsufficientBudget
from server.purchasing.models import OrderRow

__all__ = ["pg_app"]  # the fixture
ATTEMPTS, ROOM = 50, 20
PRICE = 1_000  # net øre; 50 % subsidy → 500 grant + 500 own each


def test_fifty_concurrent_purchases_exactly_twenty_succeed(pg_app: APIFlask) -> None:
    session: Session = db.session  # type: ignore[assignment]
    school = make_school(session, "751")
    school_class = make_class(session, school)
    admin = principal(session, make_user(session, "platform_admin"))
    teacher = principal(session, make_user(session, "teacher", school=school))
    leader = principal(session, make_user(session, "school_leader", school=school))
    offer = make_offer(session, make_publisher(session), price_ore=PRICE, licence_type="pupil")
    fund_school(session, admin, school, grant_ore=ROOM * PRICE // 2, own_ore=ROOM * PRICE // 2)
    requests = [
        purchasing.create_request(
            session, teacher, offer_id=offer.id, quantity=1, reason=f"nr. {n}",
            school_class_id=school_class.id,
        ).id
        for n in range(ATTEMPTS)
    ]  # fmt: skip
    engine = create_engine(db.engine.url, pool_size=ATTEMPTS, max_overflow=0)
    start = threading.Barrier(ATTEMPTS)

    def attempt(request_id: object) -> str:
        with Session(engine) as own:
            start.wait()
            try:
                purchasing.approve(own, leader, request_id, gateway=None)  # type: ignore[arg-type]
            except InsufficientBudget:
                return "refused"
            return "bought"

    with ThreadPoolExecutor(ATTEMPTS) as pool:
        outcomes = list(pool.map(attempt, requests))
    engine.dispose()

    assert outcomes.count("bought") == ROOM
    assert outcomes.count("refused") == ATTEMPTS - ROOM
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(OrderRow)) == ROOM
    assert session.scalar(select(func.count()).select_from(LicenceRow)) == ROOM
    negative = session.scalar(
        select(func.count()).where(
            LedgerAccountRow.balance_ore < 0, ~LedgerAccountRow.allow_negative
        )
    )
    assert negative == 0
    spent = session.scalar(
        select(func.sum(LedgerAccountRow.balance_ore)).where(LedgerAccountRow.kind == "spent")
    )
    assert spent == ROOM * PRICE
    assert check_ledger(session) == []
