"""Publisher payouts: the monthly statement's exact arithmetic, the manual (bank transfer)
default, and the Stripe Connect adapter against a recording HTTP stub (localstripe has no
Connect, so no real Stripe-like server is involved here)."""

from __future__ import annotations

import uuid
from datetime import date

import pytest
from fakes import FakeStripeConnect

from server.payments import payouts_from_config
from server.payments.payouts import (
    ManualPayouts,
    Month,
    PayoutError,
    PayoutInstruction,
    PayoutUnavailable,
    SaleLine,
    fee_ore,
    instruction_for,
    monthly_statement,
    statements_for_month,
)
from server.payments.stripe_connect import StripeConnectPayouts

FJORD = uuid.UUID("00000000-0000-4000-8000-00000000f001")
BAKKE = uuid.UUID("00000000-0000-4000-8000-00000000b002")
NOVEMBER = Month(2026, 11)


def line(
    publisher: uuid.UUID, net: int, paid: date | None, refunded: date | None = None
) -> SaleLine:
    return SaleLine(uuid.uuid4(), publisher, uuid.uuid4(), "Brøkbanken", net, paid, refunded)


LINES = [
    line(FJORD, 100_000_00, date(2026, 11, 3)),
    line(FJORD, 2_345_67, date(2026, 11, 30)),
    line(FJORD, 50_000_00, date(2026, 10, 31)),  # October: not in November's gross
    line(FJORD, 10_000_00, date(2026, 10, 15), refunded=date(2026, 11, 2)),  # refunded in Nov
    line(FJORD, 7_000_00, date(2026, 11, 10), refunded=date(2026, 11, 12)),  # sold and refunded
    line(FJORD, 9_999_99, None),  # never paid
    line(BAKKE, 5, date(2026, 11, 1)),
]


@pytest.mark.parametrize(
    ("gross", "bps", "fee"),
    [(0, 1000, 0), (100, 1000, 10), (5, 1000, 1), (4, 1000, 0), (15, 1000, 2), (14, 1000, 1),
     (-5, 1000, -1), (1_234_567, 250, 30_864), (100, 0, 0), (100, 10_000, 100)],
)  # fmt: skip
def test_fee_is_basis_points_half_up(gross: int, bps: int, fee: int) -> None:
    assert fee_ore(gross, bps) == fee


@pytest.mark.parametrize("bps", [-1, 10_001])
def test_fee_outside_0_to_100_percent_is_refused(bps: int) -> None:
    with pytest.raises(ValueError, match="fee_bps"):
        fee_ore(100, bps)


def test_statement_sums_the_month_minus_refunds() -> None:
    statement = monthly_statement(FJORD, NOVEMBER, LINES, fee_bps=1000)

    # sales 100.000,00 + 2.345,67 + 7.000,00; refunds 10.000,00 + 7.000,00
    assert statement.sales_ore == 109_345_67
    assert statement.refunds_ore == 17_000_00
    assert statement.gross_ore == 92_345_67
    assert statement.fee_ore == 9_234_57  # 9.234,567 → 9.234,57
    assert statement.net_ore == 83_111_10
    assert [(entry.kind, entry.day, entry.amount_ore) for entry in statement.lines] == [
        ("refund", date(2026, 11, 2), -10_000_00),
        ("sale", date(2026, 11, 3), 100_000_00),
        ("sale", date(2026, 11, 10), 7_000_00),
        ("refund", date(2026, 11, 12), -7_000_00),
        ("sale", date(2026, 11, 30), 2_345_67),
    ]
    assert statement.idempotency_key == f"payout-{FJORD}-2026-11"


def test_a_month_of_only_refunds_pays_nothing() -> None:
    statement = monthly_statement(FJORD, Month(2026, 11), [LINES[3]], fee_bps=1000)

    assert (statement.gross_ore, statement.fee_ore, statement.net_ore) == (
        -10_000_00,
        -1_000_00,
        -9_000_00,
    )
    assert not statement.payable
    with pytest.raises(PayoutError, match="Intet at udbetale"):
        instruction_for(statement, "acct_1")


def test_statements_for_every_publisher_with_activity() -> None:
    statements = statements_for_month(NOVEMBER, LINES, fee_bps=1000)

    assert [(s.publisher_id, s.gross_ore, s.fee_ore, s.net_ore) for s in statements] == [
        (BAKKE, 5, 1, 4),  # ordered by publisher id
        (FJORD, 92_345_67, 9_234_57, 83_111_10),
    ]
    assert statements_for_month(Month(2026, 9), LINES) == []


@pytest.mark.parametrize(
    ("text", "month"), [("2026-11", Month(2026, 11)), ("2026-01", Month(2026, 1))]
)
def test_month_parse(text: str, month: Month) -> None:
    assert Month.parse(text) == month
    assert str(month) == text


@pytest.mark.parametrize("text", ["2026-13", "2026-00", "26-11", "2026/11", "2026-1", ""])
def test_bad_months_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="YYYY-MM"):
        Month.parse(text)


def test_december_ends_at_new_year() -> None:
    assert Month(2026, 12).next_first_day == date(2027, 1, 1)
    assert date(2026, 12, 31) in Month(2026, 12)
    assert date(2027, 1, 1) not in Month(2026, 12)


# --------------------------------------------------------------------------- manual


def test_manual_payout_is_a_bank_transfer_instruction_once_per_month() -> None:
    gateway = ManualPayouts()
    statement = monthly_statement(FJORD, NOVEMBER, LINES)
    instruction = instruction_for(statement, "DK50 0040 0440 1162 43")

    first = gateway.pay_out(instruction)
    again = gateway.pay_out(instruction)

    assert first == again
    assert (first.provider, first.amount_ore, first.status) == ("manual", 83_111_10, "instructed")
    assert first.reference == "BANK-2026-11-00000000"
    assert gateway.instructions == [instruction]


@pytest.mark.parametrize(("amount", "destination"), [(0, "DK50"), (-1, "DK50"), (100, "")])
def test_manual_payout_refuses_nothing_due_or_no_account(amount: int, destination: str) -> None:
    gateway = ManualPayouts()

    with pytest.raises(PayoutError):
        gateway.pay_out(PayoutInstruction(FJORD, "2026-11", amount, destination, "k"))
    assert gateway.instructions == []


# --------------------------------------------------------------------------- Stripe Connect


def connect(stub: FakeStripeConnect) -> StripeConnectPayouts:
    return StripeConnectPayouts(api_key="sk_test_platform", http_client=stub, max_network_retries=0)


def test_connect_transfer_sends_exactly_these_parameters() -> None:
    stub = FakeStripeConnect()
    instruction = instruction_for(monthly_statement(FJORD, NOVEMBER, LINES), "acct_1Fjord")

    receipt = connect(stub).pay_out(instruction)

    assert (receipt.provider, receipt.reference, receipt.amount_ore, receipt.status) == (
        "stripe_connect",
        "tr_fake_1",
        83_111_10,
        "paid",
    )
    [request] = stub.requests
    assert (request.method, request.url) == ("post", "https://api.stripe.com/v1/transfers")
    assert request.headers["Idempotency-Key"] == f"payout-{FJORD}-2026-11"
    assert request.headers["Authorization"] == "Bearer sk_test_platform"
    assert request.params == {
        "amount": ["8311110"],
        "currency": ["dkk"],
        "destination": ["acct_1Fjord"],
        "transfer_group": ["payout-2026-11"],
        "description": ["Skolehylde udbetaling 2026-11"],
        "metadata[publisher_id]": [str(FJORD)],
        "metadata[month]": ["2026-11"],
    }


def test_connect_retry_with_the_same_key_is_the_same_transfer() -> None:
    stub = FakeStripeConnect()
    gateway = connect(stub)
    instruction = instruction_for(monthly_statement(FJORD, NOVEMBER, LINES), "acct_1Fjord")

    assert gateway.pay_out(instruction) == gateway.pay_out(instruction)
    assert [r.headers["Idempotency-Key"] for r in stub.requests] == [
        instruction.idempotency_key
    ] * 2


def test_connect_without_a_connected_account_sends_nothing() -> None:
    stub = FakeStripeConnect()

    with pytest.raises(PayoutError, match="acct_"):
        connect(stub).pay_out(PayoutInstruction(FJORD, "2026-11", 100, "DK50 0040", "k"))
    assert stub.requests == []


def test_connect_refusal_and_outage_are_translated() -> None:
    stub = FakeStripeConnect()
    gateway = connect(stub)
    instruction = PayoutInstruction(FJORD, "2026-11", 100, "acct_1", "k1")

    stub.fail_with = (400, {"type": "invalid_request_error", "message": "Insufficient funds"})
    with pytest.raises(PayoutError, match="Insufficient funds") as refused:
        gateway.pay_out(instruction)
    assert type(refused.value) is PayoutError

    stub.unreachable = True
    with pytest.raises(PayoutUnavailable):
        gateway.pay_out(instruction)

    stub.unreachable = False
    stub.fail_with = (500, {"type": "api_error", "message": "boom"})
    with pytest.raises(PayoutUnavailable):
        gateway.pay_out(instruction)


def test_payouts_backend_from_config() -> None:
    assert isinstance(payouts_from_config({}), ManualPayouts)
    assert isinstance(
        payouts_from_config({"PAYOUTS_BACKEND": "stripe_connect", "STRIPE_API_KEY": "sk_test_1"}),
        StripeConnectPayouts,
    )
