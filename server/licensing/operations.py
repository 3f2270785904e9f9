"""Use cases of licences: issue on payment, revoke on cancellation, pupil seats, trials, the
school-year rollover, and what a user may open now (``me/materials``).

Validity: a licence runs from the day it is paid to the last day of its offer's period
(``catalogue.vocabulary.licence_last_day``), as ``[valid_from, valid_until)`` with
``valid_until`` midnight (Copenhagen) after the last day. Expiry is that moment: nothing runs
at midnight, ``check_entitlement`` compares with the clock.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from catalogue.vocabulary import Period, licence_last_day
from server.catalogue.models import ProductRow
from server.errors import Conflict, NotFound
from server.identity.principal import Principal
from server.licensing.entitlements import COPENHAGEN, aware, check_entitlement, holdings_of
from server.licensing.models import LicenceRow, LicenceSeatRow, TrialRow
from server.organisations.models import MembershipRow, SchoolClassRow, SchoolRow
from server.policy import Tenant, authorize
from server.purchasing.errors import StateConflict, invalid


def now() -> datetime:
    return datetime.now(UTC)


def valid_until_for(period: str, start: datetime) -> datetime:
    """Midnight in Copenhagen after the period's last day, as UTC."""
    last = licence_last_day(Period(period), aware(start).astimezone(COPENHAGEN).date())
    return datetime.combine(last + timedelta(days=1), time(0), COPENHAGEN).astimezone(UTC)


def licence_tenant(session: Session, row: LicenceRow) -> Tenant:
    schools: frozenset[uuid.UUID] = frozenset({row.school_id}) if row.school_id else frozenset()
    return Tenant(
        municipality_code=row.municipality_code, school_ids=schools, class_id=row.school_class_id
    )


# -- issue and revoke (called by purchasing, in its transaction) ----------------------------


@dataclass(frozen=True, slots=True)
class LicenceGrant:
    product_id: uuid.UUID
    licence_type: str
    period: str
    quantity: int


def issue(
    session: Session,
    *,
    order_id: uuid.UUID,
    grant: LicenceGrant,
    school: SchoolRow,
    school_class_id: uuid.UUID | None,
    at: datetime,
    school_class: SchoolClassRow | None = None,
) -> LicenceRow:
    """The licence an order's line buys (not committed: the caller's transaction)."""
    if school_class is None and school_class_id is not None:
        school_class = session.get(SchoolClassRow, school_class_id)
    row = LicenceRow(
        id=uuid.uuid4(),
        order_id=order_id,
        product_id=grant.product_id,
        licence_type=grant.licence_type,
        municipality_code=school.municipality_code,
        school_id=school.id if grant.licence_type != "municipality" else None,
        school_class_id=school_class_id if grant.licence_type in ("class", "pupil") else None,
        school_year=school_class.school_year if school_class else school.school_year,
        seats=grant.quantity if grant.licence_type == "pupil" else None,
        valid_from=at,
        valid_until=valid_until_for(grant.period, at),
        status="active",
        created_at=at,
    )
    session.add(row)
    return row


def revoke_for_order(session: Session, order_id: uuid.UUID, at: datetime) -> int:
    """Revoke the order's licences (their seats go with them); how many."""
    rows = session.scalars(
        select(LicenceRow).where(LicenceRow.order_id == order_id, LicenceRow.status == "active")
    ).all()
    for row in rows:
        row.status = "revoked"
        row.revoked_at = at
        for seat in session.scalars(
            select(LicenceSeatRow).where(LicenceSeatRow.licence_id == row.id)
        ):
            session.delete(seat)
    return len(rows)


# -- reading --------------------------------------------------------------------------------


def get_licence(session: Session, principal: Principal, licence_id: uuid.UUID) -> LicenceRow:
    row = session.get(LicenceRow, licence_id)
    if row is None:
        raise NotFound("Ingen licens med det id.", code="licence_not_found")
    authorize(principal, "licence.read", licence_tenant(session, row), what="licence")
    return row


def seats_of(session: Session, licence_id: uuid.UUID) -> list[LicenceSeatRow]:
    return list(
        session.scalars(
            select(LicenceSeatRow)
            .where(LicenceSeatRow.licence_id == licence_id)
            .order_by(LicenceSeatRow.assigned_at)
        )
    )


def school_licences(
    session: Session, principal: Principal, school_id: uuid.UUID
) -> list[LicenceRow]:
    school = session.get(SchoolRow, school_id)
    if school is None:
        raise NotFound("Ingen skole med det id.", code="school_not_found")
    authorize(
        principal, "licence.read",
        Tenant(municipality_code=school.municipality_code, school_ids=frozenset({school.id})),
        what="school",
    )  # fmt: skip
    return list(
        session.scalars(
            select(LicenceRow)
            .where(
                (LicenceRow.school_id == school.id)
                | (
                    (LicenceRow.licence_type == "municipality")
                    & (LicenceRow.municipality_code == school.municipality_code)
                )
            )
            .order_by(LicenceRow.created_at)
        )
    )


# -- seats ----------------------------------------------------------------------------------


def assign_seat(
    session: Session, principal: Principal, licence_id: uuid.UUID, user_id: uuid.UUID
) -> LicenceSeatRow:
    """Give a pupil of the licence's school a seat on a pupil licence (409 when full)."""
    row = session.get(LicenceRow, licence_id)
    if row is None:
        raise NotFound("Ingen licens med det id.", code="licence_not_found")
    authorize(principal, "licence.assign", licence_tenant(session, row), what="licence")
    if row.licence_type != "pupil":
        raise StateConflict("Kun elevlicenser har pladser.", code="not_a_seat_licence")
    if row.status != "active" or aware(row.valid_until) <= now():
        raise StateConflict("Licensen er ikke aktiv.", code="licence_not_active")
    pupil = session.scalar(
        select(MembershipRow).where(
            MembershipRow.user_id == user_id,
            MembershipRow.role == "pupil",
            MembershipRow.school_id == row.school_id,
            MembershipRow.active,
        )
    )
    if pupil is None:
        raise invalid("user_id", "is not a pupil of the licence's school",
                      "Eleven går ikke på skolen.")  # fmt: skip
    # lock the licence so two teachers cannot both take the last seat
    session.scalar(select(LicenceRow.id).where(LicenceRow.id == row.id).with_for_update())
    taken = seats_of(session, row.id)
    existing = next((seat for seat in taken if seat.user_id == user_id), None)
    if existing is not None:
        return existing
    if len(taken) >= (row.seats or 0):
        raise StateConflict(
            f"Alle {row.seats} pladser er brugt. Frigiv en plads først.", code="no_free_seat"
        )
    seat = LicenceSeatRow(
        licence_id=row.id, user_id=user_id, assigned_by=principal.user_id, assigned_at=now()
    )
    session.add(seat)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        raise Conflict("Pladsen blev tildelt samtidig; prøv igen.") from None
    return seat


def release_seat(
    session: Session, principal: Principal, licence_id: uuid.UUID, user_id: uuid.UUID
) -> None:
    row = session.get(LicenceRow, licence_id)
    if row is None:
        raise NotFound("Ingen licens med det id.", code="licence_not_found")
    authorize(principal, "licence.assign", licence_tenant(session, row), what="licence")
    seat = session.get(LicenceSeatRow, (licence_id, user_id))
    if seat is None:
        raise NotFound("Eleven har ingen plads på licensen.", code="seat_not_found")
    session.delete(seat)
    session.commit()


# -- trials ---------------------------------------------------------------------------------


def start_trial(
    session: Session, principal: Principal, *, product_id: uuid.UUID, school_class_id: uuid.UUID
) -> TrialRow:
    """A teacher's time-limited trial of a product for a class (one per product and class)."""
    school_class = session.get(SchoolClassRow, school_class_id)
    school = session.get(SchoolRow, school_class.school_id) if school_class else None
    if school_class is None or school is None:
        raise NotFound("Ingen klasse med det id.", code="class_not_found")
    authorize(
        principal, "trial.start",
        Tenant(municipality_code=school.municipality_code, school_ids=frozenset({school.id}),
               class_id=school_class.id),
        what="class",
    )  # fmt: skip
    product = session.get(ProductRow, product_id)
    if product is None or product.status != "published":
        raise invalid("product_id", "no published product with that id",
                      "Materialet findes ikke.")  # fmt: skip
    days = int(product.listing.get("trial_days") or 0)
    if days <= 0:
        raise StateConflict("Materialet har ingen prøveperiode.", code="no_trial")
    existing = session.scalar(
        select(TrialRow).where(
            TrialRow.product_id == product.id, TrialRow.school_class_id == school_class.id
        )
    )
    if existing is not None:
        raise StateConflict(
            "Klassen har allerede prøvet materialet.", code="trial_exists",
            details={"trial_id": str(existing.id)},
        )  # fmt: skip
    started = now()
    row = TrialRow(
        id=uuid.uuid4(), product_id=product.id, school_id=school.id,
        school_class_id=school_class.id, started_by=principal.user_id, started_at=started,
        ends_at=started + timedelta(days=days), launches=0,
    )  # fmt: skip
    session.add(row)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        raise StateConflict(
            "Klassen har allerede prøvet materialet.", code="trial_exists"
        ) from None
    return row


def trial_days_used(trial: TrialRow, at: datetime) -> int:
    """Whole days of the trial used by ``at`` (started today → 1)."""
    end = min(aware(at), aware(trial.ends_at))
    return max(0, (end - aware(trial.started_at)).days + 1)


# -- rollover -------------------------------------------------------------------------------


def rollover_licences(session: Session, school_id: uuid.UUID) -> int:
    """After a school's rollover: class licences follow their classes (same class id) into the
    new school year; record that year on them. Licences of leaving (deactivated) classes keep
    their old year and cover nobody. How many moved; commits."""
    moved = 0
    rows = session.execute(
        select(LicenceRow, SchoolClassRow)
        .join(SchoolClassRow, SchoolClassRow.id == LicenceRow.school_class_id)
        .where(
            LicenceRow.school_id == school_id,
            LicenceRow.licence_type == "class",
            LicenceRow.status == "active",
            SchoolClassRow.active,
        )
    ).all()
    for licence, school_class in rows:
        if licence.school_year != school_class.school_year:
            licence.school_year = school_class.school_year
            moved += 1
    session.commit()
    return moved


# -- me -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Material:
    product_id: uuid.UUID
    title: str
    reason: str
    valid_until: datetime | None


def my_materials(session: Session, principal: Principal) -> list[Material]:
    """Products the user holds a licence or trial for now (free ones are open to all)."""
    if principal.user_id is None:
        return []
    at = now()
    holds = holdings_of(session, principal.user_id)
    candidates: set[uuid.UUID] = set(
        session.scalars(
            select(LicenceRow.product_id).where(
                LicenceRow.status == "active",
                LicenceRow.valid_until > at,
                LicenceRow.municipality_code.in_(holds.municipality_codes),
            )
        )
    )
    candidates |= set(
        session.scalars(
            select(LicenceRow.product_id)
            .join(LicenceSeatRow, LicenceSeatRow.licence_id == LicenceRow.id)
            .where(LicenceSeatRow.user_id == principal.user_id)
        )
    )
    if holds.class_ids:
        candidates |= set(
            session.scalars(
                select(TrialRow.product_id).where(
                    TrialRow.school_class_id.in_(holds.class_ids), TrialRow.ends_at > at
                )
            )
        )
    found: list[Material] = []
    for product_id in candidates:
        entitlement = check_entitlement(
            session, user_id=principal.user_id, product_id=product_id, at=at
        )
        if entitlement.allowed and entitlement.reason in ("licence", "trial"):
            product = session.get(ProductRow, product_id)
            found.append(
                Material(product_id, product.title if product else "", entitlement.reason,
                         entitlement.valid_until)
            )  # fmt: skip
    return sorted(found, key=lambda m: (m.title, str(m.product_id)))
