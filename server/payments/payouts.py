"""Publisher payouts: the monthly statement (pure) and the payout port.

A publisher's statement for a month (Copenhagen time is the caller's business; months here are
``date`` ranges) sums the order lines of that publisher:

* ``gross_ore`` = lines of orders **paid** in the month − lines of orders **refunded**
  (cancelled after payment) in the month. Amounts are excluding VAT: VAT is the publisher's to
  declare, and the platform's fee is on the net price. A month with more refunds than sales
  has a negative gross; nothing is paid out and the statement says so.
* ``fee_ore`` = ``gross_ore × fee_bps / 10 000`` (``PLATFORM_FEE_BPS``, default 1000 = 10 %),
  half an øre away from zero, so a refund gives back exactly the fee its sale took.
* ``net_ore`` = ``gross_ore − fee_ore``: what the publisher is paid.

Adapters of ``PayoutGateway``: ``ManualPayouts`` (embedded default: a bank-transfer
instruction for the finance office) and ``StripeConnectPayouts`` (``stripe_connect.py``: a
Transfer to the publisher's connected account), chosen by ``PAYOUTS_BACKEND``.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Protocol

DEFAULT_PLATFORM_FEE_BPS = 1000
BASIS_POINTS = 10_000


def fee_ore(gross_ore: int, fee_bps: int) -> int:
    """``gross × bps / 10 000`` in whole øre, half an øre rounded away from zero."""
    if not 0 <= fee_bps <= BASIS_POINTS:
        raise ValueError(f"fee_bps must be 0..{BASIS_POINTS}, not {fee_bps}")
    whole, remainder = divmod(abs(gross_ore) * fee_bps, BASIS_POINTS)
    if remainder * 2 >= BASIS_POINTS:
        whole += 1
    return -whole if gross_ore < 0 else whole


@dataclass(frozen=True, slots=True)
class Month:
    year: int
    month: int

    @classmethod
    def parse(cls, text: str) -> Month:
        """``"2026-11"`` → ``Month(2026, 11)``; anything else is ``ValueError``."""
        year, _, month = text.partition("-")
        if len(year) != 4 or len(month) != 2 or not (year + month).isdigit():
            raise ValueError(f"a month is YYYY-MM, not {text!r}")
        parsed = cls(int(year), int(month))
        if not 1 <= parsed.month <= 12:
            raise ValueError(f"a month is YYYY-MM, not {text!r}")
        return parsed

    @property
    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def next_first_day(self) -> date:
        return date(self.year + self.month // 12, self.month % 12 + 1, 1)

    def __contains__(self, day: date) -> bool:
        return self.first_day <= day < self.next_first_day

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


@dataclass(frozen=True, slots=True)
class SaleLine:
    """One order line, as the statement needs it (from ``orders`` and ``order_lines``)."""

    order_id: uuid.UUID
    publisher_id: uuid.UUID
    product_id: uuid.UUID
    description: str
    net_ore: int  # excluding VAT
    paid_on: date | None
    refunded_on: date | None = None  # the order was cancelled after it was paid


@dataclass(frozen=True, slots=True)
class StatementLine:
    order_id: uuid.UUID
    product_id: uuid.UUID
    description: str
    kind: str  # "sale" | "refund"
    day: date
    amount_ore: int  # negative for a refund


@dataclass(frozen=True, slots=True)
class Statement:
    publisher_id: uuid.UUID
    month: Month
    lines: tuple[StatementLine, ...]
    sales_ore: int
    refunds_ore: int  # as a positive number
    gross_ore: int
    fee_bps: int
    fee_ore: int
    net_ore: int

    @property
    def payable(self) -> bool:
        return self.net_ore > 0

    @property
    def idempotency_key(self) -> str:
        """One payout per publisher and month, whatever retries happen."""
        return f"payout-{self.publisher_id}-{self.month}"


def monthly_statement(
    publisher_id: uuid.UUID,
    month: Month,
    lines: Iterable[SaleLine],
    *,
    fee_bps: int = DEFAULT_PLATFORM_FEE_BPS,
) -> Statement:
    """The publisher's statement for ``month`` from every sale line (others are ignored)."""
    entries: list[StatementLine] = []
    for line in lines:
        if line.publisher_id != publisher_id:
            continue
        if line.paid_on is not None and line.paid_on in month:
            entries.append(
                StatementLine(
                    line.order_id,
                    line.product_id,
                    line.description,
                    "sale",
                    line.paid_on,
                    line.net_ore,
                )
            )
        if line.paid_on is not None and line.refunded_on is not None and line.refunded_on in month:
            entries.append(
                StatementLine(
                    line.order_id,
                    line.product_id,
                    line.description,
                    "refund",
                    line.refunded_on,
                    -line.net_ore,
                )
            )
    entries.sort(key=lambda entry: (entry.day, entry.kind != "sale", str(entry.order_id)))
    sales = sum(entry.amount_ore for entry in entries if entry.kind == "sale")
    refunds = -sum(entry.amount_ore for entry in entries if entry.kind == "refund")
    gross = sales - refunds
    fee = fee_ore(gross, fee_bps)
    return Statement(
        publisher_id=publisher_id,
        month=month,
        lines=tuple(entries),
        sales_ore=sales,
        refunds_ore=refunds,
        gross_ore=gross,
        fee_bps=fee_bps,
        fee_ore=fee,
        net_ore=gross - fee,
    )


def statements_for_month(
    month: Month, lines: Sequence[SaleLine], *, fee_bps: int = DEFAULT_PLATFORM_FEE_BPS
) -> list[Statement]:
    """A statement for every publisher with a sale or refund in ``month``, by publisher id."""
    publishers = sorted(
        {
            line.publisher_id
            for line in lines
            if (line.paid_on is not None and line.paid_on in month)
            or (
                line.paid_on is not None
                and line.refunded_on is not None
                and line.refunded_on in month
            )
        },
        key=str,
    )
    return [monthly_statement(p, month, lines, fee_bps=fee_bps) for p in publishers]


# --------------------------------------------------------------------------- the port


@dataclass(frozen=True, slots=True)
class PayoutInstruction:
    publisher_id: uuid.UUID
    month: str  # "YYYY-MM"
    amount_ore: int
    #: where the money goes: a Stripe connected account id (``acct_…``) or a bank account
    destination: str
    idempotency_key: str
    currency: str = "dkk"
    description: str = ""


@dataclass(frozen=True, slots=True)
class PayoutReceipt:
    provider: str
    reference: str
    amount_ore: int
    status: str  # "instructed" (a bank transfer to make) | "paid" (Stripe moved the money)


class PayoutError(Exception):
    """The payout was refused (nothing due, no destination, the provider said no)."""


class PayoutUnavailable(PayoutError):
    """The provider could not be reached; retry with the same idempotency key."""


class PayoutGateway(Protocol):
    name: str

    def pay_out(self, instruction: PayoutInstruction) -> PayoutReceipt: ...


def instruction_for(statement: Statement, destination: str) -> PayoutInstruction:
    if not statement.payable:
        raise PayoutError(
            f"Intet at udbetale for {statement.month}: netto {statement.net_ore} øre."
        )
    return PayoutInstruction(
        publisher_id=statement.publisher_id,
        month=str(statement.month),
        amount_ore=statement.net_ore,
        destination=destination,
        idempotency_key=statement.idempotency_key,
        description=f"Skolehylde udbetaling {statement.month}",
    )


@dataclass
class ManualPayouts:
    """The embedded default: each payout becomes a bank-transfer instruction to carry out.

    The same idempotency key returns the same instruction, so a month is never paid twice.
    """

    name: str = "manual"
    instructions: list[PayoutInstruction] = field(default_factory=list)
    _receipts: dict[str, PayoutReceipt] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def pay_out(self, instruction: PayoutInstruction) -> PayoutReceipt:
        if instruction.amount_ore <= 0:
            raise PayoutError("Udbetalingen skal være positiv (øre).")
        if not instruction.destination:
            raise PayoutError("Forlaget har ingen bankkonto til udbetaling.")
        with self._lock:
            seen = self._receipts.get(instruction.idempotency_key)
            if seen is not None:
                return seen
            self.instructions.append(instruction)
            receipt = PayoutReceipt(
                provider=self.name,
                reference=f"BANK-{instruction.month}-{instruction.publisher_id.hex[:8].upper()}",
                amount_ore=instruction.amount_ore,
                status="instructed",
            )
            self._receipts[instruction.idempotency_key] = receipt
            return receipt
