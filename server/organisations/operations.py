"""Use cases for organisations: read and manage schools, classes, people, roles and badges.

Each function takes the session and the principal, loads its object, asks ``server.policy``
whether the principal may act on it (401/403/404 come from there), applies the rules and,
for writes, commits. Errors are raised as ``server.errors.ApiError`` subclasses, which the
app turns into the one JSON error format.
"""

from __future__ import annotations

import hashlib
import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from server.errors import ApiError, Conflict, NotFound, Unprocessable
from server.identity import audit, badges
from server.identity.models import AuditEventRow, BadgeRow
from server.identity.principal import Principal
from server.organisations.models import (
    ROLES,
    SCHOOL_ROLES,
    MembershipRow,
    MunicipalityRow,
    PublisherRow,
    SchoolClassRow,
    SchoolRow,
    UserIdentityRow,
    UserRow,
)
from server.organisations.roster import MAX_BYTES, ClassLine, PersonLine, Problem, parse_roster
from server.organisations.validation import (
    CVR_RULE,
    INSTITUTION_NUMBER_RULE,
    SCHOOL_YEAR_RULE,
    ClassName,
    cvr_is_valid,
    institution_number_is_valid,
    next_school_year,
    parse_class_name,
    school_year_is_valid,
)
from server.policy import Forbidden, Tenant, allowed, authorize

LAST_GRADE, LAST_GRADE_WITH_TENTH = 9, 10


class PayloadTooLarge(ApiError):
    status_code = 413
    code = "payload_too_large"


# -- tenants: where each object lives, for the policy -------------------------------------------


def school_tenant(school: SchoolRow) -> Tenant:
    return Tenant(municipality_code=school.municipality_code, school_ids=frozenset({school.id}))


def class_tenant(school: SchoolRow, school_class: SchoolClassRow) -> Tenant:
    return Tenant(
        municipality_code=school.municipality_code,
        school_ids=frozenset({school.id}),
        class_id=school_class.id,
    )


def user_tenant(session: Session, user_id: uuid.UUID) -> Tenant:
    """A person lives in the schools of their active memberships (and their class)."""
    memberships = session.scalars(
        select(MembershipRow).where(MembershipRow.user_id == user_id, MembershipRow.active)
    ).all()
    pupil_classes = [m.class_id for m in memberships if m.role == "pupil" and m.class_id]
    return Tenant(
        school_ids=frozenset(m.school_id for m in memberships if m.school_id),
        class_id=pupil_classes[0] if pupil_classes else None,
        user_id=user_id,
    )


def _school(session: Session, school_id: uuid.UUID) -> SchoolRow:
    school = session.get(SchoolRow, school_id)
    if school is None:
        raise NotFound("No school with that id.", code="school_not_found")
    return school


def _class(session: Session, class_id: uuid.UUID) -> tuple[SchoolClassRow, SchoolRow]:
    school_class = session.get(SchoolClassRow, class_id)
    if school_class is None:
        raise NotFound("No class with that id.", code="class_not_found")
    return school_class, _school(session, school_class.school_id)


def _user(session: Session, user_id: uuid.UUID) -> UserRow:
    user = session.get(UserRow, user_id)
    if user is None:
        raise NotFound("No user with that id.", code="user_not_found")
    return user


def _now() -> datetime:
    return datetime.now(UTC)


_DANISH_ORDER = str.maketrans("æøå", "{|}")  # the three characters after "z" in ASCII


def danish_sort_key(text: str) -> str:
    """Sort as a Danish reader expects: … x y z æ ø å."""
    return text.casefold().translate(_DANISH_ORDER)


# -- who am I -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RoleView:
    membership: MembershipRow
    school: SchoolRow | None
    school_class: SchoolClassRow | None
    municipality: MunicipalityRow | None
    publisher: PublisherRow | None


@dataclass(frozen=True, slots=True)
class UserView:
    user: UserRow
    roles: list[RoleView]


@dataclass(frozen=True, slots=True)
class MeView:
    principal: Principal
    user: UserView | None


def _role_views(session: Session, memberships: Iterable[MembershipRow]) -> list[RoleView]:
    views = []
    for m in memberships:
        school = session.get(SchoolRow, m.school_id) if m.school_id else None
        code = m.municipality_code or (school.municipality_code if school else None)
        views.append(
            RoleView(
                membership=m,
                school=school,
                school_class=session.get(SchoolClassRow, m.class_id) if m.class_id else None,
                municipality=session.get(MunicipalityRow, code) if code else None,
                publisher=session.get(PublisherRow, m.publisher_id) if m.publisher_id else None,
            )
        )
    return views


def _active_memberships(session: Session, user_id: uuid.UUID) -> list[MembershipRow]:
    return list(
        session.scalars(
            select(MembershipRow)
            .where(MembershipRow.user_id == user_id, MembershipRow.active)
            .order_by(MembershipRow.role, MembershipRow.id)
        )
    )


def get_me(session: Session, principal: Principal) -> MeView:
    """The caller: their user record and every active role with its tenant."""
    if principal.user_id is None:
        return MeView(principal, None)
    user = _user(session, principal.user_id)
    roles = _role_views(session, _active_memberships(session, user.id))
    allowed_roles = {(r.role, r.school_id, r.class_id) for r in principal.roles}
    # a badge sign-in carries only the pupil role: show what the token grants, no more
    shown = [
        r
        for r in roles
        if (r.membership.role, r.membership.school_id, r.membership.class_id) in allowed_roles
    ]
    return MeView(principal, UserView(user, shown))


# -- municipalities and schools -------------------------------------------------------------


def list_municipalities(session: Session) -> list[MunicipalityRow]:
    """Public reference data: no principal needed."""
    return list(session.scalars(select(MunicipalityRow).order_by(MunicipalityRow.code)))


def list_municipality_schools(
    session: Session, principal: Principal, code: str
) -> tuple[MunicipalityRow, list[SchoolView]]:
    municipality = session.get(MunicipalityRow, code)
    if municipality is None:
        raise NotFound("No municipality with that code.", code="municipality_not_found")
    authorize(principal, "municipality.read", Tenant(municipality_code=code), what="municipality")
    schools = session.scalars(
        select(SchoolRow).where(SchoolRow.municipality_code == code).order_by(SchoolRow.name)
    )
    return municipality, [_school_view(session, school) for school in schools]


@dataclass(frozen=True, slots=True)
class SchoolView:
    school: SchoolRow
    municipality: MunicipalityRow
    active_classes: int


def _school_view(session: Session, school: SchoolRow) -> SchoolView:
    municipality = session.get(MunicipalityRow, school.municipality_code)
    if municipality is None:  # a foreign key: cannot happen
        raise RuntimeError(f"school {school.id} has no municipality")
    count = session.scalar(
        select(func.count())
        .select_from(SchoolClassRow)
        .where(SchoolClassRow.school_id == school.id, SchoolClassRow.active)
    )
    return SchoolView(school, municipality, int(count or 0))


def get_school(session: Session, principal: Principal, school_id: uuid.UUID) -> SchoolView:
    school = _school(session, school_id)
    authorize(principal, "school.read", school_tenant(school), what="school")
    return _school_view(session, school)


def create_school(
    session: Session,
    principal: Principal,
    *,
    institution_number: str,
    name: str,
    municipality_code: str,
    school_year: str,
) -> SchoolView:
    """A new school (platform admin, or a buyer of its municipality). 409 on a known number."""
    municipality = session.get(MunicipalityRow, municipality_code)
    problems: dict[str, list[str]] = {}
    if municipality is None:
        problems["municipality_code"] = ["No municipality with that kommunekode."]
    if not institution_number_is_valid(institution_number):
        problems["institution_number"] = [INSTITUTION_NUMBER_RULE]
    if not school_year_is_valid(school_year):
        problems["school_year"] = [SCHOOL_YEAR_RULE]
    if problems:
        raise Unprocessable("The school is not valid.", details={"json": problems})
    if not allowed(principal, "school.create", Tenant(municipality_code=municipality_code)):
        raise Forbidden("Only a platform admin or a buyer of the municipality adds schools.")
    taken = session.scalar(
        select(SchoolRow.id).where(SchoolRow.institution_number == institution_number)
    )
    if taken is not None:
        raise Conflict(
            f"A school with institution number {institution_number} exists.",
            code="institution_number_taken",
            details={"school_id": str(taken)},
        )
    school = SchoolRow(
        id=uuid.uuid4(),
        institution_number=institution_number,
        name=name.strip(),
        municipality_code=municipality_code,
        school_year=school_year,
    )
    session.add(school)
    _commit_or_conflict(session, "A school with that institution number exists.")
    return _school_view(session, school)


def _commit_or_conflict(session: Session, message: str) -> None:
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        raise Conflict(message) from None


# -- classes --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ClassView:
    school_class: SchoolClassRow
    school: SchoolRow
    pupil_count: int
    #: (user id, display name) of the active pupils; None when the caller is not staff
    pupils: list[tuple[uuid.UUID, str]] | None = None


def _pupils(session: Session, class_id: uuid.UUID) -> list[UserRow]:
    users = session.scalars(
        select(UserRow)
        .join(MembershipRow, MembershipRow.user_id == UserRow.id)
        .where(
            MembershipRow.class_id == class_id,
            MembershipRow.role == "pupil",
            MembershipRow.active,
            UserRow.active,
        )
        .distinct()
    ).all()
    return sorted(users, key=lambda u: (danish_sort_key(u.display_name), str(u.id)))


def list_classes(
    session: Session,
    principal: Principal,
    school_id: uuid.UUID,
    *,
    school_year: str | None = None,
    include_inactive: bool = False,
) -> tuple[SchoolRow, list[ClassView]]:
    school = _school(session, school_id)
    authorize(principal, "class.read", school_tenant(school), what="school")
    query = select(SchoolClassRow).where(
        SchoolClassRow.school_id == school.id,
        SchoolClassRow.school_year == (school_year or school.school_year),
    )
    if not include_inactive:
        query = query.where(SchoolClassRow.active)
    rows = session.scalars(query.order_by(SchoolClassRow.grade, SchoolClassRow.name)).all()
    counts = dict(
        session.execute(
            select(MembershipRow.class_id, func.count())
            .join(UserRow, UserRow.id == MembershipRow.user_id)
            .where(
                MembershipRow.school_id == school.id,
                MembershipRow.role == "pupil",
                MembershipRow.active,
                UserRow.active,
            )
            .group_by(MembershipRow.class_id)
        ).all()
    )
    return school, [ClassView(row, school, int(counts.get(row.id, 0))) for row in rows]


def get_class(session: Session, principal: Principal, class_id: uuid.UUID) -> ClassView:
    """A class; its pupils' names only for the school's staff (teachers, leaders)."""
    school_class, school = _class(session, class_id)
    tenant = class_tenant(school, school_class)
    authorize(principal, "class.read", tenant, what="class")
    pupils = _pupils(session, school_class.id)
    names = (
        [(u.id, u.display_name) for u in pupils]
        if allowed(principal, "class.read_pupils", tenant)
        else None
    )
    return ClassView(school_class, school, len(pupils), names)


# -- users and roles ------------------------------------------------------------------------


def get_user(session: Session, principal: Principal, user_id: uuid.UUID) -> UserView:
    user = _user(session, user_id)
    authorize(principal, "user.read", user_tenant(session, user_id), what="user")
    return UserView(user, _role_views(session, _active_memberships(session, user_id)))


@dataclass(frozen=True, slots=True)
class RoleSpec:
    role: str
    municipality_code: str | None = None
    school_id: uuid.UUID | None = None
    class_id: uuid.UUID | None = None
    publisher_id: uuid.UUID | None = None

    @classmethod
    def of(cls, m: MembershipRow) -> RoleSpec:
        return cls(m.role, m.municipality_code, m.school_id, m.class_id, m.publisher_id)


#: which action allows granting (or taking away) a role, per kind of role
GRANT_ACTIONS = {
    "pupil": "role.grant_school",
    "teacher": "role.grant_school",
    "school_leader": "role.grant_school",
    "municipal_buyer": "role.grant_municipal",
    "publisher_admin": "role.grant_publisher",
    "platform_admin": "role.grant_platform",
}


def _check_role(session: Session, spec: RoleSpec) -> tuple[RoleSpec, list[str]]:
    """The role with its school filled in from its class; the problems with it."""
    problems: list[str] = []
    if spec.role not in ROLES:
        return spec, [f"Unknown role; one of {', '.join(ROLES)}."]
    if spec.role in SCHOOL_ROLES:
        school_class = session.get(SchoolClassRow, spec.class_id) if spec.class_id else None
        if spec.class_id and school_class is None:
            problems.append("No class with that id.")
        school_id = spec.school_id or (school_class.school_id if school_class else None)
        if school_id is None or session.get(SchoolRow, school_id) is None:
            problems.append("A school role needs an existing school_id.")
        elif school_class is not None and school_class.school_id != school_id:
            problems.append("The class belongs to another school.")
        if spec.role == "pupil" and spec.class_id is None:
            problems.append("A pupil role needs a class_id.")
        if spec.role == "school_leader" and spec.class_id is not None:
            problems.append("A school leader role has no class.")
        if spec.municipality_code or spec.publisher_id:
            problems.append("A school role has only school_id and class_id.")
        return RoleSpec(spec.role, None, school_id, spec.class_id, None), problems
    if spec.school_id or spec.class_id:
        problems.append("Only pupil, teacher and school_leader roles have a school.")
    if spec.role == "municipal_buyer":
        if not spec.municipality_code or not session.get(MunicipalityRow, spec.municipality_code):
            problems.append("A municipal_buyer role needs an existing municipality_code.")
        if spec.publisher_id:
            problems.append("A municipal_buyer role has only a municipality_code.")
        return RoleSpec(spec.role, spec.municipality_code), problems
    if spec.role == "publisher_admin":
        if not spec.publisher_id or not session.get(PublisherRow, spec.publisher_id):
            problems.append("A publisher_admin role needs an existing publisher_id.")
        if spec.municipality_code:
            problems.append("A publisher_admin role has only a publisher_id.")
        return RoleSpec(spec.role, publisher_id=spec.publisher_id), problems
    if spec.municipality_code or spec.publisher_id:
        problems.append("The platform_admin role has no tenant.")
    return RoleSpec(spec.role), problems


def _grant_tenant(session: Session, spec: RoleSpec) -> Tenant:
    if spec.school_id is not None:
        school = session.get(SchoolRow, spec.school_id)
        return Tenant(
            municipality_code=school.municipality_code if school else None,
            school_ids=frozenset({spec.school_id}),
            class_id=spec.class_id,
        )
    return Tenant(municipality_code=spec.municipality_code, publisher_id=spec.publisher_id)


@dataclass(frozen=True, slots=True)
class RoleChanges:
    user: UserView
    granted: list[RoleSpec]
    revoked: list[RoleSpec]


def set_user_roles(
    session: Session, principal: Principal, user_id: uuid.UUID, roles: Sequence[RoleSpec]
) -> RoleChanges:
    """Make ``roles`` the user's complete set of active roles; audit each change; commit.

    A school leader may grant and take away school roles in their own schools only; municipal
    and publisher roles and platform_admin are a platform admin's to give. Every change must
    be allowed, or nothing changes.
    """
    user = _user(session, user_id)
    authorize(principal, "user.manage_roles", user_tenant(session, user_id), what="user")
    wanted: list[RoleSpec] = []
    problems: dict[str, list[str]] = {}
    for index, spec in enumerate(roles):
        checked, found = _check_role(session, spec)
        if found:
            problems[str(index)] = found
        elif checked not in wanted:
            wanted.append(checked)
    if problems:
        raise Unprocessable("Some roles are not valid.", details={"json": {"roles": problems}})
    current = _active_memberships(session, user_id)
    current_specs = {RoleSpec.of(m) for m in current}
    granted = [spec for spec in wanted if spec not in current_specs]
    revoked = [m for m in current if RoleSpec.of(m) not in wanted]
    refused = [
        spec
        for spec in [*granted, *(RoleSpec.of(m) for m in revoked)]
        if not allowed(principal, GRANT_ACTIONS[spec.role], _grant_tenant(session, spec))
    ]
    if refused:
        raise Forbidden(
            "You may not grant or take away these roles. A school leader manages school roles"
            " in their own school; only a platform admin grants platform_admin.",
            details={"refused": [_spec_json(spec) for spec in refused]},
        )
    now = _now()
    for membership in revoked:
        membership.active = False
        _audit_role(session, principal, user_id, RoleSpec.of(membership), "revoked")
    for spec in granted:
        dormant = session.scalars(
            select(MembershipRow).where(
                MembershipRow.user_id == user_id,
                MembershipRow.role == spec.role,
                MembershipRow.active.is_(False),
                _same(MembershipRow.school_id, spec.school_id),
                _same(MembershipRow.class_id, spec.class_id),
                _same(MembershipRow.municipality_code, spec.municipality_code),
                _same(MembershipRow.publisher_id, spec.publisher_id),
            )
        ).first()
        if dormant is not None:
            dormant.active = True
        else:
            session.add(
                MembershipRow(
                    id=uuid.uuid4(),
                    user_id=user_id,
                    role=spec.role,
                    municipality_code=spec.municipality_code,
                    school_id=spec.school_id,
                    class_id=spec.class_id,
                    publisher_id=spec.publisher_id,
                    active=True,
                )
            )
        _audit_role(session, principal, user_id, spec, "granted")
    if granted or revoked:
        user.updated_at = now
    session.commit()
    return RoleChanges(
        UserView(user, _role_views(session, _active_memberships(session, user_id))),
        granted,
        [RoleSpec.of(m) for m in revoked],
    )


def _same(column: Any, value: Any) -> Any:
    return column.is_(None) if value is None else column == value


def _spec_json(spec: RoleSpec) -> dict[str, Any]:
    return {
        "role": spec.role,
        "municipality_code": spec.municipality_code,
        "school_id": str(spec.school_id) if spec.school_id else None,
        "class_id": str(spec.class_id) if spec.class_id else None,
        "publisher_id": str(spec.publisher_id) if spec.publisher_id else None,
    }


def _audit_role(
    session: Session, principal: Principal, user_id: uuid.UUID, spec: RoleSpec, change: str
) -> None:
    school = session.get(SchoolRow, spec.school_id) if spec.school_id else None
    audit.record(
        session, "role_changed", "success", actor_user_id=principal.user_id,
        subject_user_id=user_id, client_id=principal.client_id,
        school_id=spec.school_id,
        municipality_code=school.municipality_code if school else spec.municipality_code,
        detail={"change": change, **_spec_json(spec)},
    )  # fmt: skip


# -- publishers -----------------------------------------------------------------------------


def get_publisher(session: Session, principal: Principal, publisher_id: uuid.UUID) -> PublisherRow:
    publisher = session.get(PublisherRow, publisher_id)
    if publisher is None:
        raise NotFound("No publisher with that id.", code="publisher_not_found")
    authorize(principal, "publisher.read", Tenant(publisher_id=publisher.id), what="publisher")
    return publisher


def create_publisher(
    session: Session,
    principal: Principal,
    *,
    name: str,
    cvr: str,
    contact_email: str | None = None,
    dpa_url: str | None = None,
) -> PublisherRow:
    """Register a publisher (platform admin). CVR: 8 digits, modulus 11; 409 if known."""
    if not cvr_is_valid(cvr):
        raise Unprocessable(
            f"{cvr!r} is not a valid CVR number. {CVR_RULE}",
            code="invalid_cvr",
            details={"json": {"cvr": [CVR_RULE]}},
        )
    if not allowed(principal, "publisher.create", Tenant()):
        raise Forbidden("Only a platform admin registers publishers.")
    taken = session.scalar(select(PublisherRow.id).where(PublisherRow.cvr == cvr))
    if taken is not None:
        raise Conflict(
            f"A publisher with CVR {cvr} exists.",
            code="cvr_taken",
            details={"publisher_id": str(taken)},
        )
    publisher = PublisherRow(
        id=uuid.uuid4(), name=name.strip(), cvr=cvr, contact_email=contact_email, dpa_url=dpa_url
    )
    session.add(publisher)
    _commit_or_conflict(session, "A publisher with that CVR number exists.")
    return publisher


# -- roster import --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RowOutcome:
    row: int
    type: str
    key: str
    outcome: str  # "created" | "updated" | "unchanged"
    changes: tuple[str, ...] = ()


@dataclass(slots=True)
class RosterReport:
    school: SchoolRow
    school_year: str
    dry_run: bool
    rows: list[RowOutcome] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)

    def count(self, outcome: str) -> int:
        return sum(1 for r in self.rows if r.outcome == outcome)

    @property
    def changed(self) -> bool:
        return any(r.outcome != "unchanged" for r in self.rows)


def _problem_json(problem: Problem) -> dict[str, Any]:
    return {"row": problem.row, "field": problem.field, "message": problem.message}


def import_roster(
    session: Session,
    principal: Principal,
    school_id: uuid.UUID,
    data: bytes,
    *,
    dry_run: bool = False,
) -> RosterReport:
    """Apply a roster file to a school: all of it in one transaction, or nothing.

    People are found again by the school system's id (``UserIdentityRow`` with provider
    ``roster:<school id>``), so importing the same file twice changes nothing. People not in
    the file are left as they are (a file may hold one class only); leavers go at rollover.
    With ``dry_run`` everything is checked and reported, and nothing is written.
    """
    school = _school(session, school_id)
    authorize(principal, "school.manage", school_tenant(school), what="school")
    if len(data) > MAX_BYTES:
        raise PayloadTooLarge(f"A roster file may be at most {MAX_BYTES // (1024 * 1024)} MB.")
    parsed = parse_roster(data)
    existing_classes = {
        row.name: row
        for row in session.scalars(
            select(SchoolClassRow).where(
                SchoolClassRow.school_id == school.id,
                SchoolClassRow.school_year == school.school_year,
            )
        )
    }
    in_file = {str(line.name) for line in parsed.classes}
    errors = list(parsed.errors)
    for row, class_name in parsed.class_refs:
        name = str(class_name)
        known = existing_classes.get(name)
        if name not in in_file and (known is None or not known.active):
            errors.append(
                Problem(
                    row,
                    "class",
                    f"Class {name} is neither in the file (as a klasse line) nor an active class"
                    f" of the school in {school.school_year}.",
                )
            )
    if errors:
        errors.sort(key=lambda p: (p.row, p.field))
        raise Unprocessable(
            f"The roster has {len(errors)} problem(s); nothing was imported.",
            code="roster_invalid",
            details={
                "errors": [_problem_json(p) for p in errors],
                "warnings": [_problem_json(p) for p in parsed.warnings],
            },
        )
    report = RosterReport(school, school.school_year, dry_run, warnings=parsed.warnings)
    try:
        classes = _apply_classes(session, school, parsed.classes, existing_classes, report)
        session.flush()  # the tables have no ORM relationships: insert parents first
        _apply_people(session, school, parsed.people, classes, report)
        if dry_run:
            session.rollback()
            return report
        if report.changed:
            audit.record(
                session, "roster_imported", "success", actor_user_id=principal.user_id,
                client_id=principal.client_id, school_id=school.id,
                municipality_code=school.municipality_code,
                detail={
                    "lines": parsed.lines, "created": report.count("created"),
                    "updated": report.count("updated"), "unchanged": report.count("unchanged"),
                    "sha256": hashlib.sha256(data).hexdigest(),
                },
            )  # fmt: skip
        session.commit()
    except IntegrityError:
        session.rollback()
        raise Conflict(
            "Another change to the roster ran at the same time; nothing was imported. Try again."
        ) from None
    return report


def _apply_classes(
    session: Session,
    school: SchoolRow,
    lines: Sequence[ClassLine],
    existing: dict[str, SchoolClassRow],
    report: RosterReport,
) -> dict[str, SchoolClassRow]:
    classes = {name: row for name, row in existing.items() if row.active}
    for line in lines:
        name = str(line.name)
        row = existing.get(name)
        if row is None:
            row = SchoolClassRow(
                id=uuid.uuid4(),
                school_id=school.id,
                name=name,
                grade=line.name.grade,
                school_year=school.school_year,
                active=True,
            )
            session.add(row)
            report.rows.append(RowOutcome(line.row, "class", name, "created"))
        else:
            changes = []
            if not row.active:
                row.active = True
                changes.append("active")
            if row.grade != line.name.grade:
                row.grade = line.name.grade
                changes.append("grade")
            outcome = "updated" if changes else "unchanged"
            report.rows.append(RowOutcome(line.row, "class", name, outcome, tuple(changes)))
        classes[name] = row
    return classes


def _apply_people(
    session: Session,
    school: SchoolRow,
    lines: Sequence[PersonLine],
    classes: dict[str, SchoolClassRow],
    report: RosterReport,
) -> None:
    provider = f"roster:{school.id}"
    identities = {
        i.subject: i
        for i in session.scalars(
            select(UserIdentityRow).where(UserIdentityRow.provider == provider)
        )
    }
    users = {
        u.id: u
        for u in session.scalars(
            select(UserRow).where(UserRow.id.in_([i.user_id for i in identities.values()]))
        )
    }
    memberships: dict[uuid.UUID, list[MembershipRow]] = defaultdict(list)
    for m in session.scalars(
        select(MembershipRow)
        .where(MembershipRow.school_id == school.id, MembershipRow.role.in_(("pupil", "teacher")))
        .order_by(MembershipRow.id)
    ):
        memberships[m.user_id].append(m)
    now = _now()
    dependants: list[UserIdentityRow | MembershipRow] = []
    for line in lines:
        class_id = classes[str(line.class_name)].id if line.class_name else None
        email = line.email if line.kind == "teacher" else None
        identity = identities.get(line.external_id)
        user = users.get(identity.user_id) if identity is not None else None
        if user is None:
            user = UserRow(
                id=uuid.uuid4(),
                display_name=line.name,
                email=email,
                username=None,
                active=True,
                created_at=now,
                updated_at=now,
            )
            session.add(user)
            dependants.append(
                UserIdentityRow(
                    id=uuid.uuid4(), user_id=user.id, provider=provider, subject=line.external_id
                )
            )
            dependants.append(_membership(user.id, line.kind, school.id, class_id))
            report.rows.append(RowOutcome(line.row, line.kind, line.external_id, "created"))
            continue
        changes: list[str] = []
        if user.display_name != line.name:
            user.display_name = line.name
            changes.append("name")
        if email and user.email != email:
            user.email = email
            changes.append("email")
        changes += _ensure_roster_role(
            session, memberships[user.id], user.id, line.kind, school.id, class_id
        )
        if changes:
            user.updated_at = now
        outcome = "updated" if changes else "unchanged"
        report.rows.append(
            RowOutcome(line.row, line.kind, line.external_id, outcome, tuple(changes))
        )
    session.flush()  # the new users first: identities and memberships refer to them
    session.add_all(dependants)
    session.flush()


def _membership(
    user_id: uuid.UUID, role: str, school_id: uuid.UUID, class_id: uuid.UUID | None
) -> MembershipRow:
    return MembershipRow(
        id=uuid.uuid4(),
        user_id=user_id,
        role=role,
        school_id=school_id,
        class_id=class_id,
        municipality_code=None,
        publisher_id=None,
        active=True,
    )


def _ensure_roster_role(
    session: Session,
    memberships: list[MembershipRow],
    user_id: uuid.UUID,
    role: str,
    school_id: uuid.UUID,
    class_id: uuid.UUID | None,
) -> list[str]:
    """One active membership of ``role`` (pupil/teacher) in the school, in ``class_id``."""
    changes: list[str] = []
    other = "teacher" if role == "pupil" else "pupil"
    for m in memberships:
        if m.role == other and m.active:
            m.active = False
            changes.append("role")
    mine = [m for m in memberships if m.role == role]
    current = next((m for m in mine if m.active), None)
    if current is None:
        current = next((m for m in mine if m.class_id == class_id), mine[0] if mine else None)
        if current is None:
            current = _membership(user_id, role, school_id, class_id)
            session.add(current)
            memberships.append(current)
        current.active = True
        changes.append("role")
    for m in mine:
        if m is not current and m.active:  # a second active one (made by hand): one is enough
            m.active = False
    if current.class_id != class_id:
        current.class_id = class_id
        changes.append("class")
    return list(dict.fromkeys(changes))


# -- school-year rollover -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Promotion:
    class_id: uuid.UUID
    from_name: str
    to_name: str
    grade: int


@dataclass(frozen=True, slots=True)
class Graduation:
    class_id: uuid.UUID
    name: str
    pupils_deactivated: int


@dataclass(frozen=True, slots=True)
class RolloverReport:
    school: SchoolRow
    from_year: str
    to_year: str
    last_grade: int
    promoted: list[Promotion]
    graduated: list[Graduation]


def rollover_school_year(
    session: Session,
    principal: Principal,
    school_id: uuid.UUID,
    *,
    from_school_year: str,
    last_grade: int | None = None,
) -> RolloverReport:
    """Move the school into the next school year; commit.

    Each active class of ``from_school_year`` moves up a grade and is renamed ("4.B" → "5.B",
    same id, so what is attached to the class moves with it). Classes past the last grade
    (9, or 10 when the school has 10th-grade classes) are deactivated with their pupils'
    memberships: the leavers. Nothing is deleted. ``from_school_year`` must be the school's
    current year (409 otherwise), so a second run for the same year changes nothing.
    """
    school = _school(session, school_id)
    authorize(principal, "school.manage", school_tenant(school), what="school")
    if not school_year_is_valid(from_school_year):
        raise Unprocessable(
            SCHOOL_YEAR_RULE, details={"json": {"from_school_year": [SCHOOL_YEAR_RULE]}}
        )
    if school.school_year != from_school_year:
        raise Conflict(
            f"The school is in {school.school_year}, not {from_school_year}: it has been rolled"
            " over already, or the year is wrong.",
            code="school_year_mismatch",
            details={"school_year": school.school_year},
        )
    to_year = next_school_year(from_school_year)
    classes = session.scalars(
        select(SchoolClassRow)
        .where(
            SchoolClassRow.school_id == school.id,
            SchoolClassRow.school_year == from_school_year,
            SchoolClassRow.active,
        )
        .order_by(SchoolClassRow.grade.desc(), SchoolClassRow.name)
    ).all()
    last = last_grade
    if last is None:
        last = LAST_GRADE_WITH_TENTH if any(c.grade == 10 for c in classes) else LAST_GRADE
    taken = set(
        session.scalars(
            select(SchoolClassRow.name).where(
                SchoolClassRow.school_id == school.id, SchoolClassRow.school_year == to_year
            )
        )
    )
    promoted: list[Promotion] = []
    graduated: list[Graduation] = []
    for school_class in classes:
        if school_class.grade >= last:
            pupils = session.scalars(
                select(MembershipRow).where(
                    MembershipRow.class_id == school_class.id,
                    MembershipRow.role == "pupil",
                    MembershipRow.active,
                )
            ).all()
            for membership in pupils:
                membership.active = False
            school_class.active = False
            graduated.append(Graduation(school_class.id, school_class.name, len(pupils)))
            continue
        parsed = parse_class_name(school_class.name)
        new_name = (
            str(ClassName(school_class.grade + 1, parsed.suffix))
            if parsed is not None and parsed.grade == school_class.grade
            else school_class.name
        )
        if new_name in taken:
            raise Conflict(
                f"{school_class.name} cannot become {new_name}: {to_year} has a {new_name}"
                " already. Nothing was changed.",
                code="class_name_taken",
            )
        taken.add(new_name)
        promoted.append(
            Promotion(school_class.id, school_class.name, new_name, school_class.grade + 1)
        )
        school_class.name = new_name
        school_class.grade += 1
        school_class.school_year = to_year
    school.school_year = to_year
    audit.record(
        session, "school_year_rolled_over", "success", actor_user_id=principal.user_id,
        client_id=principal.client_id, school_id=school.id,
        municipality_code=school.municipality_code,
        detail={
            "from": from_school_year, "to": to_year, "last_grade": last,
            "promoted": len(promoted), "graduated": len(graduated),
            "pupils_deactivated": sum(g.pupils_deactivated for g in graduated),
        },
    )  # fmt: skip
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        raise Conflict("The school changed at the same time; nothing was rolled over.") from None
    promoted.sort(key=lambda p: (p.grade, p.to_name))
    graduated.sort(key=lambda g: g.name)
    return RolloverReport(school, from_school_year, to_year, last, promoted, graduated)


# -- badges ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class IssuedBadge:
    badge: BadgeRow
    code: str
    pupil: UserRow


@dataclass(frozen=True, slots=True)
class BadgeBatch:
    school_class: SchoolClassRow | None
    school: SchoolRow
    issued: list[IssuedBadge]


def issue_class_badges(
    session: Session,
    principal: Principal,
    class_id: uuid.UUID,
    *,
    reissue: bool = False,
    require_pupils: bool = False,
) -> BadgeBatch:
    """Badges for the class's active pupils who have none (or, with ``reissue``, new badges for
    all of them, revoking the old ones); commit. The codes exist only in the answer."""
    school_class, school = _class(session, class_id)
    authorize(principal, "class.badges", class_tenant(school, school_class), what="class")
    pupils = _pupils(session, school_class.id)
    if require_pupils and not pupils:
        raise Conflict(
            f"{school_class.name} has no active pupils to print badges for.", code="no_pupils"
        )
    issued = []
    for pupil in pupils:
        if reissue:
            badge, code = badges.reissue_badge(session, pupil.id, principal.user_id)
        elif badges.active_badges(session, pupil.id):
            continue
        else:
            badge, code = badges.issue_badge(session, pupil.id, principal.user_id)
        issued.append(IssuedBadge(badge, code, pupil))
    session.commit()
    return BadgeBatch(school_class, school, issued)


def reissue_user_badge(session: Session, principal: Principal, user_id: uuid.UUID) -> BadgeBatch:
    """A new badge for one pupil; the old ones stop working; commit."""
    user = _user(session, user_id)
    tenant = user_tenant(session, user_id)
    authorize(principal, "user.badges", tenant, what="user")
    membership = badges.pupil_membership(session, user.id)
    if membership is None or membership.school_id is None:
        raise Conflict("Badges are only for active pupils.", code="not_a_pupil")
    badge, code = badges.reissue_badge(session, user.id, principal.user_id)
    session.commit()
    school_class = session.get(SchoolClassRow, membership.class_id) if membership.class_id else None
    return BadgeBatch(school_class, _school(session, membership.school_id),
                      [IssuedBadge(badge, code, user)])  # fmt: skip


def revoke_badge(session: Session, principal: Principal, badge_id: uuid.UUID) -> BadgeRow:
    """Revoke a badge (idempotent: a revoked badge stays revoked, at its first time); commit."""
    badge = session.get(BadgeRow, badge_id)
    if badge is None:
        raise NotFound("No badge with that id.", code="badge_not_found")
    tenant = _badge_tenant(session, badge)
    authorize(principal, "user.badges", tenant, what="badge")
    badges.revoke_badge(session, badge, principal.user_id)
    session.commit()
    return badge


def _badge_tenant(session: Session, badge: BadgeRow) -> Tenant:
    """A badge lives where its pupil is, or was: a leaver's old badge can still be revoked."""
    tenant = user_tenant(session, badge.user_id)
    if tenant.school_ids:
        return tenant
    schools = session.scalars(
        select(MembershipRow.school_id).where(
            MembershipRow.user_id == badge.user_id,
            MembershipRow.role == "pupil",
            MembershipRow.school_id.is_not(None),
        )
    ).all()
    return Tenant(school_ids=frozenset(s for s in schools if s), user_id=badge.user_id)


# -- audit log ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AuditPage:
    items: list[AuditEventRow]
    total: int
    limit: int
    offset: int


def list_audit_events(
    session: Session,
    principal: Principal,
    *,
    event: str | None = None,
    school_id: uuid.UUID | None = None,
    limit: int = 50,
    offset: int = 0,
) -> AuditPage:
    """Security events, newest first: all for a platform admin, a school's for its leader,
    a municipality's (its schools' too) for its buyer."""
    query = select(AuditEventRow)
    if not allowed(principal, "audit.read", Tenant()):
        schools = {
            s
            for s in principal.schools()
            if allowed(principal, "audit.read", Tenant(school_ids=frozenset({s})))
        }
        municipalities = {
            code
            for code in principal.municipalities()
            if allowed(principal, "audit.read", Tenant(municipality_code=code))
        }
        if not schools and not municipalities:
            raise Forbidden("Your role does not allow reading the audit log.")
        scope = []
        if schools:
            scope.append(AuditEventRow.school_id.in_(schools))
        if municipalities:
            scope.append(AuditEventRow.municipality_code.in_(municipalities))
            scope.append(
                AuditEventRow.school_id.in_(
                    select(SchoolRow.id).where(SchoolRow.municipality_code.in_(municipalities))
                )
            )
        query = query.where(or_(*scope))
    if event is not None:
        query = query.where(AuditEventRow.event == event)
    if school_id is not None:
        query = query.where(AuditEventRow.school_id == school_id)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    items = session.scalars(
        query.order_by(AuditEventRow.at.desc(), AuditEventRow.id).limit(limit).offset(offset)
    ).all()
    return AuditPage(list(items), int(total), limit, offset)
