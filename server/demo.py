"""Demo data for ``make run``: everything a newcomer needs to see the marketplace work.

Loading is idempotent (run it again and it refreshes in place). The demo accounts have one
shared, published password, so ``skolehylde demo`` refuses to run in production.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from learning_goals.faelles_maal import load_shipped_frameworks
from server.demo_catalogue import DEMO_PUBLISHERS, demo_products, demo_publisher_id
from server.goals.operations import import_package
from server.identity.passwords import set_password
from server.organisations.models import (
    MembershipRow,
    PublisherRow,
    SchoolClassRow,
    SchoolRow,
    UserRow,
)

DEMO_PASSWORD = "skolehylde-demo"  # noqa: S105 - published on purpose; demo refuses production
DEMO_NAMESPACE = uuid.UUID("0d3b7a52-7a0e-5bd2-9e55-64656d6f2121")
SCHOOL_YEAR = "2026/27"


class DemoRefused(RuntimeError):
    pass


@dataclass(frozen=True)
class DemoUser:
    username: str
    name: str
    role: str
    school: str | None = None  # institution number
    class_name: str | None = None
    municipality: str | None = None
    publisher_cvr: str | None = None
    email: str | None = None


# Fictional schools in real municipalities (Aarhus 751, Odense 461).
SCHOOLS = [
    ("990001", "Bakkeskolen (demo)", "751"),
    ("990002", "Fjordskolen (demo)", "461"),
]
CLASSES = [("990001", "1.A", 1), ("990001", "4.B", 4), ("990001", "7.C", 7), ("990002", "5.A", 5)]
USERS = [
    DemoUser("laerer", "Lise Lærer", "teacher", "990001", email="lise@bakkeskolen.invalid"),
    DemoUser("leder", "Lars Leder", "school_leader", "990001", email="lars@bakkeskolen.invalid"),
    DemoUser("elev", "Emil", "pupil", "990001", "4.B"),
    DemoUser("elev2", "Sofie", "pupil", "990001", "4.B"),
    DemoUser("elev3", "Noah", "pupil", "990001", "1.A"),
    DemoUser("indkoeber", "Ida Indkøber", "municipal_buyer", municipality="751",
             email="ida@aarhus.invalid"),
    DemoUser("forlag", "Frida Forlag", "publisher_admin", publisher_cvr="10000009",
             email="frida@laerkereden.invalid"),
    DemoUser("admin", "Platform Admin", "platform_admin", email="admin@skolehylde.invalid"),
]  # fmt: skip


def demo_id(*parts: str) -> uuid.UUID:
    return uuid.uuid5(DEMO_NAMESPACE, "/".join(parts))


def load_demo(session: Session, *, environment: str = "development") -> Iterator[str]:
    """Load (or refresh in place) the demo data, yielding one line per step."""
    if environment == "production":
        raise DemoRefused("the demo accounts share a published password: not in production")
    for package in load_shipped_frameworks():
        report = import_package(session, package)
        yield (
            f"{'loaded' if report.created else 'refreshed'} {report.title}:"
            f" {report.items} goals, {len(package.framework.gaps)} known gaps"
        )
    yield from _organisations(session)
    from server.oauth import ensure_default_clients

    client = ensure_default_clients(session)
    yield f"OAuth client for the app: {client.client_id} (public, code + PKCE, badge grant)"
    yield _catalogue(session)
    yield from _launching(session)
    yield from _budgets(session)


def _catalogue(session: Session) -> str:
    """The demo products, imported as the operator would (published, through review)."""
    from server.catalogue.importer import import_catalogue

    lines = [{**line, "status": "published"} for line in demo_products()]
    report = import_catalogue(
        session,
        "\n".join(json.dumps(line, ensure_ascii=False) for line in lines).encode(),
        publisher=None,
        principal=None,
        may_publish=True,
    )
    return (
        f"demo catalogue: {len(report.lines)} products from {len(DEMO_PUBLISHERS)}"
        " fictional publishers"
    )


def _organisations(session: Session) -> Iterator[str]:
    now = datetime.now(UTC)
    schools: dict[str, SchoolRow] = {}
    for number, name, municipality in SCHOOLS:
        school = session.scalar(select(SchoolRow).where(SchoolRow.institution_number == number))
        if school is None:
            school = SchoolRow(
                id=demo_id("school", number),
                institution_number=number,
                name=name,
                municipality_code=municipality,
                school_year=SCHOOL_YEAR,
            )
            session.add(school)
        schools[number] = school
    session.flush()
    classes: dict[tuple[str, str], SchoolClassRow] = {}
    for number, class_name, grade in CLASSES:
        school = schools[number]
        row = session.scalar(
            select(SchoolClassRow).where(
                SchoolClassRow.school_id == school.id, SchoolClassRow.name == class_name
            )
        )
        if row is None:
            row = SchoolClassRow(
                id=demo_id("class", number, class_name),
                school_id=school.id,
                name=class_name,
                grade=grade,
                school_year=school.school_year,
            )
            session.add(row)
        classes[(number, class_name)] = row
    publishers: dict[str, PublisherRow] = {}
    for publisher_spec in DEMO_PUBLISHERS:
        cvr = publisher_spec.cvr
        publisher = session.scalar(select(PublisherRow).where(PublisherRow.cvr == cvr))
        if publisher is None:
            publisher = PublisherRow(
                id=demo_publisher_id(cvr),
                name=publisher_spec.name,
                cvr=cvr,
                contact_email=publisher_spec.contact_email,
                dpa_url=publisher_spec.data_processing_agreement_url,
            )
            session.add(publisher)
        publishers[cvr] = publisher
    session.flush()
    for spec in USERS:
        user = session.scalar(select(UserRow).where(UserRow.username == spec.username))
        if user is None:
            user = UserRow(
                id=demo_id("user", spec.username),
                display_name=spec.name,
                email=spec.email,
                username=spec.username,
                active=True,
                created_at=now,
                updated_at=now,
            )
            session.add(user)
            session.flush()
        school = schools[spec.school] if spec.school else None
        school_class = (
            classes[(spec.school, spec.class_name)] if spec.class_name and spec.school else None
        )
        membership_id = demo_id("membership", spec.username, spec.role)
        if session.get(MembershipRow, membership_id) is None:
            session.add(
                MembershipRow(
                    id=membership_id,
                    user_id=user.id,
                    role=spec.role,
                    school_id=school.id if school else None,
                    class_id=school_class.id if school_class else None,
                    municipality_code=spec.municipality,
                    publisher_id=publishers[spec.publisher_cvr].id if spec.publisher_cvr else None,
                    active=True,
                )
            )
        set_password(session, user, DEMO_PASSWORD)
    session.commit()
    yield f"demo schools: {', '.join(name for _, name, _ in SCHOOLS)}"
    yield (
        f"demo accounts (password '{DEMO_PASSWORD}'): "
        + ", ".join(f"{u.username} ({u.role})" for u in USERS)
    )


#: The demo tool's products that class 4.B of Bakkeskolen holds a class licence for, so the
#: demo pupil ``elev`` can open them (the licence has no order: it is demo data).
DEMO_CLASS_LICENCES = ("matematisk-problemloesning", "laeseloeven-4", "foer-under-efter")


def schools_by_number(session: Session) -> dict[str, SchoolRow]:
    return {
        row.institution_number: row
        for row in session.scalars(
            select(SchoolRow).where(SchoolRow.institution_number.in_([n for n, _, _ in SCHOOLS]))
        )
    }


def _launching(session: Session) -> Iterator[str]:
    """The demo LTI tool registered for every LTI demo product, and 4.B's demo licences."""
    from flask import current_app

    from server.catalogue.models import ProductRow
    from server.demo_tool import demo_product_keys, registration_for, tool_key
    from server.launch.operations import save_registration
    from server.licensing.models import LicenceRow

    key = tool_key(current_app.config["VAR_DIR"])
    keys = demo_product_keys()
    products = {
        str(row.external_id).removeprefix("demo-"): row
        for row in session.scalars(
            select(ProductRow).where(ProductRow.external_id.in_([f"demo-{k}" for k in keys]))
        )
    }
    for product_key in keys:
        save_registration(session, products[product_key].id, registration_for(product_key, key))
    school = schools_by_number(session)["990001"]
    class_id = session.scalar(
        select(SchoolClassRow.id).where(
            SchoolClassRow.school_id == school.id, SchoolClassRow.name == "4.B"
        )
    )
    now = datetime.now(UTC)
    for product_key in DEMO_CLASS_LICENCES:
        licence_id = demo_id("licence", product_key, "4.B")
        licence = session.get(LicenceRow, licence_id)
        if licence is None:
            session.add(
                LicenceRow(
                    id=licence_id, order_id=None, product_id=products[product_key].id,
                    licence_type="class", municipality_code=school.municipality_code,
                    school_id=school.id, school_class_id=class_id, school_year=SCHOOL_YEAR,
                    seats=None, valid_from=datetime(2026, 8, 1, tzinfo=UTC),
                    valid_until=datetime(2027, 8, 1, tzinfo=UTC), status="active",
                    revoked_at=None, created_at=now,
                )
            )  # fmt: skip
    session.commit()
    yield (
        f"demo LTI tool (http://127.0.0.1:8001) registered for {len(keys)} products;"
        f" class 4.B holds licences for {', '.join(DEMO_CLASS_LICENCES)}"
    )
    base = current_app.config["PUBLIC_BASE_URL"]
    yield (
        f"open {base}/open/p/{products[DEMO_CLASS_LICENCES[0]].id} and sign in as elev:"
        " the demo tool shows the launch"
    )


# -- budgets, purchasing and licences -------------------------------------------------------

DEMO_PROGRAMME = "Digitale læremidler 2026/27"
#: fictional EAN numbers with the 5790000 prefix and a valid GS1 check digit
DEMO_EANS = {"751": "5790000007516", "461": "5790000004614"}
#: (municipality, pupils the demo grant is computed from: fictional)
DEMO_GRANTS = (("751", 2400), ("461", 1800))
DEMO_PER_PUPIL_ORE = 100_00  # 100 kr. per pupil
DEMO_OWN_FUNDS_ORE = 200_000_00
DEMO_ALLOCATION_ORE = 50_000_00  # per school and fund


def demo_offer(session: Session, *, skip: int = 0) -> tuple[uuid.UUID, uuid.UUID] | None:
    """(product id, offer id) of a subsidy-eligible class offer of a published demo product:
    ``skip=0`` is the one the demo has bought for 4.B, ``skip=1`` one it has not."""
    from server.catalogue.models import OfferRow, ProductRow

    rows = session.execute(
        select(ProductRow.id, OfferRow.id)
        .join(OfferRow, OfferRow.product_id == ProductRow.id)
        .where(
            ProductRow.status == "published",
            OfferRow.active,
            OfferRow.licence_type == "class",
            OfferRow.subsidy_eligible,
            OfferRow.price_ore > 0,
            OfferRow.min_quantity == 1,
        )
        .order_by(ProductRow.title, OfferRow.id)
        .offset(skip)
        .limit(1)
    ).first()
    return (rows[0], rows[1]) if rows else None


def _budgets(session: Session) -> Iterator[str]:
    """The subsidy programme, grants, EANs, allocations, and one paid order for 4.B."""
    from datetime import date

    from server.budgets import operations as budgets
    from server.budgets.models import SubsidyProgrammeRow
    from server.identity.current import principal_for_user
    from server.purchasing import operations as purchasing
    from server.purchasing.models import OrderRow

    def principal(username: str) -> Any:
        user = session.scalar(select(UserRow).where(UserRow.username == username))
        return principal_for_user(session, user.id) if user else None

    admin = principal("admin")
    programme = session.scalar(
        select(SubsidyProgrammeRow).where(SubsidyProgrammeRow.name == DEMO_PROGRAMME)
    )
    if programme is None:
        programme = budgets.create_programme(
            session, admin, name=DEMO_PROGRAMME, rate_bp=5000, valid_from=date(2026, 8, 1),
            valid_to=date(2027, 7, 31), per_pupil_ore=DEMO_PER_PUPIL_ORE,
        )  # fmt: skip
    for code, pupils in DEMO_GRANTS:
        budgets.set_grant(session, admin, programme.id, code, pupils=pupils)
        budgets.update_settings(session, admin, code, ean=DEMO_EANS[code])
        figures = budgets.municipality_budget(session, code)
        if figures["own_funds_ore"] == 0:
            budgets.add_own_funds(session, admin, code, DEMO_OWN_FUNDS_ORE)
        for number, _name, municipality in SCHOOLS:
            school = session.scalar(select(SchoolRow).where(SchoolRow.institution_number == number))
            if municipality != code or school is None:
                continue
            if budgets.school_budget(session, school)["allocated_ore"] == 0:
                for fund in ("grant", "own"):
                    budgets.allocate(
                        session, admin, code, school_id=school.id, fund=fund,
                        amount_ore=DEMO_ALLOCATION_ORE, programme_id=programme.id,
                    )  # fmt: skip
    yield (
        f"subsidy programme {DEMO_PROGRAMME!r} (50 %): grants for Aarhus and Odense,"
        f" EANs {', '.join(DEMO_EANS.values())}, allocations to the demo schools"
    )
    bakkeskolen = session.scalar(select(SchoolRow).where(SchoolRow.institution_number == "990001"))
    bought = demo_offer(session)
    if bakkeskolen is None or bought is None:
        return
    if session.scalar(select(OrderRow.id).where(OrderRow.school_id == bakkeskolen.id)) is None:
        four_b = session.scalar(
            select(SchoolClassRow).where(
                SchoolClassRow.school_id == bakkeskolen.id, SchoolClassRow.name == "4.B"
            )
        )
        if four_b is None:
            return
        request = purchasing.create_request(
            session, principal("laerer"), offer_id=bought[1], quantity=1,
            reason="Demo: et materiale til 4.B", school_class_id=four_b.id,
        )  # fmt: skip
        purchasing.approve(session, principal("leder"), request.id, gateway=None)
    yield "a paid demo order: 4.B at Bakkeskolen has a class licence (elev and elev2 see it)"
