"""Reads for the buyer reports: ledger balances, order-line facts, claim rows, spend over time.

Read-only. Days are Copenhagen calendar days (a payment at 23:30 UTC on 31 December counts on
1 January). The ledger and order tables are the purchasing area's (``server/ledger``,
``server/purchasing``); their docstrings say what each column means.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from catalogue.vocabulary import SUBJECTS
from server.catalogue.models import ProductGoalTagRow, ProductRow, utc
from server.catalogue.queries import tagged_goals
from server.ledger.models import LedgerAccountRow, LedgerEntryRow, LedgerTransactionRow
from server.organisations.models import PublisherRow, SchoolRow
from server.payments.payouts import Month, SaleLine
from server.purchasing.models import OrderLineRow, OrderRow
from server.reports.figures import ClaimRow, LineFact, SpendPoint, Totals, cumulative

COPENHAGEN = ZoneInfo("Europe/Copenhagen")


def local_day(moment: datetime) -> date:
    aware = utc(moment)
    if aware is None:
        raise ValueError("no timestamp")
    day: date = aware.astimezone(COPENHAGEN).date()
    return day


def day_start(day: date) -> datetime:
    """The first instant of a Copenhagen day, in UTC (as timestamps are stored)."""
    return datetime.combine(day, time(0), tzinfo=COPENHAGEN).astimezone(UTC)


def totals(
    session: Session, *, municipality_code: str, school_id: uuid.UUID | None = None
) -> Totals:
    """Spent, reserved, remaining, subsidy used from the ledger's cached balances.

    The same figures as the budget endpoints (``server.budgets.operations``): a school's
    remaining is its allocation not yet used; a municipality's adds what it has not allocated.
    """
    query = (
        select(LedgerAccountRow.kind, LedgerAccountRow.fund, func.sum(LedgerAccountRow.balance_ore))
        .where(LedgerAccountRow.municipality_code == municipality_code)
        .group_by(LedgerAccountRow.kind, LedgerAccountRow.fund)
    )
    if school_id is not None:
        query = query.where(LedgerAccountRow.school_id == school_id)
    balance: dict[tuple[str, str], int] = defaultdict(int)
    for kind, fund, amount in session.execute(query):
        balance[(kind, fund)] += int(amount or 0)

    def kind_total(kind: str) -> int:
        return balance[(kind, "grant")] + balance[(kind, "own")]

    spent, reserved, at_schools = kind_total("spent"), kind_total("reserved"), kind_total("school")
    unallocated = 0 if school_id is not None else kind_total("municipality")
    return Totals(
        allocated_ore=spent + reserved + at_schools,
        spent_ore=spent,
        reserved_ore=reserved,
        # as the budget endpoint: a municipality's remaining includes what it has not allocated
        remaining_ore=at_schools + unallocated,
        subsidy_used_ore=balance[("spent", "grant")],
        subsidy_reserved_ore=balance[("reserved", "grant")],
        unallocated_ore=unallocated,
    )


def school_ids_of(session: Session, municipality_code: str) -> list[SchoolRow]:
    return list(
        session.scalars(
            select(SchoolRow)
            .where(SchoolRow.municipality_code == municipality_code)
            .order_by(SchoolRow.name, SchoolRow.id)
        )
    )


def _lines_query(municipality_code: str, school_id: uuid.UUID | None) -> Any:
    query = (
        select(OrderLineRow, OrderRow)
        .join(OrderRow, OrderRow.id == OrderLineRow.order_id)
        .where(OrderRow.municipality_code == municipality_code)
        .where(OrderRow.status.in_(("paid", "reserved")))
        .order_by(OrderRow.created_at, OrderRow.id, OrderLineRow.id)
    )
    if school_id is not None:
        query = query.where(OrderRow.school_id == school_id)
    return query


def line_facts(
    session: Session,
    *,
    municipality_code: str,
    school_id: uuid.UUID | None = None,
    since: date | None = None,
    until: date | None = None,
) -> list[LineFact]:
    """Every line of the paid and reserved orders, with subjects and competence areas."""
    rows: list[tuple[OrderLineRow, OrderRow]] = [
        (line, order) for line, order in session.execute(_lines_query(municipality_code, school_id))
    ]
    product_ids = sorted({line.product_id for line, _ in rows})
    publisher_ids = sorted({line.publisher_id for line, _ in rows})
    products = {
        p.id: p for p in session.scalars(select(ProductRow).where(ProductRow.id.in_(product_ids)))
    } if product_ids else {}  # fmt: skip
    publishers = {
        p.id: p
        for p in session.scalars(select(PublisherRow).where(PublisherRow.id.in_(publisher_ids)))
    } if publisher_ids else {}  # fmt: skip
    areas = competence_areas(session, product_ids)
    facts = []
    for line, order in rows:
        moment = order.paid_at if order.status == "paid" and order.paid_at else order.created_at
        day = local_day(moment)
        if (since and day < since) or (until and day > until):
            continue
        product = products.get(line.product_id)
        subjects = [
            SUBJECTS.label(code) if code in SUBJECTS else str(code)
            for code in (product.listing.get("subjects", []) if product else [])
        ]
        publisher = publishers.get(line.publisher_id)
        facts.append(
            LineFact(
                order_id=order.id,
                status=order.status,
                day=day,
                school_id=order.school_id,
                publisher_id=line.publisher_id,
                publisher_name=publisher.name if publisher else str(line.publisher_id),
                product_id=line.product_id,
                product_title=product.title if product else line.description,
                subjects=tuple(subjects),
                competence_areas=tuple(areas.get(line.product_id, ())),
                net_ore=line.net_ore,
                subsidy_ore=line.subsidy_ore,
            )
        )
    return facts


def competence_areas(
    session: Session, product_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[str]]:
    """Each product's competence areas: its goal tags' competence-area ancestors (closure)."""
    if not product_ids:
        return {}
    tags = list(
        session.execute(
            select(ProductGoalTagRow.product_id, ProductGoalTagRow.goal_id).where(
                ProductGoalTagRow.product_id.in_(product_ids)
            )
        )
    )
    goals = tagged_goals(session, [goal_id for _, goal_id in tags])
    found: dict[uuid.UUID, set[str]] = defaultdict(set)
    for product_id, goal_id in tags:
        goal = goals.get(goal_id)
        if goal is not None and goal.competence_area_name:
            found[product_id].add(goal.competence_area_name)
    return {product_id: sorted(names) for product_id, names in found.items()}


def claim_rows(
    session: Session, *, municipality_code: str, since: date, until: date
) -> list[ClaimRow]:
    """The subsidy claim: every line of the orders paid (and not cancelled) in the period."""
    query = (
        select(OrderLineRow, OrderRow, SchoolRow, PublisherRow, ProductRow)
        .join(OrderRow, OrderRow.id == OrderLineRow.order_id)
        .join(SchoolRow, SchoolRow.id == OrderRow.school_id)
        .join(PublisherRow, PublisherRow.id == OrderLineRow.publisher_id)
        .join(ProductRow, ProductRow.id == OrderLineRow.product_id)
        .where(OrderRow.municipality_code == municipality_code)
        .where(OrderRow.status == "paid")
        .where(OrderRow.paid_at >= day_start(since))
        .where(OrderRow.paid_at < day_start(date.fromordinal(until.toordinal() + 1)))
    )
    rows = []
    for line, order, school, publisher, product in session.execute(query):
        if order.paid_at is None:
            continue
        rows.append(
            ClaimRow(
                paid_on=local_day(order.paid_at),
                order_id=order.id,
                invoice_reference=order.invoice_number or order.payment_reference or "",
                school_name=school.name,
                institution_number=school.institution_number,
                publisher_name=publisher.name,
                publisher_cvr=publisher.cvr,
                product_title=product.title,
                quantity=line.quantity,
                net_ore=line.net_ore,
                subsidy_ore=line.subsidy_ore,
                own_ore=line.own_ore,
            )
        )
    rows.sort(key=lambda r: (r.paid_on, r.school_name, str(r.order_id), r.product_title))
    return rows


def spend_over_time(
    session: Session, *, municipality_code: str, school_id: uuid.UUID | None = None
) -> list[SpendPoint]:
    """Budget, spent and reserved per day, from every ledger entry of the tenant's accounts.

    The budget is the money that has come into the tenant's accounts from outside (grants and
    own funds; for a school, its allocations): moves between its own accounts cancel out.
    """
    query = (
        select(
            LedgerTransactionRow.created_at,
            LedgerTransactionRow.kind,
            LedgerAccountRow.kind,
            LedgerEntryRow.amount_ore,
        )
        .join(LedgerEntryRow, LedgerEntryRow.transaction_id == LedgerTransactionRow.id)
        .join(LedgerAccountRow, LedgerAccountRow.id == LedgerEntryRow.account_id)
        .where(LedgerAccountRow.municipality_code == municipality_code)
        .where(LedgerAccountRow.kind != "external")
    )
    inside = (
        ("school", "reserved", "spent")
        if school_id
        else ("municipality", "school", "reserved", "spent")
    )
    if school_id is not None:
        query = query.where(LedgerAccountRow.school_id == school_id)
    changes: list[tuple[date, str, int]] = []
    for created_at, _transaction_kind, account_kind, amount in session.execute(query):
        day = local_day(created_at)
        if account_kind in inside:
            changes.append((day, "budget", int(amount)))
        if account_kind in ("spent", "reserved"):
            changes.append((day, account_kind, int(amount)))
    return cumulative(changes)


def sale_lines(session: Session, month: Month) -> list[SaleLine]:
    """Order lines paid or refunded in ``month`` (Copenhagen days), for publisher payouts."""
    start, end = day_start(month.first_day), day_start(month.next_first_day)
    query = (
        select(OrderLineRow, OrderRow)
        .join(OrderRow, OrderRow.id == OrderLineRow.order_id)
        .where(OrderRow.paid_at.is_not(None))
        .where(
            ((OrderRow.paid_at >= start) & (OrderRow.paid_at < end))
            | ((OrderRow.cancelled_at >= start) & (OrderRow.cancelled_at < end))
        )
    )
    return [
        SaleLine(
            order_id=order.id,
            publisher_id=line.publisher_id,
            product_id=line.product_id,
            description=line.description,
            net_ore=line.net_ore,
            paid_on=local_day(order.paid_at) if order.paid_at else None,
            refunded_on=local_day(order.cancelled_at) if order.cancelled_at else None,
        )
        for line, order in session.execute(query)
    ]


def schools_by_id(schools: Iterable[SchoolRow]) -> dict[uuid.UUID, SchoolRow]:
    return {school.id: school for school in schools}
