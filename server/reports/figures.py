"""Buyer reports, the pure part: totals, breakdowns, concentration, the subsidy claim's rows.

No Flask, no database: ``server.reports.queries`` loads the facts, this module adds them up.
All amounts are integer øre excluding VAT, as in the ledger.

* **Totals** come from the ledger's balances (``server/ledger/models.py`` says how): spent,
  reserved, remaining (neither spent nor reserved: a school's allocation not yet used, and for
  a municipality also what it has not allocated to any school yet, ``unallocated``), subsidy
  used (spent from the grant fund). They equal the budget endpoints' figures.
* **Breakdowns** by subject, publisher and competence area come from the order lines of paid
  (spent) and reserved orders. A product with two subjects (or two competence areas) has its
  amounts split evenly between them, the odd øre going to the first in alphabetical order, so
  each breakdown adds up to the totals exactly; a product tagged to no goal counts under
  "Uden kompetenceområde".
* **Concentration**: committed spend (spent + reserved) per publisher against the procurement
  threshold (``PROCUREMENT_THRESHOLD_ORE``): a warning from 80 % of it, "over" from 100 %.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date

NO_COMPETENCE_AREA = "Uden kompetenceområde"
NO_SUBJECT = "Uden fag"
WARN_AT_PERCENT = 80


@dataclass(frozen=True, slots=True)
class Totals:
    allocated_ore: int
    spent_ore: int
    reserved_ore: int
    remaining_ore: int
    subsidy_used_ore: int
    subsidy_reserved_ore: int
    unallocated_ore: int = 0  # municipality only: funds not allocated to a school


@dataclass(frozen=True, slots=True)
class LineFact:
    """One order line of a paid or reserved order, with what the breakdowns group by."""

    order_id: uuid.UUID
    status: str  # "paid" | "reserved"
    day: date  # paid: the payment's date; reserved: the order's
    school_id: uuid.UUID
    publisher_id: uuid.UUID
    publisher_name: str
    product_id: uuid.UUID
    product_title: str
    subjects: tuple[str, ...]  # Danish labels
    competence_areas: tuple[str, ...]
    net_ore: int
    subsidy_ore: int


@dataclass(frozen=True, slots=True)
class BreakdownRow:
    key: str
    label: str
    spent_ore: int
    reserved_ore: int
    subsidy_used_ore: int


def split_evenly(amount_ore: int, parts: int) -> list[int]:
    """``amount_ore`` in ``parts`` whole-øre shares that add up exactly, larger shares first."""
    if parts <= 0:
        raise ValueError("parts must be positive")
    base, remainder = divmod(amount_ore, parts)
    return [base + 1 if index < remainder else base for index in range(parts)]


def breakdown(
    facts: Iterable[LineFact], keys: Callable[[LineFact], Sequence[tuple[str, str]]]
) -> list[BreakdownRow]:
    """Group ``facts`` by ``keys(fact)`` (``(key, label)`` pairs, split evenly), by spend."""
    spent: dict[str, int] = defaultdict(int)
    reserved: dict[str, int] = defaultdict(int)
    subsidy: dict[str, int] = defaultdict(int)
    labels: dict[str, str] = {}
    for fact in facts:
        pairs = sorted(set(keys(fact)))
        labels.update(pairs)
        amounts = split_evenly(fact.net_ore, len(pairs))
        subsidies = split_evenly(fact.subsidy_ore, len(pairs))
        for (key, _label), amount, share in zip(pairs, amounts, subsidies, strict=True):
            if fact.status == "paid":
                spent[key] += amount
                subsidy[key] += share
            else:
                reserved[key] += amount
    rows = [
        BreakdownRow(key, labels[key], spent[key], reserved[key], subsidy[key]) for key in labels
    ]
    rows.sort(key=lambda row: (-(row.spent_ore + row.reserved_ore), row.label, row.key))
    return rows


def by_subject(facts: Iterable[LineFact]) -> list[BreakdownRow]:
    return breakdown(facts, lambda f: [(s, s) for s in f.subjects] or [(NO_SUBJECT, NO_SUBJECT)])


def by_publisher(facts: Iterable[LineFact]) -> list[BreakdownRow]:
    return breakdown(facts, lambda f: [(str(f.publisher_id), f.publisher_name)])


def by_competence_area(facts: Iterable[LineFact]) -> list[BreakdownRow]:
    return breakdown(
        facts,
        lambda f: (
            [(a, a) for a in f.competence_areas] or [(NO_COMPETENCE_AREA, NO_COMPETENCE_AREA)]
        ),
    )


@dataclass(frozen=True, slots=True)
class Concentration:
    publisher_id: uuid.UUID
    publisher_name: str
    committed_ore: int  # spent + reserved
    share_bps: int  # of the municipality's committed spend, in basis points (rounded down)
    threshold_ore: int
    threshold_percent: int  # committed / threshold, whole percent (rounded down)
    level: str  # "ok" | "warning" | "over"
    message: str | None


def concentration(facts: Iterable[LineFact], threshold_ore: int) -> list[Concentration]:
    """Committed spend per publisher, largest first, flagged against the threshold."""
    if threshold_ore <= 0:
        raise ValueError("threshold_ore must be positive")
    committed: dict[uuid.UUID, int] = defaultdict(int)
    names: dict[uuid.UUID, str] = {}
    for fact in facts:
        committed[fact.publisher_id] += fact.net_ore
        names[fact.publisher_id] = fact.publisher_name
    total = sum(committed.values())
    found = []
    for publisher_id, amount in committed.items():
        percent = amount * 100 // threshold_ore
        level = "over" if percent >= 100 else "warning" if percent >= WARN_AT_PERCENT else "ok"
        message = None
        if level != "ok":
            message = (
                f"Kommunens køb hos {names[publisher_id]} er {percent} % af tærskelværdien for"
                f" udbud ({format_kr(threshold_ore)} kr.)"
                + (": køb herover kræver udbud." if level == "over" else ": tæt på grænsen.")
            )
        found.append(
            Concentration(
                publisher_id=publisher_id,
                publisher_name=names[publisher_id],
                committed_ore=amount,
                share_bps=amount * 10_000 // total if total else 0,
                threshold_ore=threshold_ore,
                threshold_percent=percent,
                level=level,
                message=message,
            )
        )
    found.sort(key=lambda c: (-c.committed_ore, c.publisher_name, str(c.publisher_id)))
    return found


# --------------------------------------------------------------------------- the claim


@dataclass(frozen=True, slots=True)
class ClaimRow:
    """One purchase (an order line of a paid order) as the subsidy claim lists it."""

    paid_on: date
    order_id: uuid.UUID
    invoice_reference: str  # the invoice number, or the card payment's reference
    school_name: str
    institution_number: str
    publisher_name: str
    publisher_cvr: str
    product_title: str
    quantity: int
    net_ore: int
    subsidy_ore: int
    own_ore: int


CLAIM_HEADERS = (
    "Betalt dato",
    "Ordre",
    "Faktura/betaling",
    "Skole",
    "Institutionsnummer",
    "Forlag",
    "CVR",
    "Produkt",
    "Antal",
    "Beløb ekskl. moms (kr.)",
    "Tilskud (kr.)",
    "Egenbetaling (kr.)",
)


def claim_totals(rows: Sequence[ClaimRow]) -> tuple[int, int, int]:
    return (
        sum(row.net_ore for row in rows),
        sum(row.subsidy_ore for row in rows),
        sum(row.own_ore for row in rows),
    )


def format_kr(ore: int, *, decimal: str = ",", thousands: str = ".") -> str:
    """Øre as kroner with two decimals, exactly: ``123456`` → ``"1.234,56"``."""
    sign = "-" if ore < 0 else ""
    whole, cents = divmod(abs(ore), 100)
    grouped = f"{whole:,}".replace(",", thousands)
    return f"{sign}{grouped}{decimal}{cents:02d}"


# --------------------------------------------------------------------------- over time


@dataclass(frozen=True, slots=True)
class SpendPoint:
    day: date
    budget_ore: int  # the municipality's (or school's) money so far: grants, own funds
    spent_ore: int
    reserved_ore: int


def cumulative(changes: Iterable[tuple[date, str, int]]) -> list[SpendPoint]:
    """Running totals per day from ``(day, "budget"|"spent"|"reserved", øre)`` changes."""
    per_day: dict[date, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for day, kind, amount in changes:
        per_day[day][kind] += amount
    points = []
    budget = spent = reserved = 0
    for day in sorted(per_day):
        budget += per_day[day]["budget"]
        spent += per_day[day]["spent"]
        reserved += per_day[day]["reserved"]
        points.append(SpendPoint(day, budget, spent, reserved))
    return points
