"""Posting to the ledger: accounts by key, transactions that sum to zero, reversals, and the
check that cached balances equal the sum of entries.

``post`` locks the accounts it touches (``SELECT … FOR UPDATE`` in id order, so two postings
never deadlock) and updates their cached balances in the caller's transaction; concurrent
spenders of one school allocation queue on its rows on PostgreSQL. The caller commits.
The ``not_negative`` CHECK constraint backs the balance rule up in the database.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import event, func, insert, select
from sqlalchemy.orm import Session

from server.ledger.models import (
    APPEND_ONLY_TABLES,
    LedgerAccountRow,
    LedgerEntryRow,
    LedgerTransactionRow,
)
from server.ledger.rules import InsufficientFunds, LedgerError, Line, check_lines, merge

# -- account keys ---------------------------------------------------------------------------


def _suffix(programme_id: uuid.UUID | None) -> str:
    return f":{programme_id}" if programme_id is not None else ""


def external_key(fund: str, owner: str) -> str:
    return f"external:{fund}:{owner}"


def municipality_key(code: str, fund: str, programme_id: uuid.UUID | None) -> str:
    return f"municipality:{code}:{fund}{_suffix(programme_id)}"


def school_key(kind: str, school_id: uuid.UUID, fund: str, programme_id: uuid.UUID | None) -> str:
    return f"{kind}:{school_id}:{fund}{_suffix(programme_id)}"


@dataclass(frozen=True, slots=True)
class AccountSpec:
    key: str
    kind: str
    fund: str
    municipality_code: str | None = None
    school_id: uuid.UUID | None = None
    programme_id: uuid.UUID | None = None

    @property
    def allow_negative(self) -> bool:
        return self.kind == "external"


def ensure_account(session: Session, spec: AccountSpec) -> LedgerAccountRow:
    """The account with ``spec.key``, created (in a savepoint, so a concurrent creator wins
    harmlessly) when it does not exist."""
    found: LedgerAccountRow | None = session.scalar(
        select(LedgerAccountRow).where(LedgerAccountRow.key == spec.key)
    )
    if found is not None:
        return found
    from sqlalchemy.exc import IntegrityError

    row = LedgerAccountRow(
        id=uuid.uuid4(), key=spec.key, kind=spec.kind, fund=spec.fund,
        municipality_code=spec.municipality_code, school_id=spec.school_id,
        programme_id=spec.programme_id, allow_negative=spec.allow_negative, balance_ore=0,
    )  # fmt: skip
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        winner = session.scalars(
            select(LedgerAccountRow).where(LedgerAccountRow.key == spec.key)
        ).first()
        if winner is None:
            raise
        return winner
    return row


def lock_accounts(session: Session, keys: Sequence[str]) -> dict[str, LedgerAccountRow]:
    """The accounts by key, locked for this transaction (PostgreSQL), fresh from the database."""
    rows = session.scalars(
        select(LedgerAccountRow)
        .where(LedgerAccountRow.key.in_(sorted(set(keys))))
        .order_by(LedgerAccountRow.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).all()
    found = {row.key: row for row in rows}
    missing = sorted(set(keys) - set(found))
    if missing:
        raise LedgerError(f"no such account: {', '.join(missing)}")
    return found


TRANSACTION_COLUMNS = (
    "id", "kind", "memo", "order_id", "reverses_id", "actor_user_id", "created_at",
)  # fmt: skip

# -- posting --------------------------------------------------------------------------------


def post(
    session: Session,
    kind: str,
    lines: Sequence[Line],
    *,
    memo: str = "",
    order_id: uuid.UUID | None = None,
    actor_user_id: uuid.UUID | None = None,
    reverses_id: uuid.UUID | None = None,
    at: datetime | None = None,
    locked: dict[str, LedgerAccountRow] | None = None,
) -> LedgerTransactionRow:
    """Post one transaction; raise ``InsufficientFunds`` (nothing posted) when an account that
    must not go negative would. ``locked``: accounts the caller has locked already. The
    returned row is a record of what was posted (it is not in the session)."""
    lines = merge(lines)
    check_lines(lines)
    accounts = dict(locked or {})
    wanted = [line.account_key for line in lines if line.account_key not in accounts]
    if wanted:
        accounts.update(lock_accounts(session, wanted))
    for line in lines:
        account = accounts[line.account_key]
        if not account.allow_negative and account.balance_ore + line.amount_ore < 0:
            raise InsufficientFunds(account.key, account.balance_ore, line.amount_ore)
    transaction = LedgerTransactionRow(
        id=uuid.uuid4(), kind=kind, memo=memo, order_id=order_id, reverses_id=reverses_id,
        actor_user_id=actor_user_id, created_at=at or datetime.now(UTC),
    )  # fmt: skip
    # Core inserts: written at once, in this order (the entries' foreign key needs the
    # transaction), and short — concurrent spenders wait on the accounts' locks meanwhile.
    # The caller's pending ORM changes wait for its commit (no autoflush in between).
    with session.no_autoflush:
        session.execute(
            insert(LedgerTransactionRow),
            [{column: getattr(transaction, column) for column in TRANSACTION_COLUMNS}],
        )
        session.execute(
            insert(LedgerEntryRow),
            [
                {"id": uuid.uuid4(), "transaction_id": transaction.id,
                 "account_id": accounts[line.account_key].id, "amount_ore": line.amount_ore}
                for line in lines
            ],
        )  # fmt: skip
    for line in lines:
        accounts[line.account_key].balance_ore += line.amount_ore
    return transaction


def lines_of(session: Session, transaction_id: uuid.UUID) -> list[Line]:
    rows = session.execute(
        select(LedgerAccountRow.key, LedgerEntryRow.amount_ore)
        .join(LedgerAccountRow, LedgerAccountRow.id == LedgerEntryRow.account_id)
        .where(LedgerEntryRow.transaction_id == transaction_id)
        .order_by(LedgerAccountRow.key)
    ).all()
    return [Line(key, amount) for key, amount in rows]


def reverse(
    session: Session,
    transaction: LedgerTransactionRow,
    *,
    memo: str = "",
    actor_user_id: uuid.UUID | None = None,
) -> LedgerTransactionRow:
    """Post the exact reversal of ``transaction`` (a transaction is reversed at most once:
    ``reverses_id`` is unique)."""
    undo = [Line(line.account_key, -line.amount_ore) for line in lines_of(session, transaction.id)]
    return post(
        session, "reversal", undo, memo=memo or f"reversal of {transaction.kind}",
        order_id=transaction.order_id, actor_user_id=actor_user_id, reverses_id=transaction.id,
    )  # fmt: skip


def is_reversed(session: Session, transaction_id: uuid.UUID) -> bool:
    return (
        session.scalar(
            select(LedgerTransactionRow.id).where(
                LedgerTransactionRow.reverses_id == transaction_id
            )
        )
        is not None
    )


def balance(session: Session, key: str) -> int:
    """The cached balance of an account (0 for an account that does not exist yet)."""
    value = session.scalar(select(LedgerAccountRow.balance_ore).where(LedgerAccountRow.key == key))
    return int(value or 0)


# -- the check ------------------------------------------------------------------------------


def check_ledger(session: Session) -> list[str]:
    """Every way the ledger is wrong, as sentences; [] when it is right.

    Cached balance = sum of entries for every account; every transaction sums to zero and has
    at least two entries; no account that must not be negative is.
    """
    problems: list[str] = []
    sums = dict(
        session.execute(
            select(LedgerEntryRow.account_id, func.sum(LedgerEntryRow.amount_ore)).group_by(
                LedgerEntryRow.account_id
            )
        ).all()
    )
    for account in session.scalars(select(LedgerAccountRow).order_by(LedgerAccountRow.key)):
        derived = int(sums.get(account.id) or 0)
        if derived != account.balance_ore:
            problems.append(
                f"{account.key}: cached balance {account.balance_ore} ≠ sum of entries {derived}"
            )
        if not account.allow_negative and derived < 0:
            problems.append(f"{account.key}: negative balance {derived}")
    unbalanced = session.execute(
        select(
            LedgerEntryRow.transaction_id,
            func.sum(LedgerEntryRow.amount_ore),
            func.count(),
        )
        .group_by(LedgerEntryRow.transaction_id)
        .having((func.sum(LedgerEntryRow.amount_ore) != 0) | (func.count() < 2))
    ).all()
    for transaction_id, total, count in unbalanced:
        problems.append(f"transaction {transaction_id}: {count} entries summing to {total}")
    empty = session.scalar(
        select(func.count())
        .select_from(LedgerTransactionRow)
        .where(~LedgerTransactionRow.id.in_(select(LedgerEntryRow.transaction_id)))
    )
    if empty:
        problems.append(f"{empty} transactions without entries")
    return problems


# -- append-only in code --------------------------------------------------------------------


@event.listens_for(Session, "before_flush")
def _refuse_ledger_changes(session: Session, _context: object, _instances: object) -> None:
    """No code path updates or deletes a posted transaction or entry (the triggers refuse it
    in the database too)."""
    for row in (*session.dirty, *session.deleted):
        if getattr(row, "__tablename__", None) in APPEND_ONLY_TABLES and (
            row in session.deleted or session.is_modified(row)
        ):
            raise LedgerError(f"{row.__tablename__} is append-only: correct by a reversal")
