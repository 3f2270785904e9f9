"""The catalogue domain: publishers, products and their listings, offers, the review workflow.

A **product** is what a publisher sells; its **listing** (``Listing``) is everything the
publisher writes about it — title, subjects, grades, goal tags, launch settings… A product
moves through the review workflow::

    draft ──submit──▶ submitted ──approve──▶ approved ──publish──▶ published ──withdraw──▶ withdrawn
      ▲                  │
      │                  └─reject (reason)─▶ rejected ──submit──▶ submitted

    publisher_admin: submit, withdraw        platform_admin: approve, reject, publish

Only a draft or a rejected product is edited in place (``edit_in_place``). An edit to a
published product never touches it: ``apply_edit`` makes a ``Revision`` (version + 1, its own
status, starting as a draft) that goes through the same review; the published version stays
listed until ``publish_revision`` replaces its listing. ``withdrawn`` is final here: a
withdrawn product is neither edited nor listed again (the publisher creates a new product).

``version`` counts the published generations of a listing: 1 for a new product (edits to a
draft or rejected product keep it), ``n + 1`` for the revision of published version ``n``.
Timestamps must be timezone-aware; ``published_at`` is the first publication and is kept when
a revision is published (so "newest" means newly listed, not recently edited).

Ownership (this publisher_admin belongs to this product's publisher) is the server's check;
this module checks what the role may do.
"""

from __future__ import annotations

import dataclasses
import re
import uuid
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from catalogue.errors import ActionNotPermitted, CatalogueError, TransitionRefused
from catalogue.money import VAT_PERCENT, gross_ore, vat_ore
from catalogue.text import plain_text_problems
from catalogue.vocabulary import LicenceType, OfflineCapability, Period

GRADES = range(0, 11)  # 0 = børnehaveklasse, 10 = 10. klasse
MAX_REASON_LENGTH = 2000
CVR_WEIGHTS = (2, 7, 6, 5, 4, 3, 2, 1)
_CVR = re.compile(r"[1-9][0-9]{7}")
CVR_RULE = "a CVR number is 8 digits, does not start with 0 and passes the modulus-11 check"


def cvr_is_valid(cvr: str) -> bool:
    """The same rule as the organisations register (8 digits, not 0…, modulus 11)."""
    if not _CVR.fullmatch(cvr):
        return False
    return sum(int(d) * w for d, w in zip(cvr, CVR_WEIGHTS, strict=True)) % 11 == 0


@dataclass(frozen=True, slots=True)
class Publisher:
    """What the catalogue needs to know of a publisher (the register lives in ``server``)."""

    id: uuid.UUID
    name: str
    cvr: str

    def __post_init__(self) -> None:
        if not cvr_is_valid(self.cvr):
            raise CatalogueError(f"{self.cvr!r} is not valid: {CVR_RULE}", field="cvr")


class LaunchKind(StrEnum):
    LTI = "lti"  # LTI 1.3 launch; ``url`` is the target_link_uri
    URL = "url"  # signed URL launch; ``url`` is opened with the signature added


class LaunchTarget(StrEnum):
    """Where the material opens (LTI's ``document_target``; also used for URL launches)."""

    WINDOW = "window"
    IFRAME = "iframe"


@dataclass(frozen=True, slots=True)
class LaunchSettings:
    kind: LaunchKind
    url: str
    target: LaunchTarget = LaunchTarget.WINDOW


@dataclass(frozen=True, slots=True)
class AssetRef:
    """A screenshot or preview image, addressed by the SHA-256 of its bytes (lower-case hex)."""

    sha256: str
    media_type: str  # image/png, image/jpeg or image/webp
    width: int
    height: int
    alt_text: str = ""  # for screen readers; plain text


@dataclass(frozen=True, slots=True)
class Listing:
    """What a publisher writes about a product: the part that is edited and reviewed.

    Sequences keep the publisher's order (the first subject is the main one); there are
    no duplicates. ``grades`` is sorted.
    """

    title: str
    description: str
    subjects: tuple[str, ...]
    grades: tuple[int, ...]
    languages: tuple[str, ...]
    media_types: tuple[str, ...]
    platforms: tuple[str, ...]
    launch: LaunchSettings
    data_processing_agreement_url: str
    accessibility: tuple[str, ...] = ()
    accessibility_statement_url: str | None = None
    offline: OfflineCapability = OfflineCapability.NONE
    trial_days: int = 0
    screenshots: tuple[AssetRef, ...] = ()
    goal_ids: tuple[uuid.UUID, ...] = ()


class ProductStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    APPROVED = "approved"
    REJECTED = "rejected"
    PUBLISHED = "published"
    WITHDRAWN = "withdrawn"


class Action(StrEnum):
    SUBMIT = "submit"
    APPROVE = "approve"
    REJECT = "reject"
    PUBLISH = "publish"
    WITHDRAW = "withdraw"


class ActorRole(StrEnum):
    """The roles that act in the review workflow (the same names as the server's roles)."""

    PUBLISHER_ADMIN = "publisher_admin"
    PLATFORM_ADMIN = "platform_admin"


#: Which role may take which action.
ROLE_ACTIONS: dict[ActorRole, frozenset[Action]] = {
    ActorRole.PUBLISHER_ADMIN: frozenset({Action.SUBMIT, Action.WITHDRAW}),
    ActorRole.PLATFORM_ADMIN: frozenset({Action.APPROVE, Action.REJECT, Action.PUBLISH}),
}

#: (status, action) → new status, for products.
PRODUCT_TRANSITIONS: dict[tuple[ProductStatus, Action], ProductStatus] = {
    (ProductStatus.DRAFT, Action.SUBMIT): ProductStatus.SUBMITTED,
    (ProductStatus.REJECTED, Action.SUBMIT): ProductStatus.SUBMITTED,
    (ProductStatus.SUBMITTED, Action.APPROVE): ProductStatus.APPROVED,
    (ProductStatus.SUBMITTED, Action.REJECT): ProductStatus.REJECTED,
    (ProductStatus.APPROVED, Action.PUBLISH): ProductStatus.PUBLISHED,
    (ProductStatus.PUBLISHED, Action.WITHDRAW): ProductStatus.WITHDRAWN,
}

#: The same for revisions, which are never withdrawn: "published" means merged into the
#: live product, and is final.
REVISION_TRANSITIONS: dict[tuple[ProductStatus, Action], ProductStatus] = {
    key: to for key, to in PRODUCT_TRANSITIONS.items() if key[1] is not Action.WITHDRAW
}

EDITABLE_IN_PLACE = frozenset({ProductStatus.DRAFT, ProductStatus.REJECTED})


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """One step of the review workflow of a product (``version`` tells revision from live)."""

    product_id: uuid.UUID
    version: int
    from_status: ProductStatus
    to_status: ProductStatus
    action: Action
    actor_role: ActorRole
    at: datetime
    reason: str | None = None
    actor_id: str | None = None


@dataclass(frozen=True, slots=True)
class Product:
    id: uuid.UUID
    publisher_id: uuid.UUID
    listing: Listing
    status: ProductStatus
    version: int
    created_at: datetime
    updated_at: datetime
    published_at: datetime | None = None
    #: The reason of the last rejection while ``status`` is rejected, else None.
    rejection_reason: str | None = None

    @property
    def is_listed(self) -> bool:
        """Shown in the catalogue and searchable (a pending revision does not change this)."""
        return self.status is ProductStatus.PUBLISHED


@dataclass(frozen=True, slots=True)
class Revision:
    """A pending edit of a published product: the listing it would become, under review."""

    product_id: uuid.UUID
    version: int  # the version it becomes when published
    base_version: int  # the published version it was made from
    listing: Listing
    status: ProductStatus
    created_at: datetime
    updated_at: datetime
    rejection_reason: str | None = None


@dataclass(frozen=True, slots=True)
class OfferInput:
    """The terms of an offer as a publisher sends them (validated by ``validate_offer``)."""

    licence_type: LicenceType
    period: Period
    price_ore: int  # per licence, excluding VAT
    subsidy_eligible: bool = False
    min_quantity: int = 1
    max_quantity: int | None = None  # None: no upper limit
    vat_percent: int = VAT_PERCENT


@dataclass(frozen=True, slots=True)
class Offer:
    """One way to buy a product: licence type × period at a price in øre excluding VAT."""

    id: uuid.UUID
    product_id: uuid.UUID
    licence_type: LicenceType
    period: Period
    price_ore: int
    subsidy_eligible: bool = False
    min_quantity: int = 1
    max_quantity: int | None = None
    vat_percent: int = VAT_PERCENT

    @classmethod
    def create(cls, id: uuid.UUID, product_id: uuid.UUID, terms: OfferInput) -> Offer:
        return cls(id=id, product_id=product_id, **dataclasses.asdict(terms))

    @property
    def vat_ore(self) -> int:
        return vat_ore(self.price_ore, percent=self.vat_percent)

    @property
    def gross_ore(self) -> int:
        return gross_ore(self.price_ore, percent=self.vat_percent)


# --- the status machine --------------------------------------------------------------------


def transition(
    current: ProductStatus, action: Action, *, role: ActorRole, reason: str | None = None
) -> ProductStatus:
    """The status a product moves to when ``role`` takes ``action``.

    Raises ``ActionNotPermitted`` when the role may never take the action,
    ``TransitionRefused`` when the action is not possible from ``current``, and
    ``CatalogueError`` (field ``reason``) when a rejection has no reason.
    """
    return _step(PRODUCT_TRANSITIONS, "product", current, action, role, reason)


def revision_transition(
    current: ProductStatus, action: Action, *, role: ActorRole, reason: str | None = None
) -> ProductStatus:
    """As ``transition``, for a revision (no withdraw; published is final)."""
    return _step(REVISION_TRANSITIONS, "revision", current, action, role, reason)


def _step(
    table: dict[tuple[ProductStatus, Action], ProductStatus],
    what: str,
    current: ProductStatus,
    action: Action,
    role: ActorRole,
    reason: str | None,
) -> ProductStatus:
    if action not in ROLE_ACTIONS[role]:
        allowed = ", ".join(sorted(ROLE_ACTIONS[role]))
        raise ActionNotPermitted(f"a {role} may not {action} (a {role} may: {allowed})")
    new = table.get((current, action))
    if new is None:
        possible = sorted(status for (status, act) in table if act is action)
        raise TransitionRefused(
            f"cannot {action} a {what} that is {current}; "
            f"{action} is possible from: {', '.join(possible) or 'nowhere'}",
            field="status",
        )
    if action is Action.REJECT and not (reason and reason.strip()):
        raise CatalogueError("a rejection needs a reason for the publisher", field="reason")
    return new


def _clean_reason(reason: str | None) -> str | None:
    if reason is None:
        return None
    text, problems = plain_text_problems(
        reason, min_length=1, max_length=MAX_REASON_LENGTH, multiline=True
    )
    if problems:
        raise CatalogueError("; ".join(problems), field="reason")
    return text


def _aware(at: datetime) -> datetime:
    if at.tzinfo is None or at.utcoffset() is None:
        raise CatalogueError("timestamps must be timezone-aware", field="at")
    return at


# --- products ------------------------------------------------------------------------------


def new_product(
    *, id: uuid.UUID, publisher_id: uuid.UUID, listing: Listing, at: datetime
) -> Product:
    """A new product: a draft, version 1."""
    _aware(at)
    return Product(
        id=id,
        publisher_id=publisher_id,
        listing=listing,
        status=ProductStatus.DRAFT,
        version=1,
        created_at=at,
        updated_at=at,
    )


def edit_in_place(product: Product, listing: Listing, *, at: datetime) -> Product:
    """Replace the listing of a draft or rejected product (its status and version stay)."""
    _aware(at)
    if product.status not in EDITABLE_IN_PLACE:
        hint = {
            ProductStatus.PUBLISHED: "an edit to a published product is a revision (apply_edit)",
            ProductStatus.SUBMITTED: "it is waiting for review",
            ProductStatus.APPROVED: "it is approved and waiting to be published",
            ProductStatus.WITHDRAWN: "it is withdrawn",
        }[product.status]
        raise TransitionRefused(
            f"only a draft or rejected product is edited in place; {hint}", field="status"
        )
    return dataclasses.replace(product, listing=listing, updated_at=at)


def act(
    product: Product,
    action: Action,
    *,
    role: ActorRole,
    at: datetime,
    reason: str | None = None,
    actor_id: str | None = None,
) -> tuple[Product, HistoryEntry]:
    """Take a workflow action on a product: the updated product and its history entry."""
    _aware(at)
    reason = _clean_reason(reason)
    new_status = transition(product.status, action, role=role, reason=reason)
    updated = dataclasses.replace(
        product,
        status=new_status,
        updated_at=at,
        rejection_reason=reason if new_status is ProductStatus.REJECTED else None,
        published_at=(
            at
            if new_status is ProductStatus.PUBLISHED and product.published_at is None
            else product.published_at
        ),
    )
    entry = HistoryEntry(
        product_id=product.id,
        version=product.version,
        from_status=product.status,
        to_status=new_status,
        action=action,
        actor_role=role,
        at=at,
        reason=reason,
        actor_id=actor_id,
    )
    return updated, entry


# --- revisions of published products -------------------------------------------------------


def apply_edit(
    live: Product, listing: Listing, *, at: datetime, pending: Revision | None = None
) -> Revision:
    """An edit to a published product, as a revision; ``live`` itself is never changed.

    Without ``pending``: a new draft revision, version ``live.version + 1``. With the product's
    open revision as ``pending``: that revision edited in place, which (like a product) is
    only possible while it is a draft or rejected — not while it is in review.
    """
    _aware(at)
    if live.status is not ProductStatus.PUBLISHED:
        hint = (
            "edit it in place (edit_in_place)"
            if live.status in EDITABLE_IN_PLACE
            else f"it is {live.status}"
        )
        raise TransitionRefused(
            f"a revision is made of a published product only; {hint}", field="status"
        )
    if pending is None:
        if listing == live.listing:
            raise CatalogueError("the edit changes nothing", field="listing")
        return Revision(
            product_id=live.id,
            version=live.version + 1,
            base_version=live.version,
            listing=listing,
            status=ProductStatus.DRAFT,
            created_at=at,
            updated_at=at,
        )
    _check_revision_of(live, pending)
    if pending.status not in EDITABLE_IN_PLACE:
        raise TransitionRefused(
            f"the revision is {pending.status}; it can be edited again after the review",
            field="status",
        )
    return dataclasses.replace(pending, listing=listing, updated_at=at)


def act_on_revision(
    revision: Revision,
    action: Action,
    *,
    role: ActorRole,
    at: datetime,
    reason: str | None = None,
    actor_id: str | None = None,
) -> tuple[Revision, HistoryEntry]:
    """Submit, approve or reject a revision. Publishing needs the live product:
    ``publish_revision``."""
    _aware(at)
    if action is Action.PUBLISH and action in ROLE_ACTIONS[role]:
        raise TransitionRefused(
            "a revision is published together with its product: use publish_revision",
            field="action",
        )
    reason = _clean_reason(reason)
    new_status = revision_transition(revision.status, action, role=role, reason=reason)
    updated = dataclasses.replace(
        revision,
        status=new_status,
        updated_at=at,
        rejection_reason=reason if new_status is ProductStatus.REJECTED else None,
    )
    entry = HistoryEntry(
        product_id=revision.product_id,
        version=revision.version,
        from_status=revision.status,
        to_status=new_status,
        action=action,
        actor_role=role,
        at=at,
        reason=reason,
        actor_id=actor_id,
    )
    return updated, entry


def publish_revision(
    live: Product,
    revision: Revision,
    *,
    role: ActorRole,
    at: datetime,
    actor_id: str | None = None,
) -> tuple[Product, Revision, HistoryEntry]:
    """Publish an approved revision: the product takes its listing and version.

    The product stays published throughout (``published_at`` keeps the first publication).
    Refused when the product is no longer published or has moved on since the revision
    was made (``base_version``).
    """
    _aware(at)
    new_status = revision_transition(revision.status, Action.PUBLISH, role=role)
    _check_revision_of(live, revision)
    if live.status is not ProductStatus.PUBLISHED:
        raise TransitionRefused(
            f"the product is {live.status}; only a published product takes a revision",
            field="status",
        )
    product = dataclasses.replace(
        live, listing=revision.listing, version=revision.version, updated_at=at
    )
    merged = dataclasses.replace(revision, status=new_status, updated_at=at)
    entry = HistoryEntry(
        product_id=live.id,
        version=revision.version,
        from_status=revision.status,
        to_status=new_status,
        action=Action.PUBLISH,
        actor_role=role,
        at=at,
        actor_id=actor_id,
    )
    return product, merged, entry


def _check_revision_of(live: Product, revision: Revision) -> None:
    if revision.product_id != live.id:
        raise CatalogueError("the revision belongs to another product", field="product_id")
    if revision.base_version != live.version:
        raise TransitionRefused(
            f"the revision was made from version {revision.base_version}, "
            f"but the product is at version {live.version}",
            field="version",
        )
