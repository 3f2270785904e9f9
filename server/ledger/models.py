"""The ledger: double-entry, append-only, integer øre (excluding VAT).

Tables
------
``ledger_accounts``      one row per account; ``balance_ore`` is a cached balance (the sum of
                         the account's entries), updated in the posting transaction under
                         ``SELECT … FOR UPDATE``; ``skolehylde ledger check`` compares the two.
                         ``CHECK (allow_negative OR balance_ore >= 0)``.
``ledger_transactions``  one row per posting; ``reverses_id`` points at the transaction a
                         reversal undoes (a transaction is reversed at most once).
``ledger_entries``       the lines; per transaction they sum to zero. Transactions and entries
                         are append-only: database triggers refuse UPDATE and DELETE.

Account kinds (``kind``) and funds (``fund``: ``grant`` = the programme's subsidy money,
``own`` = the municipality's own funds). A balance is money the account holds now.

==========================  ==========================================  ==============
kind                        key (``key`` column, unique)                may go negative
==========================  ==========================================  ==============
``external``                ``external:grant:<programme id>`` (the      yes (it is the
                            state's side of a grant) and                source of money)
                            ``external:own:<municipality code>``
``municipality``            ``municipality:<code>:<fund>[:<prog id>]``  no
                            — granted / own funds not yet allocated
``school``                  ``school:<school id>:<fund>[:<prog id>]``   no
                            — allocated to the school, free to spend
``reserved``                ``reserved:<school id>:<fund>[:<prog id>]`` no
                            — held by approved orders not yet paid
``spent``                   ``spent:<school id>:<fund>[:<prog id>]``    no
                            — paid orders (invoice issued / card paid)
==========================  ==========================================  ==============

Grant-fund accounts carry ``programme_id``; own-fund accounts have it null. Every school-level
account carries ``school_id`` *and* ``municipality_code``.

How to compute the buyer figures (sum ``balance_ore`` over the accounts, or sum of entries):

* per school: ``spent`` = kind spent; ``reserved`` = kind reserved; ``remaining`` = kind
  school; ``allocated`` = school + reserved + spent (money never leaves the school's three
  kinds except by a cancellation, which moves it back to ``school``);
  ``subsidy_used`` = kind spent with fund grant (``subsidy_reserved``: reserved, grant).
* per municipality: the same kinds over its schools (``municipality_code``), plus
  ``unallocated`` = kind municipality; ``granted`` = the sum of ``municipality_grants.
  amount_ore`` (equally: the sum of all its grant-fund accounts); own funds put in =
  −balance of ``external:own:<code>``. ``server.budgets.operations.municipality_budget``
  computes exactly these.
* by publisher/product: ``ledger_transactions.order_id`` → ``orders`` → ``order_lines``
  (each line has ``product_id``, ``subsidy_ore``, ``own_ore``). Transaction ``kind`` is
  ``grant`` | ``own_funds`` | ``allocation`` | ``reserve`` | ``spend`` | ``release`` |
  ``refund`` | ``reversal``; ``created_at`` orders them in time.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    String,
    Text,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column

from server.extensions import db

ACCOUNT_KINDS = ("external", "municipality", "school", "reserved", "spent")
FUNDS = ("grant", "own")
TRANSACTION_KINDS = (
    "grant",
    "own_funds",
    "allocation",
    "reserve",
    "spend",
    "release",
    "refund",
    "reversal",
)


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class LedgerAccountRow(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "ledger_accounts"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    fund: Mapped[str] = mapped_column(String(10))
    municipality_code: Mapped[str | None] = mapped_column(
        ForeignKey("municipalities.code"), index=True
    )
    school_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("schools.id"), index=True)
    programme_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("subsidy_programmes.id"), index=True
    )
    allow_negative: Mapped[bool] = mapped_column(Boolean)
    #: cached: the sum of this account's entries (checked by ``skolehylde ledger check``)
    balance_ore: Mapped[int] = mapped_column(BigInteger, default=0)

    __table_args__ = (
        CheckConstraint("allow_negative OR balance_ore >= 0", name="not_negative"),
        CheckConstraint(_in("kind", ACCOUNT_KINDS), name="kind"),
        CheckConstraint(_in("fund", FUNDS), name="fund"),
    )


class LedgerTransactionRow(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "ledger_transactions"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    kind: Mapped[str] = mapped_column(String(20))
    memo: Mapped[str] = mapped_column(Text, default="")
    order_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    reverses_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("ledger_transactions.id"), unique=True
    )
    actor_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)

    __table_args__ = (CheckConstraint(_in("kind", TRANSACTION_KINDS), name="kind"),)


class LedgerEntryRow(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "ledger_entries"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    transaction_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("ledger_transactions.id"), index=True
    )
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("ledger_accounts.id"))
    amount_ore: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = (
        CheckConstraint("amount_ore <> 0", name="not_zero"),
        Index("ix_ledger_entries_account", "account_id"),
    )


APPEND_ONLY_TABLES = ("ledger_transactions", "ledger_entries")
