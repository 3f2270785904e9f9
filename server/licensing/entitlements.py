"""May this user open this product now, and why: a licence, a trial, or a free product.

``check_entitlement`` is the one query the launch side asks before every launch; it never
writes. The order of reasons: a valid licence (the one that runs longest), an active trial of
one of the user's classes, a free product (published with an active offer priced 0 øre);
otherwise ``expired`` when a licence or trial the user had has run out, else ``no_licence``.

Who holds what:

* a pupil: their class (class membership), school and municipality, and their own seats;
* a teacher or school leader: their schools and municipality, and the class passed as
  ``school_class_id`` when it is a class of one of their schools;
* a municipal buyer: municipality licences of their municipality.
"""

from __future__ import annotations

import functools
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, and_, bindparam, exists, or_, select, union
from sqlalchemy.orm import Session

from server.catalogue.models import OfferRow, ProductRow
from server.licensing.models import LicenceRow, LicenceSeatRow, TrialRow
from server.organisations.models import MembershipRow, SchoolClassRow, SchoolRow

COPENHAGEN = ZoneInfo("Europe/Copenhagen")
REASONS = ("licence", "trial", "free", "no_licence", "expired", "unknown_product")


@dataclass(frozen=True, slots=True)
class Entitlement:
    allowed: bool
    reason: str  # "licence" | "trial" | "free" | "no_licence" | "expired" | "unknown_product"
    product_id: uuid.UUID
    message: str  # Danish, for the user ("Din skole har licens til 31.07.2027", ...)
    licence_id: uuid.UUID | None = None
    trial_id: uuid.UUID | None = None
    valid_until: datetime | None = None


@dataclass(frozen=True, slots=True)
class Holdings:
    """The tenants a user can hold licences through."""

    municipality_codes: frozenset[str]
    school_ids: frozenset[uuid.UUID]
    class_ids: frozenset[uuid.UUID]


def aware(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def last_day_text(valid_until: datetime) -> str:
    """``valid_until`` is exclusive: the last day it is valid, Danish style (31.07.2027)."""
    last = aware(valid_until).astimezone(COPENHAGEN) - timedelta(microseconds=1)
    return last.strftime("%d.%m.%Y")


def _autoflush(session: Session) -> None:
    """Plain table selects do not autoflush as ORM queries do: flush pending changes first,
    so a caller's unflushed rows count exactly as before."""
    if session.autoflush and (session.new or session.dirty or session.deleted):
        session.flush()


@functools.cache
def _memberships() -> Select[Any]:
    """One query: the user's active memberships, each with its school's municipality."""
    memberships, schools = MembershipRow.__table__, SchoolRow.__table__
    return (
        select(
            memberships.c.role,
            memberships.c.municipality_code,
            memberships.c.school_id,
            memberships.c.class_id,
            schools.c.id.label("found_school"),
            schools.c.municipality_code.label("school_municipality"),
        )
        .select_from(memberships.outerjoin(schools, schools.c.id == memberships.c.school_id))
        .where(memberships.c.user_id == bindparam("user_id"), memberships.c.active)
    )


def holdings_of(
    session: Session, user_id: uuid.UUID, school_class_id: uuid.UUID | None = None
) -> Holdings:
    _autoflush(session)
    memberships = session.execute(_memberships(), {"user_id": user_id}).all()
    municipalities = {m.municipality_code for m in memberships if m.municipality_code}
    schools = {m.school_id for m in memberships if m.school_id}
    classes = {m.class_id for m in memberships if m.class_id and m.role == "pupil"}
    staff_schools = {
        m.school_id for m in memberships if m.school_id and m.role in ("teacher", "school_leader")
    }
    if school_class_id is not None and staff_schools:
        school_class = session.get(SchoolClassRow, school_class_id)
        if school_class is not None and school_class.school_id in staff_schools:
            classes.add(school_class.id)
    municipalities |= {m.school_municipality for m in memberships if m.found_school is not None}
    return Holdings(frozenset(municipalities), frozenset(schools), frozenset(classes))


def _licence_message(licence_type: str, valid_until: datetime) -> str:
    until = last_day_text(valid_until)
    holder = {
        "municipality": "Din kommune har",
        "school": "Din skole har",
        "class": "Din klasse har",
        "pupil": "Du har",
    }[licence_type]
    return f"{holder} licens til {until}"


@functools.cache
def _status_and_licences() -> Select[Any]:
    """The one indexed query before every launch: the product's status, outer-joined to the
    licences that may cover the user, with the user's holdings (``holdings_of``) as
    subqueries. Built once on the tables; one row with empty licence columns when none."""
    products, licences = ProductRow.__table__, LicenceRow.__table__
    seats, memberships = LicenceSeatRow.__table__, MembershipRow.__table__
    schools, classes = SchoolRow.__table__, SchoolClassRow.__table__
    mine = and_(memberships.c.user_id == bindparam("user_id"), memberships.c.active)
    municipalities = union(
        select(memberships.c.municipality_code).where(
            mine, memberships.c.municipality_code.is_not(None)
        ),
        select(schools.c.municipality_code)
        .select_from(memberships.join(schools, schools.c.id == memberships.c.school_id))
        .where(mine),
    )
    my_schools = select(memberships.c.school_id).where(mine, memberships.c.school_id.is_not(None))
    my_classes = select(memberships.c.class_id).where(
        mine, memberships.c.role == "pupil", memberships.c.class_id.is_not(None)
    )
    # the class asked for, when it is a class of a school the user teaches or leads
    staff_class = and_(
        licences.c.school_class_id == bindparam("class_id"),
        exists().where(
            classes.c.id == bindparam("class_id"),
            memberships.c.school_id == classes.c.school_id,
            mine,
            memberships.c.role.in_(("teacher", "school_leader")),
        ),
    )
    covers = or_(
        and_(
            licences.c.licence_type == "municipality",
            licences.c.municipality_code.in_(municipalities),
        ),
        and_(licences.c.licence_type == "school", licences.c.school_id.in_(my_schools)),
        and_(
            licences.c.licence_type == "class",
            or_(licences.c.school_class_id.in_(my_classes), staff_class),
        ),
        and_(
            licences.c.licence_type == "pupil",
            exists().where(
                seats.c.licence_id == licences.c.id, seats.c.user_id == bindparam("user_id")
            ),
        ),
    )
    return (
        select(products.c.status, licences.c.id, licences.c.licence_type, licences.c.valid_until)
        .select_from(
            products.outerjoin(
                licences,
                and_(
                    licences.c.product_id == products.c.id,
                    licences.c.status == "active",
                    licences.c.valid_from <= bindparam("now"),
                    covers,
                ),
            )
        )
        .where(products.c.id == bindparam("product_id"))
    )


def check_entitlement(
    session: Session,
    *,
    user_id: uuid.UUID,
    product_id: uuid.UUID,
    school_class_id: uuid.UUID | None = None,
    at: datetime | None = None,
) -> Entitlement:
    """Whether ``user_id`` may open ``product_id`` at ``at`` (now), and why. Never writes."""
    now = aware(at) if at is not None else datetime.now(UTC)
    _autoflush(session)
    found = session.execute(
        _status_and_licences(),
        {"product_id": product_id, "user_id": user_id, "class_id": school_class_id, "now": now},
    ).all()
    if not found or found[0].status != "published":
        return Entitlement(False, "unknown_product", product_id, "Materialet findes ikke.")
    licences = [row for row in found if row.id is not None]
    current = [row for row in licences if aware(row.valid_until) > now]
    if current:
        best = max(current, key=lambda row: aware(row.valid_until))
        return Entitlement(
            True, "licence", product_id, _licence_message(best.licence_type, best.valid_until),
            licence_id=best.id, valid_until=aware(best.valid_until),
        )  # fmt: skip
    holds = holdings_of(session, user_id, school_class_id)
    trials = (
        session.scalars(
            select(TrialRow).where(
                TrialRow.product_id == product_id,
                TrialRow.school_class_id.in_(holds.class_ids),
                TrialRow.started_at <= now,
            )
        ).all()
        if holds.class_ids
        else []
    )
    running = [row for row in trials if aware(row.ends_at) > now]
    if running:
        trial = max(running, key=lambda row: aware(row.ends_at))
        return Entitlement(
            True, "trial", product_id, f"Prøveperiode til {last_day_text(trial.ends_at)}",
            trial_id=trial.id, valid_until=aware(trial.ends_at),
        )  # fmt: skip
    free = session.scalar(
        select(OfferRow.id)
        .where(OfferRow.product_id == product_id, OfferRow.active, OfferRow.price_ore == 0)
        .limit(1)
    )
    if free is not None:
        return Entitlement(True, "free", product_id, "Materialet er gratis.")
    if licences or trials:
        ended = max(
            [aware(row.valid_until) for row in licences] + [aware(row.ends_at) for row in trials]
        )
        return Entitlement(
            False, "expired", product_id, f"Adgangen udløb {last_day_text(ended)}.",
            valid_until=ended,
        )  # fmt: skip
    return Entitlement(
        False,
        "no_licence",
        product_id,
        "Din skole har ikke licens til materialet. Din lærer kan bede om at købe det.",
    )
