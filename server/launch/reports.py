"""Use, for follow-up: launches and active pupils per ISO week, idle licences, cost per pupil.

Built only from ``launch_events`` (pseudonymous: a keyed hash per user, no user id, no
name) and the licence and order tables. Pupils are counted, never named: the report's rows
carry product, school and class, and numbers.

- ``weeks``: per ISO week (Monday–Sunday, UTC), product, school and class: successful
  launches, and active pupils (distinct pupil pseudonyms that launched);
- ``unused_licences``: licences valid now with no successful launch in the last 30 days by
  anyone they cover (a school or municipality licence: anyone at the school or in the
  municipality; a class or pupil licence: that class / the school of the order);
- ``cost_per_active_pupil``: per product, the net price (excl. VAT, øre) of the licences
  valid now in scope divided by the distinct pupils who launched it in the window, rounded
  half up; ``None`` when no pupil launched it.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.catalogue.models import ProductRow
from server.launch.models import LaunchEventRow
from server.licensing.models import LicenceRow
from server.organisations.models import SchoolClassRow, SchoolRow
from server.purchasing.models import OrderLineRow

IDLE_DAYS = 30


@dataclass(frozen=True, slots=True)
class Scope:
    municipality_code: str | None = None
    school_id: uuid.UUID | None = None


def _aware(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def iso_week(moment: datetime) -> str:
    year, week, _ = _aware(moment).isocalendar()
    return f"{year}-W{week:02d}"


def _event_filter(scope: Scope) -> list[Any]:
    if scope.school_id is not None:
        return [LaunchEventRow.school_id == scope.school_id]
    return [LaunchEventRow.municipality_code == scope.municipality_code]


def usage_report(session: Session, scope: Scope, *, weeks: int, now: datetime) -> dict[str, Any]:
    since = now - timedelta(weeks=weeks)
    since = since - timedelta(days=since.weekday())  # from a Monday
    since = since.replace(hour=0, minute=0, second=0, microsecond=0)
    events = session.execute(
        select(
            LaunchEventRow.at, LaunchEventRow.product_id, LaunchEventRow.school_id,
            LaunchEventRow.class_id, LaunchEventRow.role, LaunchEventRow.pseudonym,
        ).where(
            *_event_filter(scope), LaunchEventRow.outcome == "success", LaunchEventRow.at >= since
        )
    ).all()  # fmt: skip
    launches: dict[tuple[str, uuid.UUID, Any, Any], int] = defaultdict(int)
    pupils: dict[tuple[str, uuid.UUID, Any, Any], set[str]] = defaultdict(set)
    pupils_per_product: dict[uuid.UUID, set[str]] = defaultdict(set)
    for at, product_id, school_id, class_id, role, pseudonym in events:
        key = (iso_week(at), product_id, school_id, class_id)
        launches[key] += 1
        if role == "pupil":
            pupils[key].add(pseudonym)
            pupils_per_product[product_id].add(pseudonym)
    titles = _titles(session, {key[1] for key in launches})
    schools, classes = _names(session, {k[2] for k in launches}, {k[3] for k in launches})
    rows = [
        {
            "week": week,
            "product_id": product_id,
            "product_title": titles.get(product_id, ""),
            "school_id": school_id,
            "school_name": schools.get(school_id),
            "class_id": class_id,
            "class_name": classes.get(class_id),
            "launches": count,
            "active_pupils": len(pupils[(week, product_id, school_id, class_id)]),
        }
        for (week, product_id, school_id, class_id), count in launches.items()
    ]
    rows.sort(key=lambda r: (r["week"], r["product_title"], r["school_name"] or "",
                             r["class_name"] or ""))  # fmt: skip
    licences = _licences(session, scope, now)
    return {
        "since": since,
        "weeks": rows,
        "unused_licences": _unused(session, licences, now),
        "cost_per_active_pupil": _costs(session, licences, pupils_per_product),
        "notes": [
            "Elever tælles, de nævnes ikke: aktive elever er forskellige pseudonymer.",
            "Pupils are counted, never named: active pupils are distinct pseudonyms.",
        ],
    }


def _titles(session: Session, product_ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
    if not product_ids:
        return {}
    rows = session.execute(
        select(ProductRow.id, ProductRow.title).where(ProductRow.id.in_(product_ids))
    )
    return {product_id: title for product_id, title in rows}


def _names(
    session: Session, school_ids: set[Any], class_ids: set[Any]
) -> tuple[dict[Any, str], dict[Any, str]]:
    school_ids.discard(None)
    class_ids.discard(None)
    schools = {
        school_id: name
        for school_id, name in session.execute(
            select(SchoolRow.id, SchoolRow.name).where(SchoolRow.id.in_(school_ids))
        )
    }
    classes = {
        class_id: name
        for class_id, name in session.execute(
            select(SchoolClassRow.id, SchoolClassRow.name).where(SchoolClassRow.id.in_(class_ids))
        )
    }
    return schools, classes


def _licences(session: Session, scope: Scope, now: datetime) -> list[LicenceRow]:
    query = select(LicenceRow).where(
        LicenceRow.status == "active", LicenceRow.valid_from <= now, LicenceRow.valid_until > now
    )
    if scope.school_id is not None:
        query = query.where(LicenceRow.school_id == scope.school_id)
    else:
        query = query.where(LicenceRow.municipality_code == scope.municipality_code)
    return list(session.scalars(query.order_by(LicenceRow.created_at, LicenceRow.id)))


def _unused(session: Session, licences: list[LicenceRow], now: datetime) -> list[dict[str, Any]]:
    idle_since = now - timedelta(days=IDLE_DAYS)
    found = []
    for licence in licences:
        where = [
            LaunchEventRow.product_id == licence.product_id,
            LaunchEventRow.outcome == "success",
        ]
        if licence.licence_type == "class" and licence.school_class_id is not None:
            where.append(LaunchEventRow.class_id == licence.school_class_id)
        elif licence.licence_type == "municipality":
            where.append(LaunchEventRow.municipality_code == licence.municipality_code)
        elif licence.school_id is not None:
            where.append(LaunchEventRow.school_id == licence.school_id)
        last = session.scalar(select(func.max(LaunchEventRow.at)).where(*where))
        if last is not None and _aware(last) >= idle_since:
            continue
        found.append(
            {
                "licence_id": licence.id,
                "product_id": licence.product_id,
                "product_title": _titles(session, {licence.product_id}).get(licence.product_id, ""),
                "school_id": licence.school_id,
                "school_class_id": licence.school_class_id,
                "last_launch_at": _aware(last) if last is not None else None,
            }
        )
    return found


def _costs(
    session: Session, licences: list[LicenceRow], pupils: dict[uuid.UUID, set[str]]
) -> list[dict[str, Any]]:
    cost: dict[uuid.UUID, int] = defaultdict(int)
    for licence in licences:
        if licence.order_id is None:
            continue
        cost[licence.product_id] += int(
            session.scalar(
                select(func.coalesce(func.sum(OrderLineRow.net_ore), 0)).where(
                    OrderLineRow.order_id == licence.order_id,
                    OrderLineRow.product_id == licence.product_id,
                    OrderLineRow.licence_type == licence.licence_type,
                )
            )
            or 0
        )
    titles = _titles(session, set(cost))
    rows = []
    for product_id, total in cost.items():
        active = len(pupils.get(product_id, ()))
        rows.append(
            {
                "product_id": product_id,
                "product_title": titles.get(product_id, ""),
                "licence_cost_ore": total,
                "active_pupils": active,
                "cost_per_active_pupil_ore": (total + active // 2) // active if active else None,
            }
        )
    rows.sort(key=lambda r: str(r["product_title"]))
    return rows
