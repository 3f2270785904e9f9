"""Random sequences of allocate, request, approve (invoice or card), webhooks (in order,
repeated, out of order), pay, cancel, abandoned-payment sweeps and the school-year rollover,
with the invariants checked after every step (on SQLite and PostgreSQL):

* the ledger is right: every transaction sums to zero, cached balances equal the sum of
  entries, no account that must not go negative is;
* an order has active licences exactly when it is paid (and not cancelled);
* a repeated webhook changes nothing.
"""

from __future__ import annotations

import itertools
import uuid

from apiflask import APIFlask
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    invariant,
    rule,
    run_state_machine_as_test,
)
from purchasing_support import (
    FakePaymentGateway,
    counts,
    make_offer,
    principal,
    programme,
    sign,
    webhook_body,
)
from sqlalchemy import select
from sqlalchemy.orm import Session

from factories import make_class, make_publisher, make_school, make_user
from server.budgets import operations as budgets
from server.errors import ApiError
from server.extensions import db
from server.ledger.postings import check_ledger
from server.licensing import operations as licensing
from server.licensing.models import LicenceRow
from server.organisations import operations as organisations
from server.payments.interfaces import PaymentStatus
from server.purchasing import operations as purchasing
from server.purchasing.models import OrderRow

_events = itertools.count()


class Purchasing(RuleBasedStateMachine):
    requests = Bundle("requests")
    orders = Bundle("orders")

    def __init__(self) -> None:
        super().__init__()
        session: Session = db.session  # type: ignore[assignment]
        self.session = session
        self.gateway = FakePaymentGateway()
        self.school = make_school(session, "751")
        self.school_class = make_class(session, self.school, "4.B", 4)
        self.admin = principal(session, make_user(session, "platform_admin"))
        self.teacher = principal(session, make_user(session, "teacher", school=self.school))
        self.leader = principal(session, make_user(session, "school_leader", school=self.school))
        publisher = make_publisher(session)
        self.offers = [
            make_offer(session, publisher, price_ore=1_000, licence_type="pupil"),
            make_offer(session, publisher, price_ore=2_501, licence_type="class", eligible=False),
            make_offer(session, publisher, price_ore=333, licence_type="school"),
        ]
        self.programme = programme(session, self.admin)
        budgets.update_settings(session, self.admin, "751", ean="5790000000012")
        self.delivered: list[bytes] = []
        self.rolled = False

    @rule(amount=st.integers(1, 5_000), fund=st.sampled_from(["grant", "own"]))
    def allocate(self, amount: int, fund: str) -> None:
        if fund == "grant":
            granted = sum(g.amount_ore for g in budgets.grants_of(self.session, "751"))
            budgets.set_grant(self.session, self.admin, self.programme.id, "751",
                              amount_ore=granted + amount)  # fmt: skip
        else:
            budgets.add_own_funds(self.session, self.admin, "751", amount)
        budgets.allocate(self.session, self.admin, "751", school_id=self.school.id, fund=fund,
                         amount_ore=amount)  # fmt: skip

    @rule(target=requests, offer=st.integers(0, 2), quantity=st.integers(1, 3))
    def request(self, offer: int, quantity: int) -> uuid.UUID:
        row = purchasing.create_request(
            self.session, self.teacher, offer_id=self.offers[offer].id, quantity=quantity,
            reason="test", school_class_id=self.school_class.id,
        )  # fmt: skip
        return row.id

    @rule(target=orders, request_id=requests, card=st.booleans())
    def approve(self, request_id: uuid.UUID, card: bool) -> uuid.UUID | None:
        before = counts(self.session)
        try:
            order = purchasing.approve(
                self.session, self.leader, request_id, gateway=self.gateway,
                payment_method="card" if card else "invoice",
            )  # fmt: skip
        except ApiError:
            self.session.rollback()
            assert counts(self.session) == before
            return None
        return order.id

    def _order(self, order_id: uuid.UUID | None) -> OrderRow | None:
        if order_id is None:
            return None
        self.session.expire_all()
        return self.session.get(OrderRow, order_id)

    @rule(order_id=orders, status=st.sampled_from(["succeeded", "failed", "canceled", "refunded"]))
    def webhook(self, order_id: uuid.UUID | None, status: str) -> None:
        order = self._order(order_id)
        if order is None or order.payment_reference is None or order.payment_method != "card":
            return
        body = webhook_body(f"evt_{next(_events)}", order.payment_reference, status)
        self.delivered.append(body)
        purchasing.handle_webhook(self.session, self.gateway, body, sign(body))

    @rule(data=st.data())
    def replay(self, data: st.DataObject) -> None:
        if not self.delivered:
            return
        body = data.draw(st.sampled_from(self.delivered))
        before = counts(self.session)
        outcome = purchasing.handle_webhook(self.session, self.gateway, body, sign(body))
        assert outcome.outcome == "duplicate"
        assert counts(self.session) == before

    @rule(order_id=orders)
    def pay(self, order_id: uuid.UUID | None) -> None:
        order = self._order(order_id)
        if order is None or order.payment_reference not in self.gateway.payments:
            return
        payment = self.gateway.payments[order.payment_reference]
        if payment.status is PaymentStatus.REQUIRES_ACTION:
            self.gateway.settle(order.payment_reference, PaymentStatus.SUCCEEDED)
        purchasing.pay(self.session, self.teacher, order.id, self.gateway)

    @rule(order_id=orders)
    def cancel(self, order_id: uuid.UUID | None) -> None:
        if order_id is None:
            return
        try:
            purchasing.cancel(self.session, self.leader, order_id, self.gateway)
        except ApiError:
            self.session.rollback()

    @rule()
    def sweep(self) -> None:
        from datetime import timedelta

        purchasing.release_abandoned(self.session, self.gateway, older_than=timedelta(0))

    @rule()
    def rollover(self) -> None:
        if self.rolled:
            return
        organisations.rollover_school_year(
            self.session, self.leader, self.school.id, from_school_year="2026/27"
        )
        licensing.rollover_licences(self.session, self.school.id)
        self.rolled = True

    @invariant()
    def ledger_is_right(self) -> None:
        assert check_ledger(self.session) == []

    @invariant()
    def licences_exist_iff_paid(self) -> None:
        self.session.expire_all()
        orders = self.session.scalars(
            select(OrderRow).where(OrderRow.school_id == self.school.id)
        ).all()
        for order in orders:
            active = self.session.scalars(
                select(LicenceRow.id).where(
                    LicenceRow.order_id == order.id, LicenceRow.status == "active"
                )
            ).all()
            assert (len(active) == 1) == (order.status == "paid"), (order.status, len(active))


def test_purchasing_state_machine(app: APIFlask) -> None:
    run_state_machine_as_test(
        Purchasing,
        settings=settings(
            max_examples=30, stateful_step_count=30, deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )  # fmt: skip
