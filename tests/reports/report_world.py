"""A small, exact purchasing world for the report tests, written as rows (the ledger balanced).

Aarhus (751): a 50 % programme, a grant of 100.000,00 kr. and own funds of 50.000,00 kr.;
Bakkeskolen gets 60.000 + 20.000 kr., Fjordskolen 10.000 + 1.000 kr. (grant + own). Orders:

1. Bakkeskolen, paid 10.09.2026: Brøkbanken (Fjordforlaget; Matematik; "Tal og algebra"),
   2 × 1.500,00 = 3.000,00 kr., subsidy 1.500,00, own 1.500,00. Invoice SH-000000000001.
2. Bakkeskolen, reserved 20.09.2026: Læs og regn (Bakkeforlaget; Dansk + Matematik; "Tal og
   algebra" + "Geometri og måling"), 1 × 1.000,01 kr., subsidy 500,00, own 500,01.
3. Fjordskolen, paid 05.10.2026 23:30 UTC (= 06.10 in Copenhagen): Læselyst (Fjordforlaget;
   Dansk; no goal), 1 × 800,00 kr., subsidy 400,00, own 400,00. Card payment pi_test_3.
4. Bakkeskolen, paid then cancelled: not in any figure.

Odense (461) buys from Fjordforlaget too (1 × 999,00 kr., paid 12.09.2026): never in Aarhus.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy.orm import Session

from factories import make_publisher, make_school, make_user
from server.budgets.models import SubsidyProgrammeRow
from server.catalogue.models import OfferRow, ProductGoalTagRow, ProductRow
from server.goals.models import FrameworkRow, GoalClosureRow, GoalRow
from server.ledger.models import LedgerAccountRow, LedgerEntryRow, LedgerTransactionRow
from server.organisations.models import PublisherRow, SchoolRow, UserRow
from server.purchasing.models import OrderLineRow, OrderRow, PurchaseRequestRow


def at(day: str, clock: str = "12:00") -> datetime:
    return datetime.fromisoformat(f"{day}T{clock}:00+00:00").astimezone(UTC)


@dataclass
class World:
    bakke: SchoolRow
    fjordskolen: SchoolRow
    odense_school: SchoolRow
    fjord: PublisherRow
    bakkeforlaget: PublisherRow
    teacher: UserRow
    orders: list[OrderRow]
    products: dict[str, ProductRow]


class Ledger:
    def __init__(self, session: Session, programme: SubsidyProgrammeRow) -> None:
        self.session = session
        self.programme = programme
        self.accounts: dict[str, LedgerAccountRow] = {}

    def account(
        self, kind: str, fund: str, code: str, school: SchoolRow | None = None
    ) -> LedgerAccountRow:
        owner = school.id if school else code
        key = f"{kind}:{owner}:{fund}" + (f":{self.programme.id}" if fund == "grant" else "")
        if key not in self.accounts:
            row = LedgerAccountRow(
                id=uuid.uuid4(),
                key=key,
                kind=kind,
                fund=fund,
                municipality_code=code,
                school_id=school.id if school else None,
                programme_id=self.programme.id if fund == "grant" else None,
                allow_negative=kind == "external",
                balance_ore=0,
            )
            self.session.add(row)
            self.session.flush()
            self.accounts[key] = row
        return self.accounts[key]

    def post(
        self,
        kind: str,
        moment: datetime,
        moves: list[tuple[LedgerAccountRow, LedgerAccountRow, int]],
        order: OrderRow | None = None,
    ) -> None:
        """Each move takes ``amount`` from the first account to the second."""
        transaction = LedgerTransactionRow(
            id=uuid.uuid4(),
            kind=kind,
            memo="",
            order_id=order.id if order else None,
            created_at=moment,
        )
        self.session.add(transaction)
        self.session.flush()
        for source, target, amount in moves:
            for account, signed in ((source, -amount), (target, amount)):
                self.session.add(
                    LedgerEntryRow(
                        id=uuid.uuid4(),
                        transaction_id=transaction.id,
                        account_id=account.id,
                        amount_ore=signed,
                    )
                )
                account.balance_ore += signed
        self.session.flush()


def goal_tree(session: Session) -> dict[str, uuid.UUID]:
    framework = FrameworkRow(
        id=uuid.uuid4(),
        title="Matematik",
        creator="Børne- og Undervisningsministeriet",
        language="da",
        subject="matematik",
        imported_at=at("2026-01-01"),
    )
    session.add(framework)
    session.flush()
    ids: dict[str, uuid.UUID] = {}
    for area, goal in (
        ("Tal og algebra", "Eleven kan regne med brøker"),
        ("Geometri og måling", "Eleven kan måle vinkler"),
    ):
        area_id, goal_id = uuid.uuid4(), uuid.uuid4()
        session.add_all(
            [
                GoalRow(
                    id=area_id,
                    framework_id=framework.id,
                    full_statement=area,
                    kind="competence_area",
                    depth=0,
                ),
                GoalRow(
                    id=goal_id,
                    framework_id=framework.id,
                    full_statement=goal,
                    kind="skill_goal",
                    parent_id=area_id,
                    depth=1,
                ),
            ]
        )
        session.flush()
        session.add_all(
            [
                GoalClosureRow(
                    ancestor_id=area_id, descendant_id=area_id, framework_id=framework.id, depth=0
                ),
                GoalClosureRow(
                    ancestor_id=goal_id, descendant_id=goal_id, framework_id=framework.id, depth=0
                ),
                GoalClosureRow(
                    ancestor_id=area_id, descendant_id=goal_id, framework_id=framework.id, depth=1
                ),
            ]
        )
        ids[area] = goal_id
    session.flush()
    return ids


def product(
    session: Session,
    publisher: PublisherRow,
    title: str,
    subjects: list[str],
    goals: list[uuid.UUID],
    price_ore: int,
) -> tuple[ProductRow, OfferRow]:
    moment = at("2026-06-01")
    row = ProductRow(
        id=uuid.uuid4(),
        publisher_id=publisher.id,
        status="published",
        version=1,
        title=title,
        listing={"subjects": subjects},
        published_at=moment,
        created_at=moment,
        updated_at=moment,
    )
    session.add(row)
    session.flush()
    for position, goal_id in enumerate(goals):
        session.add(ProductGoalTagRow(product_id=row.id, goal_id=goal_id, position=position))
    offer = OfferRow(
        id=uuid.uuid4(),
        product_id=row.id,
        licence_type="class",
        period="school_year",
        price_ore=price_ore,
        vat_percent=25,
        subsidy_eligible=True,
        min_quantity=1,
        max_quantity=None,
        active=True,
        created_at=moment,
        updated_at=moment,
    )
    session.add(offer)
    session.flush()
    return row, offer


def order(
    session: Session,
    ledger: Ledger,
    school: SchoolRow,
    teacher: UserRow,
    item: tuple[ProductRow, OfferRow],
    quantity: int,
    subsidy_ore: int,
    *,
    created: datetime,
    paid: datetime | None = None,
    cancelled: datetime | None = None,
    invoice_number: str | None = None,
    payment_reference: str | None = None,
) -> OrderRow:
    """An approved request, its order and line, and the ledger's reserve/spend/release."""
    product_row, offer = item
    net = quantity * offer.price_ore
    own = net - subsidy_ore
    vat = net // 4
    request = PurchaseRequestRow(
        id=uuid.uuid4(),
        offer_id=offer.id,
        product_id=product_row.id,
        quantity=quantity,
        municipality_code=school.municipality_code,
        school_id=school.id,
        requested_by=teacher.id,
        reason="Til 5.A",
        goal_ids=[],
        status="approved",
        total_ore=net,
        vat_ore=vat,
        subsidy_ore=subsidy_ore,
        own_ore=own,
        approver_role="school_leader",
        created_at=created,
    )
    session.add(request)
    session.flush()
    status = "cancelled" if cancelled else "paid" if paid else "reserved"
    row = OrderRow(
        id=uuid.uuid4(),
        request_id=request.id,
        municipality_code=school.municipality_code,
        school_id=school.id,
        programme_id=ledger.programme.id,
        payment_method="card" if payment_reference else "invoice",
        status=status,
        total_ore=net,
        vat_ore=vat,
        subsidy_ore=subsidy_ore,
        own_ore=own,
        charge_ore=net + vat,
        ean="5798005770008",
        invoice_number=invoice_number,
        payment_reference=payment_reference,
        approved_by=teacher.id,
        paid_at=paid,
        cancelled_at=cancelled,
        created_at=created,
        updated_at=created,
    )
    session.add(row)
    session.flush()
    session.add(
        OrderLineRow(
            id=uuid.uuid4(),
            order_id=row.id,
            offer_id=offer.id,
            product_id=product_row.id,
            publisher_id=product_row.publisher_id,
            description=product_row.title,
            licence_type="class",
            period="school_year",
            quantity=quantity,
            unit_price_ore=offer.price_ore,
            net_ore=net,
            vat_percent=25,
            vat_ore=vat,
            subsidy_ore=subsidy_ore,
            own_ore=own,
        )
    )
    code = school.municipality_code

    def moves(source: str, target: str) -> list[tuple[LedgerAccountRow, LedgerAccountRow, int]]:
        found = []
        for fund, amount in (("grant", subsidy_ore), ("own", own)):
            if amount:
                found.append(
                    (
                        ledger.account(source, fund, code, school),
                        ledger.account(target, fund, code, school),
                        amount,
                    )
                )
        return found

    ledger.post("reserve", created, moves("school", "reserved"), row)
    if paid:
        ledger.post("spend", paid, moves("reserved", "spent"), row)
    if cancelled:
        ledger.post("refund", cancelled, moves("spent", "school"), row)
    session.flush()
    return row


def build(session: Session) -> World:
    fjord = make_publisher(session, "Fjordforlaget", "11112222")
    bakkeforlaget = make_publisher(session, "Bakkeforlaget", "33334444")
    bakke = make_school(session, "751", "Bakkeskolen")
    fjordskolen = make_school(session, "751", "Fjordskolen")
    odense_school = make_school(session, "461", "Odense Skole")
    teacher = make_user(session, "teacher", school=bakke)
    programme = SubsidyProgrammeRow(
        id=uuid.uuid4(),
        name="Digitale læremidler 2026",
        rate_bp=5000,
        valid_from=date(2026, 1, 1),
        valid_to=date(2027, 12, 31),
        per_pupil_ore=0,
        created_at=at("2026-01-01"),
    )
    session.add(programme)
    session.flush()
    ledger = Ledger(session, programme)
    for code, grant, own in (("751", 100_000_00, 50_000_00), ("461", 10_000_00, 1_000_00)):
        ledger.post(
            "grant",
            at("2026-08-01"),
            [
                (
                    ledger.account("external", "grant", code),
                    ledger.account("municipality", "grant", code),
                    grant,
                )
            ],
        )
        if own:
            ledger.post(
                "own_funds",
                at("2026-08-01"),
                [
                    (
                        ledger.account("external", "own", code),
                        ledger.account("municipality", "own", code),
                        own,
                    )
                ],
            )

    def allocate(school: SchoolRow, fund: str, amount: int) -> None:
        code = school.municipality_code
        ledger.post(
            "allocation",
            at("2026-08-02"),
            [
                (
                    ledger.account("municipality", fund, code),
                    ledger.account("school", fund, code, school),
                    amount,
                )
            ],
        )

    allocate(bakke, "grant", 60_000_00)
    allocate(bakke, "own", 20_000_00)
    allocate(fjordskolen, "grant", 10_000_00)
    allocate(fjordskolen, "own", 1_000_00)
    allocate(odense_school, "grant", 10_000_00)
    allocate(odense_school, "own", 1_000_00)

    goals = goal_tree(session)
    brok = product(session, fjord, "Brøkbanken", ["matematik"], [goals["Tal og algebra"]], 1_500_00)
    laes = product(
        session,
        bakkeforlaget,
        "Læs og regn",
        ["dansk", "matematik"],
        [goals["Tal og algebra"], goals["Geometri og måling"]],
        1_000_01,
    )
    lyst = product(session, fjord, "Læselyst", ["dansk"], [], 800_00)
    odense = product(session, fjord, "Odense-pakken", ["dansk"], [], 999_00)
    orders = [
        order(
            session,
            ledger,
            bakke,
            teacher,
            brok,
            2,
            1_500_00,
            created=at("2026-09-01"),
            paid=at("2026-09-10"),
            invoice_number="SH-000000000001",
        ),
        order(session, ledger, bakke, teacher, laes, 1, 500_00, created=at("2026-09-20")),
        order(
            session,
            ledger,
            fjordskolen,
            teacher,
            lyst,
            1,
            400_00,
            created=at("2026-10-01"),
            paid=at("2026-10-05", "23:30"),
            payment_reference="pi_test_3",
        ),
        order(
            session,
            ledger,
            bakke,
            teacher,
            brok,
            1,
            750_00,
            created=at("2026-09-02"),
            paid=at("2026-09-03"),
            cancelled=at("2026-09-04"),
            invoice_number="SH-CANCELLED",
        ),
        order(
            session,
            ledger,
            odense_school,
            teacher,
            odense,
            1,
            499_50,
            created=at("2026-09-11"),
            paid=at("2026-09-12"),
            invoice_number="SH-ODENSE",
        ),
    ]
    session.commit()
    return World(
        bakke=bakke,
        fjordskolen=fjordskolen,
        odense_school=odense_school,
        fjord=fjord,
        bakkeforlaget=bakkeforlaget,
        teacher=teacher,
        orders=orders,
        products={"brok": brok[0], "laes": laes[0], "lyst": lyst[0]},
    )


def headers(token: str) -> dict[str, Any]:
    return {"Authorization": f"Bearer {token}"}
