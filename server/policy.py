"""Authorization in one place: may this principal do this action on an object of this tenant?

Every object endpoint loads its object, builds the object's ``Tenant`` and calls
``authorize(principal, action, tenant)`` before doing anything else. The answer:

- no principal → 401;
- the principal has no tie at all to the object's tenant → 404, the same answer as for an id
  that does not exist, so ids of other schools or publishers leak nothing;
- a tie, but not one the action allows (a pupil asking to import the school's roster) → 403.

Rules are data (``ACTIONS``): each action lists the relations that allow it.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from server.errors import ApiError, NotFound
from server.identity.principal import Principal


class Unauthenticated(ApiError):
    status_code = 401
    code = "unauthenticated"


class Forbidden(ApiError):
    status_code = 403
    code = "forbidden"


@dataclass(frozen=True, slots=True)
class Tenant:
    """Where an object lives. Set what applies: a class has its school and municipality."""

    municipality_code: str | None = None
    school_ids: frozenset[uuid.UUID] = field(default_factory=frozenset)
    class_id: uuid.UUID | None = None
    publisher_id: uuid.UUID | None = None
    #: the user an object is about (a user record, a badge)
    user_id: uuid.UUID | None = None
    #: the object is public (a published product): anyone may know that it exists
    listed: bool = False


STAFF = ("teacher", "school_leader")

Relation = Callable[[Principal, Tenant], bool]

RELATIONS: dict[str, Relation] = {
    "platform_admin": lambda p, t: p.is_platform_admin,
    "self": lambda p, t: p.user_id is not None and p.user_id == t.user_id,
    "school_leader": lambda p, t: bool(p.schools("school_leader") & t.school_ids),
    "school_staff": lambda p, t: bool(p.schools(*STAFF) & t.school_ids),
    "school_member": lambda p, t: bool(p.schools() & t.school_ids),
    "class_pupil": lambda p, t: t.class_id is not None and t.class_id in p.classes("pupil"),
    "municipal_buyer": lambda p, t: (
        t.municipality_code is not None
        and t.municipality_code in p.municipalities("municipal_buyer")
    ),
    "publisher_admin": lambda p, t: (
        t.publisher_id is not None and t.publisher_id in p.publishers("publisher_admin")
    ),
    # catalogue (issue 4): a listed product is everybody's to see; any teacher may review one
    "public": lambda p, t: t.listed,
    "teacher_of_listed": lambda p, t: t.listed and p.has_role("teacher"),
}

#: action → the relations that allow it
ACTIONS: dict[str, tuple[str, ...]] = {
    "municipality.read": ("platform_admin", "municipal_buyer"),
    "municipality.manage": ("platform_admin", "municipal_buyer"),
    "school.read": ("platform_admin", "municipal_buyer", "school_member"),
    "school.manage": ("platform_admin", "municipal_buyer", "school_leader"),
    "class.read": ("platform_admin", "municipal_buyer", "school_staff"),
    "class.badges": ("platform_admin", "school_staff"),
    "user.read": ("platform_admin", "self", "school_staff"),
    "user.manage_roles": ("platform_admin", "school_leader"),
    "user.badges": ("platform_admin", "school_staff"),
    "publisher.read": ("platform_admin", "publisher_admin"),
    "publisher.manage": ("platform_admin", "publisher_admin"),
    "audit.read": ("platform_admin", "school_leader", "municipal_buyer"),
    # organisations (issue 3): creating objects with no tenant of their own yet, seeing
    # pupils' names, and who may grant (or take away) which kind of role
    "school.create": ("platform_admin", "municipal_buyer"),
    "publisher.create": ("platform_admin",),
    "class.read_pupils": ("school_staff",),
    "role.grant_school": ("platform_admin", "school_leader"),
    "role.grant_municipal": ("platform_admin",),
    "role.grant_publisher": ("platform_admin",),
    "role.grant_platform": ("platform_admin",),
    # catalogue (issue 4): listings, the review workflow, reviews, municipalities' rules
    "product.read": ("platform_admin", "publisher_admin", "public"),
    "product.manage": ("platform_admin", "publisher_admin"),
    "product.moderate": ("platform_admin",),
    "review.create": ("teacher_of_listed",),
    "review.moderate": ("platform_admin",),
    "catalogue_rules.read": ("platform_admin", "municipal_buyer"),
    "catalogue_rules.manage": ("platform_admin", "municipal_buyer"),
    # launch (issue 6): opening materials in a class, assignments, tools, use reports
    "class.launch": ("class_pupil", "school_staff"),
    "assignment.create": ("school_staff",),
    "assignment.qr": ("platform_admin", "school_staff"),
    "tool_registration.manage": ("platform_admin", "publisher_admin"),
    "publisher.entitlements": ("platform_admin", "publisher_admin"),
    "usage.read": ("platform_admin", "municipal_buyer", "school_leader"),
    # budgets, purchasing and licences (issue 5)
    "programme.manage": ("platform_admin",),
    "budget.read": ("platform_admin", "municipal_buyer", "school_staff"),
    "budget.manage": ("platform_admin", "municipal_buyer"),
    "purchase.request": ("school_staff",),
    "purchase.read": ("platform_admin", "municipal_buyer", "school_staff"),
    "purchase.approve_school": ("school_leader", "municipal_buyer"),
    "purchase.approve_municipal": ("municipal_buyer",),
    "order.read": ("platform_admin", "municipal_buyer", "school_staff"),
    "order.cancel": ("school_leader", "municipal_buyer"),
    "licence.read": ("platform_admin", "municipal_buyer", "school_staff"),
    "licence.assign": ("school_staff",),
    "trial.start": ("school_staff",),
    # reports (issue 5): a municipality's buyer sees its reports and claim; a school leader
    # sees the school's
    "report.municipality": ("platform_admin", "municipal_buyer"),
    "report.school": ("platform_admin", "municipal_buyer", "school_leader"),
}

#: relations that count as "a tie to the tenant" (403 rather than 404 when denied)
_TIES = ("platform_admin", "self", "school_member", "class_pupil", "municipal_buyer",
         "publisher_admin", "public")  # fmt: skip


def allowed(principal: Principal, action: str, tenant: Tenant) -> bool:
    relations = ACTIONS[action]  # an unknown action is a programming error: KeyError
    return any(RELATIONS[name](principal, tenant) for name in relations)


def authorize(principal: Principal | None, action: str, tenant: Tenant, *, what: str) -> None:
    """Raise 401/403/404 unless ``principal`` may do ``action`` on ``what`` in ``tenant``."""
    if principal is None or (principal.user_id is None and principal.client_id is None):
        raise Unauthenticated("Sign in first.")
    if allowed(principal, action, tenant):
        return
    if any(RELATIONS[name](principal, tenant) for name in _TIES):
        raise Forbidden(f"Your role does not allow this on the {what}.")
    raise NotFound(f"No {what} with that id.", code=f"{what.replace(' ', '_')}_not_found")
