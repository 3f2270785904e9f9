"""Ledger rules, with no database and no Flask: what a valid transaction is, and how money
is split. Integer øre only.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

BASIS_POINTS = 10_000


class LedgerError(ValueError):
    """A transaction that must not be posted (a programming error or refused input)."""


class InsufficientFunds(LedgerError):
    """An account that must not go negative would. ``account_key`` names it."""

    def __init__(self, account_key: str, balance_ore: int, change_ore: int) -> None:
        super().__init__(f"{account_key}: balance {balance_ore} øre cannot take {change_ore} øre")
        self.account_key = account_key
        self.balance_ore = balance_ore
        self.change_ore = change_ore


@dataclass(frozen=True, slots=True)
class Line:
    """One entry: ``amount_ore`` into (positive) or out of (negative) an account."""

    account_key: str
    amount_ore: int


def check_lines(lines: Sequence[Line]) -> None:
    """Raise ``LedgerError`` unless the lines are a valid double-entry transaction."""
    if len(lines) < 2:
        raise LedgerError("a transaction has at least two entries")
    for line in lines:
        if isinstance(line.amount_ore, bool) or not isinstance(line.amount_ore, int):
            raise LedgerError(f"{line.account_key}: amounts are int øre")
        if line.amount_ore == 0:
            raise LedgerError(f"{line.account_key}: an entry of 0 øre says nothing")
    if sum(line.amount_ore for line in lines) != 0:
        raise LedgerError("the entries of a transaction must sum to zero")


def merge(lines: Iterable[Line]) -> list[Line]:
    """Lines with one entry per account (zero sums dropped), in first-seen order."""
    totals: dict[str, int] = {}
    for line in lines:
        totals[line.account_key] = totals.get(line.account_key, 0) + line.amount_ore
    return [Line(key, amount) for key, amount in totals.items() if amount != 0]


def move(source: str, target: str, amount_ore: int) -> list[Line]:
    """Move ``amount_ore`` from ``source`` to ``target`` (no lines for 0)."""
    if amount_ore == 0:
        return []
    return [Line(source, -amount_ore), Line(target, amount_ore)]


def reversal_of(lines: Iterable[Line]) -> list[Line]:
    """The lines that undo ``lines`` exactly."""
    return [Line(line.account_key, -line.amount_ore) for line in lines]


def basis_points_of(amount_ore: int, rate_bp: int) -> int:
    """``amount_ore × rate_bp / 10000`` in whole øre, half an øre rounded up (away from 0)."""
    whole, remainder = divmod(abs(amount_ore) * rate_bp, BASIS_POINTS)
    if remainder * 2 >= BASIS_POINTS:
        whole += 1
    return -whole if amount_ore < 0 else whole


def split_subsidy(
    net_ore: int, *, rate_bp: int, grant_left_ore: int, eligible: bool
) -> tuple[int, int]:
    """(subsidy share, own share) of a line's net price (excl. VAT).

    The subsidy share is ``rate × net`` rounded half up, capped by what is left of the grant
    (and 0 for a product that is not eligible); the own share is the rest.
    """
    if net_ore < 0 or grant_left_ore < 0:
        raise LedgerError("amounts to split are not negative")
    subsidy = min(basis_points_of(net_ore, rate_bp), grant_left_ore) if eligible else 0
    return subsidy, net_ore - subsidy
