"""Use cases of subsidy programmes and budgets: programmes, grants, own funds, allocations to
schools, purchase settings, and the budget figures buyers and leaders see.

Each operation authorizes through ``server.policy``, posts to the ledger
(``server.ledger.postings``) and commits. An amount that is not positive is refused with 422
before anything is posted; money that is not there is 409 ``insufficient_budget``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import cache

from sqlalchemy import Date, Select, bindparam, func, select
from sqlalchemy.orm import Session

from server.budgets.models import (
    DEFAULT_BUYER_THRESHOLD_ORE,
    DEFAULT_WITHDRAWAL_DAYS,
    MunicipalityGrantRow,
    MunicipalitySettingsRow,
    SubsidyProgrammeRow,
)
from server.errors import Conflict, NotFound
from server.identity.principal import Principal
from server.ledger import postings
from server.ledger.models import LedgerAccountRow
from server.ledger.postings import AccountSpec
from server.ledger.rules import InsufficientFunds, move
from server.organisations.models import MembershipRow, MunicipalityRow, SchoolRow
from server.payments.invoice import ean_error
from server.policy import Tenant, authorize
from server.purchasing.errors import InsufficientBudget, invalid

MAX_AMOUNT_ORE = 1_000_000_000_00


def now() -> datetime:
    return datetime.now(UTC)


def positive_amount(value: int, field: str = "amount_ore") -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise invalid(field, "must be a positive whole number of øre", "Beløbet skal være over 0.")
    if value > MAX_AMOUNT_ORE:
        raise invalid(field, "is too large", "Beløbet er for stort.")
    return value


def municipality(session: Session, code: str) -> MunicipalityRow:
    row = session.get(MunicipalityRow, code)
    if row is None:
        raise NotFound("Ingen kommune med den kode.", code="municipality_not_found")
    return row


def school(session: Session, school_id: uuid.UUID) -> SchoolRow:
    row = session.get(SchoolRow, school_id)
    if row is None:
        raise NotFound("Ingen skole med det id.", code="school_not_found")
    return row


def school_tenant(row: SchoolRow) -> Tenant:
    return Tenant(municipality_code=row.municipality_code, school_ids=frozenset({row.id}))


# -- programmes and grants ------------------------------------------------------------------


def create_programme(
    session: Session,
    principal: Principal,
    *,
    name: str,
    rate_bp: int,
    valid_from: date,
    valid_to: date,
    per_pupil_ore: int = 0,
) -> SubsidyProgrammeRow:
    authorize(principal, "programme.manage", Tenant(), what="programme")
    if not 0 < rate_bp <= 10_000:
        raise invalid("rate_bp", "must be 1–10000 basis points (5000 = 50 %)")
    if valid_to < valid_from:
        raise invalid("valid_to", "must not be before valid_from")
    if per_pupil_ore < 0:
        raise invalid("per_pupil_ore", "must not be negative")
    if session.scalar(select(SubsidyProgrammeRow.id).where(SubsidyProgrammeRow.name == name)):
        raise Conflict("Der findes allerede en pulje med det navn.", code="programme_exists")
    row = SubsidyProgrammeRow(
        id=uuid.uuid4(), name=name, rate_bp=rate_bp, valid_from=valid_from, valid_to=valid_to,
        per_pupil_ore=per_pupil_ore, created_at=now(),
    )  # fmt: skip
    session.add(row)
    session.commit()
    return row


def programme(session: Session, programme_id: uuid.UUID) -> SubsidyProgrammeRow:
    row = session.get(SubsidyProgrammeRow, programme_id)
    if row is None:
        raise NotFound("Ingen pulje med det id.", code="programme_not_found")
    return row


def list_programmes(session: Session) -> list[SubsidyProgrammeRow]:
    return list(
        session.scalars(select(SubsidyProgrammeRow).order_by(SubsidyProgrammeRow.valid_from))
    )


def pupils_in(session: Session, code: str) -> int:
    """Active pupils of the municipality's schools (what a computed grant is based on)."""
    return int(
        session.scalar(
            select(func.count())
            .select_from(MembershipRow)
            .join(SchoolRow, SchoolRow.id == MembershipRow.school_id)
            .where(
                SchoolRow.municipality_code == code,
                MembershipRow.role == "pupil",
                MembershipRow.active,
            )
        )
        or 0
    )


def grant_accounts(code: str, programme_id: uuid.UUID) -> tuple[AccountSpec, AccountSpec]:
    return (
        AccountSpec(postings.external_key("grant", str(programme_id)), "external", "grant",
                    programme_id=programme_id),
        AccountSpec(postings.municipality_key(code, "grant", programme_id), "municipality",
                    "grant", municipality_code=code, programme_id=programme_id),
    )  # fmt: skip


def set_grant(
    session: Session,
    principal: Principal,
    programme_id: uuid.UUID,
    code: str,
    *,
    amount_ore: int | None = None,
    pupils: int | None = None,
) -> MunicipalityGrantRow:
    """Set the municipality's grant: ``amount_ore``, or the programme's per-pupil amount ×
    ``pupils`` (counted from the roster when not given). The difference is posted; a grant
    cannot go below what the municipality has not allocated yet (409)."""
    authorize(principal, "programme.manage", Tenant(), what="programme")
    prog = programme(session, programme_id)
    municipality(session, code)
    if amount_ore is None:
        if pupils is None:
            pupils = pupils_in(session, code)
        if pupils < 0:
            raise invalid("pupils", "must not be negative")
        amount_ore = prog.per_pupil_ore * pupils
    if amount_ore < 0 or amount_ore > MAX_AMOUNT_ORE:
        raise invalid("amount_ore", "must be 0 or more øre", "Beløbet må ikke være negativt.")
    grant = session.scalar(
        select(MunicipalityGrantRow)
        .where(
            MunicipalityGrantRow.programme_id == prog.id,
            MunicipalityGrantRow.municipality_code == code,
        )
        .with_for_update()
    )
    before = grant.amount_ore if grant else 0
    if grant is None:
        grant = MunicipalityGrantRow(
            id=uuid.uuid4(), programme_id=prog.id, municipality_code=code, amount_ore=0,
            updated_at=now(),
        )  # fmt: skip
        session.add(grant)
    source, target = grant_accounts(code, prog.id)
    postings.ensure_account(session, source)
    postings.ensure_account(session, target)
    if amount_ore != before:
        try:
            postings.post(
                session, "grant", move(source.key, target.key, amount_ore - before),
                memo=f"grant {prog.name}", actor_user_id=principal.user_id,
            )  # fmt: skip
        except InsufficientFunds:
            session.rollback()
            raise InsufficientBudget(
                "Tilskuddet kan ikke sættes lavere end det, kommunen ikke har fordelt endnu.",
                details={"unallocated_ore": postings.balance(session, target.key)},
            ) from None
    grant.amount_ore = amount_ore
    grant.pupils = pupils
    grant.updated_at = now()
    session.commit()
    return grant


def grants_of(session: Session, code: str) -> list[MunicipalityGrantRow]:
    return list(
        session.scalars(
            select(MunicipalityGrantRow).where(MunicipalityGrantRow.municipality_code == code)
        )
    )


# -- own funds and allocations --------------------------------------------------------------


def add_own_funds(session: Session, principal: Principal, code: str, amount_ore: int) -> int:
    """The municipality puts ``amount_ore`` of its own money into the budget; the balance."""
    municipality(session, code)
    authorize(principal, "budget.manage", Tenant(municipality_code=code), what="municipality")
    positive_amount(amount_ore)
    source = AccountSpec(postings.external_key("own", code), "external", "own",
                         municipality_code=code)  # fmt: skip
    target = AccountSpec(postings.municipality_key(code, "own", None), "municipality", "own",
                         municipality_code=code)  # fmt: skip
    postings.ensure_account(session, source)
    postings.ensure_account(session, target)
    postings.post(
        session, "own_funds", move(source.key, target.key, amount_ore),
        memo="own funds", actor_user_id=principal.user_id,
    )  # fmt: skip
    session.commit()
    return postings.balance(session, target.key)


def school_account_specs(
    row: SchoolRow, fund: str, programme_id: uuid.UUID | None
) -> list[AccountSpec]:
    """The school's available, reserved and spent accounts of one fund."""
    return [
        AccountSpec(postings.school_key(kind, row.id, fund, programme_id), kind, fund,
                    municipality_code=row.municipality_code, school_id=row.id,
                    programme_id=programme_id)
        for kind in ("school", "reserved", "spent")
    ]  # fmt: skip


@cache
def _active_programme_query() -> Select[SubsidyProgrammeRow]:
    """Built once (a hot path's lookup): the municipality and the day are parameters."""
    day = bindparam("day", type_=Date())
    return (
        select(SubsidyProgrammeRow)
        .join(MunicipalityGrantRow, MunicipalityGrantRow.programme_id == SubsidyProgrammeRow.id)
        .where(
            MunicipalityGrantRow.municipality_code == bindparam("code"),
            SubsidyProgrammeRow.valid_from <= day,
            SubsidyProgrammeRow.valid_to >= day,
        )
        .order_by(SubsidyProgrammeRow.valid_from.desc())
        .limit(1)
    )


def active_programme(
    session: Session, code: str, on: date | None = None
) -> SubsidyProgrammeRow | None:
    """The programme whose period covers ``on`` (today) and that grants to ``code``."""
    day = on or now().date()
    return session.scalar(_active_programme_query(), {"code": code, "day": day})


def allocate(
    session: Session,
    principal: Principal,
    code: str,
    *,
    school_id: uuid.UUID,
    fund: str,
    amount_ore: int,
    programme_id: uuid.UUID | None = None,
) -> dict[str, int]:
    """Move ``amount_ore`` of the municipality's grant (``fund="grant"``, of ``programme_id``
    or the active programme) or own funds (``"own"``) to a school of the municipality."""
    municipality(session, code)
    authorize(principal, "budget.manage", Tenant(municipality_code=code), what="municipality")
    row = session.get(SchoolRow, school_id)
    if row is None or row.municipality_code != code:
        raise invalid("school_id", "is not a school of this municipality",
                      "Skolen hører ikke til kommunen.")  # fmt: skip
    positive_amount(amount_ore)
    if fund not in ("grant", "own"):
        raise invalid("fund", "must be grant or own")
    if fund == "grant":
        prog = programme(session, programme_id) if programme_id else active_programme(session, code)
        if prog is None:
            raise invalid("programme_id", "the municipality has no active grant",
                          "Kommunen har ingen aktiv tilskudspulje.")  # fmt: skip
        programme_id = prog.id
    else:
        programme_id = None
    source = postings.municipality_key(code, fund, programme_id)
    for spec in school_account_specs(row, fund, programme_id):
        postings.ensure_account(session, spec)
    target = postings.school_key("school", row.id, fund, programme_id)
    if session.scalar(select(LedgerAccountRow.id).where(LedgerAccountRow.key == source)) is None:
        raise InsufficientBudget(
            "Kommunen har ingen midler at fordele.", details={"available_ore": 0}
        )
    try:
        postings.post(
            session, "allocation", move(source, target, amount_ore),
            memo=f"allocation to {row.name}", actor_user_id=principal.user_id,
        )  # fmt: skip
    except InsufficientFunds as error:
        session.rollback()
        raise InsufficientBudget(
            "Kommunen har ikke så mange midler at fordele.",
            details={"available_ore": error.balance_ore},
        ) from None
    session.commit()
    return school_budget(session, row)


# -- settings -------------------------------------------------------------------------------


def settings_of(session: Session, code: str) -> MunicipalitySettingsRow:
    """The municipality's purchase settings (defaults when never set; not stored)."""
    return session.get(MunicipalitySettingsRow, code) or default_settings(code)


def default_settings(code: str) -> MunicipalitySettingsRow:
    """The settings of a municipality that never set its own (not stored)."""
    return MunicipalitySettingsRow(
        municipality_code=code, ean=None, buyer_threshold_ore=DEFAULT_BUYER_THRESHOLD_ORE,
        withdrawal_days=DEFAULT_WITHDRAWAL_DAYS,
    )  # fmt: skip


def read_settings(session: Session, principal: Principal, code: str) -> MunicipalitySettingsRow:
    municipality(session, code)
    authorize(principal, "budget.read", Tenant(municipality_code=code), what="municipality")
    return settings_of(session, code)


def update_settings(
    session: Session,
    principal: Principal,
    code: str,
    *,
    ean: str | None = None,
    buyer_threshold_ore: int | None = None,
    withdrawal_days: int | None = None,
) -> MunicipalitySettingsRow:
    municipality(session, code)
    authorize(principal, "budget.manage", Tenant(municipality_code=code), what="municipality")
    if ean is not None:
        problem = ean_error(ean)
        if problem:
            raise invalid("ean", problem, f"EAN-nummeret er ugyldigt: {problem}")
    if buyer_threshold_ore is not None and not 0 <= buyer_threshold_ore <= MAX_AMOUNT_ORE:
        raise invalid("buyer_threshold_ore", "must be 0 or more øre")
    if withdrawal_days is not None and not 0 <= withdrawal_days <= 365:
        raise invalid("withdrawal_days", "must be 0–365")
    row = session.get(MunicipalitySettingsRow, code)
    if row is None:
        row = settings_of(session, code)
        session.add(row)
    if ean is not None:
        row.ean = ean
    if buyer_threshold_ore is not None:
        row.buyer_threshold_ore = buyer_threshold_ore
    if withdrawal_days is not None:
        row.withdrawal_days = withdrawal_days
    session.commit()
    return row


# -- figures --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Figures:
    by_kind_fund: dict[tuple[str, str], int]

    def get(self, kind: str, fund: str | None = None) -> int:
        return sum(
            amount for (k, f), amount in self.by_kind_fund.items()
            if k == kind and (fund is None or f == fund)
        )  # fmt: skip


def _figures(session: Session, *conditions: object) -> Figures:
    rows = session.execute(
        select(LedgerAccountRow.kind, LedgerAccountRow.fund, func.sum(LedgerAccountRow.balance_ore))
        .where(*conditions)  # type: ignore[arg-type]
        .group_by(LedgerAccountRow.kind, LedgerAccountRow.fund)
    ).all()
    return Figures({(kind, fund): int(total or 0) for kind, fund, total in rows})


def _school_figures(figures: Figures) -> dict[str, int]:
    spent, reserved, remaining = (figures.get(k) for k in ("spent", "reserved", "school"))
    return {
        "allocated_ore": spent + reserved + remaining,
        "spent_ore": spent,
        "reserved_ore": reserved,
        "remaining_ore": remaining,
        "subsidy_used_ore": figures.get("spent", "grant"),
        "subsidy_reserved_ore": figures.get("reserved", "grant"),
        "grant_remaining_ore": figures.get("school", "grant"),
        "own_remaining_ore": figures.get("school", "own"),
    }


def school_budget(session: Session, row: SchoolRow) -> dict[str, int]:
    return _school_figures(_figures(session, LedgerAccountRow.school_id == row.id))


def read_school_budget(
    session: Session, principal: Principal, school_id: uuid.UUID
) -> tuple[SchoolRow, dict[str, int]]:
    row = school(session, school_id)
    authorize(principal, "budget.read", school_tenant(row), what="school")
    return row, school_budget(session, row)


def municipality_budget(session: Session, code: str) -> dict[str, int]:
    figures = _figures(
        session,
        LedgerAccountRow.municipality_code == code,
        LedgerAccountRow.kind != "external",
    )
    answer = _school_figures(figures)
    granted = sum(g.amount_ore for g in grants_of(session, code))
    unallocated = figures.get("municipality")
    answer.update(
        {
            "granted_ore": granted,
            "own_funds_ore": -int(
                session.scalar(
                    select(LedgerAccountRow.balance_ore).where(
                        LedgerAccountRow.key == postings.external_key("own", code)
                    )
                )
                or 0
            ),
            "unallocated_ore": unallocated,
            "unallocated_grant_ore": figures.get("municipality", "grant"),
            "unallocated_own_ore": figures.get("municipality", "own"),
            "remaining_ore": answer["remaining_ore"] + unallocated,
        }
    )
    return answer


def read_municipality_budget(
    session: Session, principal: Principal, code: str
) -> tuple[MunicipalityRow, dict[str, int], list[dict[str, object]]]:
    row = municipality(session, code)
    authorize(principal, "budget.read", Tenant(municipality_code=code), what="municipality")
    schools = session.scalars(
        select(SchoolRow).where(SchoolRow.municipality_code == code).order_by(SchoolRow.name)
    ).all()
    per_school: list[dict[str, object]] = [
        {"school_id": s.id, "name": s.name, **school_budget(session, s)} for s in schools
    ]
    return row, municipality_budget(session, code), per_school
