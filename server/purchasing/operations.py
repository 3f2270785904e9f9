"""Use cases of purchasing: a teacher's request, its approval into an order that reserves the
money, payment (invoice or card), cancellation and refund, webhooks, abandoned payments.

Money (øre excl. VAT) moves only through ``server.ledger.postings``:

* approve → ``reserve``: the school's available grant and own money → reserved. The subsidy
  share is ``rate × net`` (half up) capped by the school's grant left; the rest is own share.
* invoice order: paid at once → ``spend``: reserved → spent, licences issued, the OIOUBL
  invoice is issued (``GET /orders/{id}/invoice.xml``). An invoice order counts as spent when
  the invoice is issued: the municipality owes it from then, and the licence is what it buys.
* card order: stays ``reserved`` with a PaymentIntent for the own share incl. VAT; the
  ``payment_intent.succeeded`` webhook (or ``POST /orders/{id}/pay``, which asks the
  provider) spends it; a failure or an abandoned payment (``release_abandoned``) releases it
  (the exact reversal of the reservation).
* cancel within the withdrawal period → reversals of the spend and the reservation (a card
  payment is refunded first), licences revoked.

Side effects on the provider happen outside our database transaction: creating a payment
after the reservation is committed; cancelling or refunding before the ledger is reversed.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from server.budgets import operations as budgets
from server.catalogue.models import OfferRow, ProductRow
from server.errors import NotFound
from server.goals.models import GoalRow
from server.identity.principal import Principal
from server.ledger import postings
from server.ledger.models import LedgerAccountRow, LedgerTransactionRow
from server.ledger.rules import InsufficientFunds, move
from server.licensing import operations as licensing
from server.licensing.entitlements import aware
from server.licensing.models import TrialRow
from server.organisations.models import PublisherRow, SchoolClassRow, SchoolRow
from server.payments.interfaces import (
    InvalidWebhook,
    PaymentError,
    PaymentGateway,
    PaymentHandle,
    PaymentRequest,
    PaymentStatus,
    PaymentUnavailable,
    WebhookEvent,
)
from server.policy import Tenant, allowed, authorize
from server.purchasing.errors import (
    BadWebhook,
    InsufficientBudget,
    PaymentProviderError,
    PaymentProviderUnavailable,
    StateConflict,
    invalid,
)
from server.purchasing.models import (
    OrderLineRow,
    OrderRow,
    PaymentEventRow,
    PurchaseRequestRow,
)
from server.purchasing.rules import Split, approver_role, may_move, price_split

log = logging.getLogger(__name__)
MAX_QUANTITY = 100_000


def now() -> datetime:
    return datetime.now(UTC)


def request_tenant(row: PurchaseRequestRow | OrderRow) -> Tenant:
    return Tenant(municipality_code=row.municipality_code, school_ids=frozenset({row.school_id}))


# -- requests -------------------------------------------------------------------------------


def _offer(session: Session, offer_id: uuid.UUID) -> tuple[OfferRow, ProductRow]:
    offer = session.get(OfferRow, offer_id)
    product = session.get(ProductRow, offer.product_id) if offer else None
    if offer is None or product is None or product.status != "published" or not offer.active:
        raise invalid("offer_id", "no active offer of a published product with that id",
                      "Tilbuddet findes ikke eller kan ikke købes nu.")  # fmt: skip
    return offer, product


def _target(
    session: Session, school_class_id: uuid.UUID | None, school_id: uuid.UUID | None
) -> tuple[SchoolRow, SchoolClassRow | None]:
    if (school_class_id is None) == (school_id is None):
        raise invalid("school_class_id", "give either school_class_id or school_id",
                      "Vælg en klasse eller en skole.")  # fmt: skip
    if school_class_id is not None:
        school_class = session.get(SchoolClassRow, school_class_id)
        school = session.get(SchoolRow, school_class.school_id) if school_class else None
        if school_class is None or school is None:
            raise NotFound("Ingen klasse med det id.", code="class_not_found")
        return school, school_class
    return budgets.school(session, school_id), None  # type: ignore[arg-type]


def create_request(
    session: Session,
    principal: Principal,
    *,
    offer_id: uuid.UUID,
    quantity: int,
    reason: str,
    school_class_id: uuid.UUID | None = None,
    school_id: uuid.UUID | None = None,
    goal_ids: Sequence[uuid.UUID] = (),
    trial_id: uuid.UUID | None = None,
) -> PurchaseRequestRow:
    """A teacher (or leader) of the school asks to buy ``quantity`` of an offer; commits."""
    school, school_class = _target(session, school_class_id, school_id)
    tenant = Tenant(
        municipality_code=school.municipality_code,
        school_ids=frozenset({school.id}),
        class_id=school_class.id if school_class else None,
    )
    authorize(principal, "purchase.request", tenant, what="school")
    offer, product = _offer(session, offer_id)
    if isinstance(quantity, bool) or quantity <= 0:
        raise invalid("quantity", "must be at least 1", "Antallet skal være mindst 1.")
    high = offer.max_quantity if offer.max_quantity is not None else MAX_QUANTITY
    if not offer.min_quantity <= quantity <= high:
        raise invalid(
            "quantity", f"must be {offer.min_quantity}–{high} for this offer",
            f"Antallet skal være mellem {offer.min_quantity} og {high} for dette tilbud.",
        )  # fmt: skip
    if offer.licence_type in ("class", "pupil") and school_class is None:
        raise invalid("school_class_id", f"a {offer.licence_type} licence is for a class",
                      "Licensen skal købes til en klasse.")  # fmt: skip
    if not reason.strip():
        raise invalid("reason", "say why the class needs it", "Skriv hvorfor.")
    goals = list(dict.fromkeys(goal_ids))
    if goals:
        found = set(session.scalars(select(GoalRow.id).where(GoalRow.id.in_(goals))))
        unknown = [str(g) for g in goals if g not in found]
        if unknown:
            raise invalid("goal_ids", f"unknown goals: {', '.join(unknown)}",
                          "Et af målene findes ikke.")  # fmt: skip
    days_used = None
    if trial_id is not None:
        trial = session.get(TrialRow, trial_id)
        if trial is None or trial.product_id != product.id or trial.school_id != school.id:
            raise invalid("trial_id", "no trial of this product at this school",
                          "Prøveperioden hører ikke til materialet og skolen.")  # fmt: skip
        days_used = licensing.trial_days_used(trial, now())
    settings = budgets.settings_of(session, school.municipality_code)
    programme = budgets.active_programme(session, school.municipality_code)
    grant_left = postings.balance(
        session, postings.school_key("school", school.id, "grant", programme.id)
    ) if programme else 0  # fmt: skip
    split = price_split(
        offer.price_ore, quantity, vat_percent=offer.vat_percent,
        rate_bp=programme.rate_bp if programme else 0, grant_left_ore=grant_left,
        eligible=bool(programme and offer.subsidy_eligible),
    )  # fmt: skip
    if split.net_ore <= 0:
        raise invalid("offer_id", "the offer is free: nothing to buy",
                      "Materialet er gratis; det skal ikke købes.")  # fmt: skip
    row = PurchaseRequestRow(
        id=uuid.uuid4(), offer_id=offer.id, product_id=product.id, quantity=quantity,
        municipality_code=school.municipality_code, school_id=school.id,
        school_class_id=school_class.id if school_class else None,
        requested_by=principal.user_id, reason=reason.strip(), goal_ids=[str(g) for g in goals],
        trial_id=trial_id, trial_days_used=days_used, status="pending",
        total_ore=split.net_ore, vat_ore=split.vat_ore, subsidy_ore=split.subsidy_ore,
        own_ore=split.own_ore,
        approver_role=approver_role(split.net_ore, settings.buyer_threshold_ore),
        created_at=now(),
    )  # fmt: skip
    session.add(row)
    session.commit()
    return row


def get_request(
    session: Session, principal: Principal, request_id: uuid.UUID, *, lock: bool = False
) -> PurchaseRequestRow:
    query = select(PurchaseRequestRow).where(PurchaseRequestRow.id == request_id)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    row: PurchaseRequestRow | None = session.scalars(query).first()
    if row is None:
        raise NotFound("Ingen indkøbsanmodning med det id.", code="purchase_request_not_found")
    authorize(principal, "purchase.read", request_tenant(row), what="purchase request")
    return row


def list_requests(
    session: Session, principal: Principal, status: str | None = None
) -> list[PurchaseRequestRow]:
    """Requests the principal may see: a teacher their own and their schools', a leader
    their schools', a buyer their municipalities'."""
    schools = principal.schools("teacher", "school_leader")
    municipalities = principal.municipalities("municipal_buyer")
    query = select(PurchaseRequestRow)
    if not principal.is_platform_admin:
        query = query.where(
            PurchaseRequestRow.school_id.in_(schools)
            | PurchaseRequestRow.municipality_code.in_(municipalities)
        )
    if status:
        query = query.where(PurchaseRequestRow.status == status)
    return list(session.scalars(query.order_by(PurchaseRequestRow.created_at.desc()).limit(500)))


def _may_approve(principal: Principal, row: PurchaseRequestRow) -> None:
    tenant = request_tenant(row)
    action = (
        "purchase.approve_municipal"
        if row.approver_role == "municipal_buyer"
        else "purchase.approve_school"
    )
    authorize(principal, "purchase.read", tenant, what="purchase request")
    if not allowed(principal, action, tenant):
        who = "kommunens indkøber" if row.approver_role == "municipal_buyer" else "skolelederen"
        from server.policy import Forbidden

        raise Forbidden(f"Anmodningen skal godkendes af {who}.", code="wrong_approver")


def reject(
    session: Session, principal: Principal, request_id: uuid.UUID, reason: str
) -> PurchaseRequestRow:
    row = get_request(session, principal, request_id, lock=True)
    _may_approve(principal, row)
    if row.status != "pending":
        raise StateConflict(f"Anmodningen er allerede {row.status}.", code="not_pending")
    row.status = "rejected"
    row.decided_by = principal.user_id
    row.decided_at = now()
    row.decision_reason = reason.strip() or None
    session.commit()
    return row


# -- approve → order ------------------------------------------------------------------------


def _school_keys(school_id: uuid.UUID, programme_id: uuid.UUID | None) -> dict[str, str]:
    keys = {
        "own": postings.school_key("school", school_id, "own", None),
        "reserved_own": postings.school_key("reserved", school_id, "own", None),
        "spent_own": postings.school_key("spent", school_id, "own", None),
    }
    if programme_id is not None:
        keys |= {
            "grant": postings.school_key("school", school_id, "grant", programme_id),
            "reserved_grant": postings.school_key("reserved", school_id, "grant", programme_id),
            "spent_grant": postings.school_key("spent", school_id, "grant", programme_id),
        }
    return keys


def _lock_school(
    session: Session, school_id: uuid.UUID, programme_id: uuid.UUID | None
) -> tuple[dict[str, str], dict[str, LedgerAccountRow]]:
    keys = _school_keys(school_id, programme_id)
    rows = session.scalars(
        select(LedgerAccountRow)
        .where(LedgerAccountRow.key.in_(sorted(keys.values())))
        .order_by(LedgerAccountRow.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).all()
    return keys, {row.key: row for row in rows}


def _insufficient(available: int, needed: int) -> InsufficientBudget:
    return InsufficientBudget(
        "Skolens budget rækker ikke til købet.",
        details={"available_ore": available, "needed_ore": needed,
                 "en": "The school's allocation does not cover the purchase."},
    )  # fmt: skip


def approve(
    session: Session,
    principal: Principal,
    request_id: uuid.UUID,
    *,
    gateway: PaymentGateway | None,
    payment_method: str = "invoice",
) -> OrderRow:
    """Approve a pending request: reserve the money and make the order; an invoice order is
    paid (spent, licences issued) at once, a card order gets a PaymentIntent. Commits."""
    row = get_request(session, principal, request_id, lock=True)
    _may_approve(principal, row)
    if payment_method not in ("invoice", "card"):
        raise invalid("payment_method", "must be invoice or card")
    if row.status != "pending":
        raise StateConflict(f"Anmodningen er allerede {row.status}.", code="not_pending")
    settings = budgets.settings_of(session, row.municipality_code)
    if payment_method == "invoice" and not settings.ean:
        raise StateConflict(
            "Kommunen har intet EAN-nummer; fakturaen kan ikke sendes.", code="ean_missing",
            details={"en": "Set the municipality's EAN number (purchase settings) first."},
        )  # fmt: skip
    if payment_method == "card" and (gateway is None or gateway.name == "invoice"):
        raise StateConflict("Kortbetaling er ikke sat op.", code="card_not_configured")
    offer, product = _offer(session, row.offer_id)
    school = budgets.school(session, row.school_id)
    programme = budgets.active_programme(session, row.municipality_code)
    programme_id = programme.id if programme else None
    publisher = session.get(PublisherRow, product.publisher_id)
    school_class = (
        session.get(SchoolClassRow, row.school_class_id) if row.school_class_id else None
    )  # the licence needs it: load it before the budget is locked

    def split_for(grant_left: int) -> Split:
        return price_split(
            offer.price_ore, row.quantity, vat_percent=offer.vat_percent,
            rate_bp=programme.rate_bp if programme else 0, grant_left_ore=grant_left,
            eligible=bool(programme and offer.subsidy_eligible),
        )  # fmt: skip

    # The order and its line are written before the budget is locked (with the uncapped
    # split), so the lock is held only for the postings and the commit.
    at = now()
    split = split_for(budgets.MAX_AMOUNT_ORE)
    order = OrderRow(
        id=uuid.uuid4(), request_id=row.id, municipality_code=row.municipality_code,
        school_id=school.id, programme_id=programme_id, payment_method=payment_method,
        status="reserved", total_ore=split.net_ore, vat_ore=split.vat_ore,
        subsidy_ore=split.subsidy_ore, own_ore=split.own_ore,
        charge_ore=split.gross_ore if payment_method == "invoice" else split.own_gross_ore,
        ean=settings.ean if payment_method == "invoice" else None,
        approved_by=principal.user_id, created_at=at, updated_at=at,
    )  # fmt: skip
    session.add(order)
    session.flush()  # before its line (no relationships: no insert order)
    line = OrderLineRow(
        id=uuid.uuid4(), order_id=order.id, offer_id=offer.id, product_id=product.id,
        publisher_id=product.publisher_id,
        description=f"{product.title} ({offer.licence_type}, {offer.period})"[:300],
        licence_type=offer.licence_type, period=offer.period, quantity=row.quantity,
        unit_price_ore=offer.price_ore, net_ore=split.net_ore,
        vat_percent=offer.vat_percent, vat_ore=split.vat_ore,
        subsidy_ore=split.subsidy_ore, own_ore=split.own_ore,
    )  # fmt: skip
    session.add(line)
    row.status = "approved"
    row.decided_by = principal.user_id
    row.decided_at = at
    paid_now = payment_method == "invoice"
    if paid_now:
        from server.payments.invoice import invoice_number

        order.invoice_number = invoice_number(order.id)
        order.payment_provider = "invoice"
        order.payment_reference = order.invoice_number
        order.payment_status = PaymentStatus.PENDING.value
        _deliver(session, order, at, lines=[line], request=row, school=school,
                 school_class=school_class)  # fmt: skip
    session.flush()

    # -- from here the school's accounts are locked until the commit --
    keys, accounts = _lock_school(session, school.id, programme_id)
    if keys["own"] not in accounts:
        session.rollback()
        raise _insufficient(0, split.net_ore)
    grant_account = accounts.get(keys.get("grant", ""))
    grant_left = grant_account.balance_ore if grant_account is not None else 0
    own_left = accounts[keys["own"]].balance_ore
    capped = split_for(grant_left)
    if capped.own_ore > own_left:
        session.rollback()
        raise _insufficient(own_left + grant_left, capped.net_ore)
    if capped != split:  # the grant left caps the subsidy: the order says so
        split = capped
        for record in (order, line):
            record.subsidy_ore, record.own_ore = split.subsidy_ore, split.own_ore
        order.charge_ore = split.gross_ore if paid_now else split.own_gross_ore
    if not split.subsidy_ore:
        order.programme_id = None
    lines = move(keys["own"], keys["reserved_own"], split.own_ore)
    if split.subsidy_ore:
        lines += move(keys["grant"], keys["reserved_grant"], split.subsidy_ore)
    try:
        postings.post(
            session, "reserve", lines, order_id=order.id, actor_user_id=principal.user_id,
            memo=f"order for {publisher.name if publisher else ''}", locked=accounts, at=at,
        )  # fmt: skip
    except InsufficientFunds:
        session.rollback()
        raise _insufficient(own_left + grant_left, split.net_ore) from None
    if paid_now:
        _spend(session, order, at, locked=accounts)
    elif split.own_gross_ore == 0:  # the grant pays it all: nothing to charge a card
        _spend(session, order, at, locked=accounts)
        _deliver(session, order, at, lines=[line], request=row, school=school,
                 school_class=school_class)  # fmt: skip
    session.commit()
    if order.status == "paid":
        return order
    return _start_card_payment(session, order, gateway, split)


def _start_card_payment(
    session: Session, order: OrderRow, gateway: PaymentGateway | None, split: Split
) -> OrderRow:
    if gateway is None:
        raise StateConflict("Kortbetaling er ikke sat op.", code="card_not_configured")
    try:
        handle = gateway.create_payment(
            PaymentRequest(
                order_id=order.id, amount_ore=split.own_gross_ore,
                description=f"Skolehylde ordre {order.id}", idempotency_key=f"order-{order.id}",
                metadata={"order_id": str(order.id)},
            )
        )  # fmt: skip
    except PaymentError as error:
        _release(session, order, now(), memo="payment could not be started")
        session.commit()
        if isinstance(error, PaymentUnavailable):
            raise PaymentProviderUnavailable(
                "Betalingstjenesten svarer ikke; beløbet er frigivet. Prøv igen senere.",
                details={"order_id": str(order.id)},
            ) from error
        raise PaymentProviderError(
            f"Betalingen kunne ikke oprettes: {error}", details={"order_id": str(order.id)}
        ) from error
    order.payment_provider = gateway.name
    order.payment_reference = handle.reference
    order.payment_status = handle.status.value
    order.client_secret = handle.client_secret
    order.updated_at = now()
    session.commit()
    if handle.status is PaymentStatus.SUCCEEDED:
        apply_payment_status(session, order.id, handle.status)
    return order


def _order_transactions(session: Session, order_id: uuid.UUID) -> list[LedgerTransactionRow]:
    return list(
        session.scalars(
            select(LedgerTransactionRow)
            .where(LedgerTransactionRow.order_id == order_id)
            .order_by(LedgerTransactionRow.created_at)
        )
    )


def _mark_paid(session: Session, order: OrderRow, at: datetime) -> None:
    """reserved → spent, licences issued (in the caller's transaction)."""
    _spend(session, order, at)
    _deliver(session, order, at)


def _spend(
    session: Session,
    order: OrderRow,
    at: datetime,
    *,
    locked: dict[str, LedgerAccountRow] | None = None,
) -> None:
    """The ledger side of paying: reserved → spent (``locked``: accounts locked already)."""
    keys = _school_keys(order.school_id, order.programme_id)
    moves = move(keys["reserved_own"], keys["spent_own"], order.own_ore)
    if order.subsidy_ore:
        moves += move(keys["reserved_grant"], keys["spent_grant"], order.subsidy_ore)
    postings.post(session, "spend", moves, order_id=order.id, at=at, memo="paid", locked=locked)


def _deliver(
    session: Session,
    order: OrderRow,
    at: datetime,
    *,
    lines: Sequence[OrderLineRow] | None = None,
    request: PurchaseRequestRow | None = None,
    school: SchoolRow | None = None,
    school_class: SchoolClassRow | None = None,
) -> None:
    """The other side: the order is paid and its licences are issued. The keyword arguments
    are what the caller has at hand already (approve's hot path)."""
    request = request or session.get(PurchaseRequestRow, order.request_id)
    school = school or session.get(SchoolRow, order.school_id)
    if request is None or school is None:
        raise LookupError(f"order {order.id} lost its request or school")
    if lines is None:
        lines = order_lines(session, order.id)
    for line in lines:
        licensing.issue(
            session, order_id=order.id, school=school, school_class_id=request.school_class_id,
            grant=licensing.LicenceGrant(line.product_id, line.licence_type, line.period,
                                         line.quantity),
            at=at, school_class=school_class,
        )  # fmt: skip
    order.status = "paid"
    order.paid_at = at
    order.updated_at = at


def _reverse_all(session: Session, order: OrderRow, memo: str) -> None:
    """Reverse every transaction of the order not reversed yet, newest first."""
    transactions = _order_transactions(session, order.id)
    reversed_ids = {t.reverses_id for t in transactions if t.reverses_id}
    for transaction in reversed(transactions):
        if transaction.kind == "reversal" or transaction.id in reversed_ids:
            continue
        postings.reverse(session, transaction, memo=memo)


def _release(session: Session, order: OrderRow, at: datetime, *, memo: str) -> None:
    """reserved → released: the reservation goes back to the school (caller commits)."""
    _lock_school(session, order.school_id, order.programme_id)
    _reverse_all(session, order, memo)
    order.status = "released"
    order.cancelled_at = at
    order.updated_at = at


def _cancel_paid(session: Session, order: OrderRow, at: datetime, *, memo: str) -> None:
    _lock_school(session, order.school_id, order.programme_id)
    _reverse_all(session, order, memo)
    licensing.revoke_for_order(session, order.id, at)
    order.status = "cancelled"
    order.cancelled_at = at
    order.updated_at = at


# -- orders ---------------------------------------------------------------------------------


def get_order(
    session: Session, principal: Principal, order_id: uuid.UUID, *, lock: bool = False
) -> OrderRow:
    query = select(OrderRow).where(OrderRow.id == order_id)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    row: OrderRow | None = session.scalars(query).first()
    if row is None:
        raise NotFound("Ingen ordre med det id.", code="order_not_found")
    authorize(principal, "order.read", request_tenant(row), what="order")
    return row


def order_lines(session: Session, order_id: uuid.UUID) -> list[OrderLineRow]:
    return list(session.scalars(select(OrderLineRow).where(OrderLineRow.order_id == order_id)))


def list_orders(session: Session, principal: Principal, school_id: uuid.UUID) -> list[OrderRow]:
    school = budgets.school(session, school_id)
    authorize(principal, "order.read", budgets.school_tenant(school), what="school")
    return list(
        session.scalars(
            select(OrderRow)
            .where(OrderRow.school_id == school.id)
            .order_by(OrderRow.created_at.desc())
            .limit(500)
        )
    )


def pay(
    session: Session, principal: Principal, order_id: uuid.UUID, gateway: PaymentGateway | None
) -> OrderRow:
    """Bring a card order up to date with its provider (for clients without webhooks)."""
    order = get_order(session, principal, order_id)
    authorize(principal, "purchase.request", request_tenant(order), what="order")
    if order.payment_method == "invoice" or order.status != "reserved":
        return order
    if gateway is None or order.payment_reference is None:
        raise StateConflict("Ordren har ingen betaling at spørge til.", code="no_payment")
    try:
        handle: PaymentHandle = gateway.retrieve(order.payment_reference)
    except PaymentError as error:
        raise PaymentProviderUnavailable(f"Betalingstjenesten svarer ikke: {error}") from error
    apply_payment_status(session, order.id, handle.status)
    session.refresh(order)
    return order


def apply_payment_status(session: Session, order_id: uuid.UUID, status: PaymentStatus) -> str:
    """Move the order as the provider's status says, forward only; commits. The outcome:
    "applied", "ignored" (stale or no change) or "unknown_payment"."""
    outcome = _apply(session, order_id, status)
    session.commit()
    return outcome


def _apply(session: Session, order_id: uuid.UUID, status: PaymentStatus) -> str:
    """Move the order as the provider's status says, forward only (the caller commits)."""
    order = session.scalar(
        select(OrderRow)
        .where(OrderRow.id == order_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if order is None:
        return "unknown_payment"
    at = now()
    target = {
        PaymentStatus.SUCCEEDED: "paid",
        PaymentStatus.FAILED: "released",
        PaymentStatus.CANCELED: "released",
        PaymentStatus.REFUNDED: "cancelled",
    }.get(status)
    order.payment_status = status.value if target else order.payment_status
    if target is None or not may_move(order.status, target):
        return "ignored"
    if target == "paid":
        _mark_paid(session, order, at)
    elif target == "released":
        _release(session, order, at, memo=f"card payment {status.value}")
    else:
        _cancel_paid(session, order, at, memo="refunded at the provider")
    return "applied"


def cancel(
    session: Session,
    principal: Principal,
    order_id: uuid.UUID,
    gateway: PaymentGateway | None,
    *,
    at: datetime | None = None,
) -> OrderRow:
    """Cancel an order: a reserved one is released (its card payment cancelled); a paid one
    within the municipality's withdrawal period is refunded (card) or credited (invoice),
    the ledger reversed and the licences revoked. Commits."""
    order = get_order(session, principal, order_id, lock=True)
    tenant = request_tenant(order)
    if not allowed(principal, "order.cancel", tenant):
        from server.policy import Forbidden

        raise Forbidden("Kun skolelederen eller kommunens indkøber kan annullere en ordre.")
    moment = at or now()
    if order.status in ("cancelled", "released"):
        raise StateConflict(f"Ordren er allerede {order.status}.", code="order_closed")
    if order.status == "paid":
        days = budgets.settings_of(session, order.municipality_code).withdrawal_days
        paid_at = aware(order.paid_at or order.created_at)
        if moment > paid_at + timedelta(days=days):
            raise StateConflict(
                f"Fortrydelsesfristen på {days} dage er udløbet.", code="withdrawal_period_over",
                details={"paid_at": paid_at.isoformat(), "withdrawal_days": days},
            )  # fmt: skip
    if order.payment_method == "card" and order.payment_reference and gateway is not None:
        try:
            if order.status == "reserved":
                gateway.cancel(order.payment_reference)
            else:
                gateway.refund(order.payment_reference, order.charge_ore, f"refund-{order.id}")
        except PaymentError as error:
            session.rollback()
            raise PaymentProviderError(
                f"Betalingen kunne ikke tilbageføres: {error}", code="refund_failed"
            ) from error
    if order.status == "reserved":
        _release(session, order, moment, memo="cancelled before payment")
    else:
        _cancel_paid(session, order, moment, memo="cancelled within the withdrawal period")
    session.commit()
    return order


# -- webhooks and sweeps --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class WebhookOutcome:
    event_id: str
    outcome: str  # "applied" | "ignored" | "duplicate" | "unknown_payment"


def handle_webhook(
    session: Session, gateway: PaymentGateway | None, payload: bytes, signature: str | None
) -> WebhookOutcome:
    """Verify (the gateway), deduplicate on the event id, apply forward only."""
    if gateway is None:
        raise BadWebhook("Ingen betalingstjeneste er sat op.")
    try:
        event: WebhookEvent = gateway.parse_webhook(payload, signature)
    except InvalidWebhook as error:
        raise BadWebhook(str(error) or "Webhooken kunne ikke verificeres.") from error
    if session.get(PaymentEventRow, event.event_id) is not None:
        return WebhookOutcome(event.event_id, "duplicate")
    order_id = session.scalar(
        select(OrderRow.id).where(OrderRow.payment_reference == event.payment_reference)
    )
    # The event row and what it does are one transaction: a repeat (even a concurrent one,
    # through the primary key) changes nothing, and a failure stores neither.
    outcome = _apply(session, order_id, event.status) if order_id else "unknown_payment"
    session.add(
        PaymentEventRow(
            event_id=event.event_id, provider=gateway.name, type=event.type,
            payment_reference=event.payment_reference, status=event.status.value,
            outcome=outcome, created=event.created, received_at=now(),
        )
    )  # fmt: skip
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        return WebhookOutcome(event.event_id, "duplicate")
    return WebhookOutcome(event.event_id, outcome)


def release_abandoned(
    session: Session, gateway: PaymentGateway | None, *, older_than: timedelta
) -> int:
    """Release card orders still waiting for their payment after ``older_than``; how many.
    The provider's payment is cancelled first (an error there is logged and the reservation
    released anyway: the money must not stay locked)."""
    cutoff = now() - older_than
    ids = session.scalars(
        select(OrderRow.id).where(
            OrderRow.status == "reserved",
            OrderRow.payment_method == "card",
            OrderRow.created_at < cutoff,
        )
    ).all()
    released = 0
    for order_id in ids:
        order = session.get(OrderRow, order_id)
        if order is None:
            continue
        if gateway is not None and order.payment_reference:
            try:
                handle = gateway.retrieve(order.payment_reference)
                if handle.status is PaymentStatus.SUCCEEDED:
                    apply_payment_status(session, order_id, handle.status)
                    continue
                gateway.cancel(order.payment_reference)
            except PaymentError as error:
                log.warning("abandoned order %s: provider said %s", order_id, error)
        if apply_payment_status(session, order_id, PaymentStatus.CANCELED) == "applied":
            released += 1
    return released


# -- the invoice ----------------------------------------------------------------------------


def invoice_document(session: Session, principal: Principal, order_id: uuid.UUID) -> bytes:
    """The order's OIOUBL invoice (from the order, so it is the same every time)."""
    from server.organisations.models import MunicipalityRow
    from server.payments import invoice as oioubl

    order = get_order(session, principal, order_id)
    if order.payment_method != "invoice" or not order.invoice_number or not order.ean:
        raise NotFound("Ordren betales ikke med faktura.", code="invoice_not_found")
    lines = order_lines(session, order.id)
    publisher = session.get(PublisherRow, lines[0].publisher_id)
    municipality = session.get(MunicipalityRow, order.municipality_code)
    school = session.get(SchoolRow, order.school_id)
    issued = aware(order.created_at).date()
    document = oioubl.Invoice(
        number=order.invoice_number,
        issue_date=issued,
        due_date=issued + timedelta(days=30),
        order_reference=str(order.id),
        seller=oioubl.Seller(
            name=publisher.name if publisher else "", cvr=publisher.cvr if publisher else "",
            address=oioubl.Address(street="-", city="-", postal_zone="0000"),
        ),
        buyer=oioubl.Buyer(
            name=municipality.name if municipality else order.municipality_code,
            ean=order.ean,
            address=oioubl.Address(street="-", city="-", postal_zone="0000"),
            contact_reference=school.name if school else "",
        ),
        lines=[
            oioubl.InvoiceLine(line.description, line.quantity, line.unit_price_ore,
                               str(line.product_id))
            for line in lines
        ],
    )  # fmt: skip
    return oioubl.invoice_xml(document)
