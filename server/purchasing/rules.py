"""Purchasing rules with no database and no Flask: order states, who approves, money split.

Order states only move forward (``RANK``): ``reserved`` (0) → ``paid`` (1) → ``cancelled``
(2); ``reserved`` → ``released`` (2). A webhook or call that would move an order back or
sideways changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from catalogue.money import vat_ore
from server.ledger.rules import split_subsidy

RANK = {"reserved": 0, "paid": 1, "cancelled": 2, "released": 2}
TRANSITIONS = {("reserved", "paid"), ("paid", "cancelled"), ("reserved", "released")}


def may_move(current: str, target: str) -> bool:
    return (current, target) in TRANSITIONS


def approver_role(total_ore: int, buyer_threshold_ore: int) -> str:
    """Below the municipality's threshold the school leader approves; from it, the buyer."""
    return "municipal_buyer" if total_ore >= buyer_threshold_ore else "school_leader"


@dataclass(frozen=True, slots=True)
class Split:
    net_ore: int
    vat_ore: int
    subsidy_ore: int
    own_ore: int

    @property
    def gross_ore(self) -> int:
        return self.net_ore + self.vat_ore

    @property
    def own_gross_ore(self) -> int:
        """What a card pays: the own share with its VAT."""
        return self.own_ore + vat_ore(self.own_ore)


def price_split(
    unit_price_ore: int,
    quantity: int,
    *,
    vat_percent: int,
    rate_bp: int,
    grant_left_ore: int,
    eligible: bool,
) -> Split:
    """A line's net price (excl. VAT), its VAT, and the subsidy and own shares of the net.

    The subsidy is ``rate × net excl. VAT``: municipalities get the VAT back
    (momsudligningsordningen), so budgets, grants and the ledger are all excl. VAT.
    """
    net = unit_price_ore * quantity
    subsidy, own = split_subsidy(
        net, rate_bp=rate_bp, grant_left_ore=grant_left_ore, eligible=eligible
    )
    return Split(net, vat_ore(net, percent=vat_percent), subsidy, own)
