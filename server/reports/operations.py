"""Report use cases: authorize the caller for the tenant, then read and add up. Never writes."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from server.errors import ApiError, NotFound
from server.identity.principal import Principal
from server.organisations.models import MunicipalityRow, SchoolRow
from server.policy import Tenant, authorize
from server.reports import figures, queries

#: a claim covers at most this many days (a programme period is a few years)
MAX_PERIOD_DAYS = 5 * 366


class BadPeriod(ApiError):
    status_code = 422
    code = "bad_period"


@dataclass(frozen=True, slots=True)
class SchoolFigures:
    school: SchoolRow
    totals: figures.Totals


@dataclass(frozen=True, slots=True)
class SpendReport:
    municipality: MunicipalityRow
    school: SchoolRow | None
    totals: figures.Totals
    schools: list[SchoolFigures]
    by_subject: list[figures.BreakdownRow]
    by_publisher: list[figures.BreakdownRow]
    by_competence_area: list[figures.BreakdownRow]
    concentration: list[figures.Concentration]


def _municipality(session: Session, principal: Principal | None, code: str) -> MunicipalityRow:
    municipality = session.get(MunicipalityRow, code)
    if municipality is None:
        raise NotFound("Ingen kommune med den kode.", code="municipality_not_found")
    authorize(principal, "report.municipality", Tenant(municipality_code=code), what="municipality")
    return municipality


def _school(session: Session, principal: Principal | None, school_id: uuid.UUID) -> SchoolRow:
    school = session.get(SchoolRow, school_id)
    if school is None:
        raise NotFound("Ingen skole med det id.", code="school_not_found")
    tenant = Tenant(municipality_code=school.municipality_code, school_ids=frozenset({school.id}))
    authorize(principal, "report.school", tenant, what="school")
    return school


def check_period(since: date, until: date) -> None:
    if until < since:
        raise BadPeriod(
            "Perioden slutter før den begynder.", details={"from": str(since), "to": str(until)}
        )
    if (until - since).days > MAX_PERIOD_DAYS:
        raise BadPeriod(
            "En periode må højst være 5 år.", details={"from": str(since), "to": str(until)}
        )


def municipality_spend(
    session: Session, principal: Principal | None, code: str, *, threshold_ore: int
) -> SpendReport:
    municipality = _municipality(session, principal, code)
    facts = queries.line_facts(session, municipality_code=code)
    schools = [
        SchoolFigures(school, queries.totals(session, municipality_code=code, school_id=school.id))
        for school in queries.school_ids_of(session, code)
    ]
    return SpendReport(
        municipality=municipality,
        school=None,
        totals=queries.totals(session, municipality_code=code),
        schools=schools,
        by_subject=figures.by_subject(facts),
        by_publisher=figures.by_publisher(facts),
        by_competence_area=figures.by_competence_area(facts),
        concentration=figures.concentration(facts, threshold_ore),
    )


def school_spend(
    session: Session, principal: Principal | None, school_id: uuid.UUID
) -> SpendReport:
    school = _school(session, principal, school_id)
    municipality = session.get(MunicipalityRow, school.municipality_code)
    if municipality is None:  # a foreign key: cannot happen
        raise RuntimeError("a school without its municipality")
    facts = queries.line_facts(
        session, municipality_code=school.municipality_code, school_id=school.id
    )
    return SpendReport(
        municipality=municipality,
        school=school,
        totals=queries.totals(
            session, municipality_code=school.municipality_code, school_id=school.id
        ),
        schools=[],
        by_subject=figures.by_subject(facts),
        by_publisher=figures.by_publisher(facts),
        by_competence_area=figures.by_competence_area(facts),
        concentration=[],
    )


def publisher_concentration(
    session: Session, principal: Principal | None, code: str, *, threshold_ore: int
) -> tuple[MunicipalityRow, list[figures.Concentration]]:
    municipality = _municipality(session, principal, code)
    facts = queries.line_facts(session, municipality_code=code)
    return municipality, figures.concentration(facts, threshold_ore)


def subsidy_claim(
    session: Session, principal: Principal | None, code: str, *, since: date, until: date
) -> tuple[MunicipalityRow, list[figures.ClaimRow]]:
    municipality = _municipality(session, principal, code)
    check_period(since, until)
    return municipality, queries.claim_rows(
        session, municipality_code=code, since=since, until=until
    )


def spend_over_time(
    session: Session, principal: Principal | None, code: str
) -> tuple[MunicipalityRow, list[figures.SpendPoint]]:
    municipality = _municipality(session, principal, code)
    return municipality, queries.spend_over_time(session, municipality_code=code)
