"""Use cases of the catalogue: listings, the review workflow, offers, uploads, reviews, rules.

Each function takes the session, the principal and its collaborators (the search outbox, the
asset store), loads its object, asks ``server.policy`` whether the principal may act on it
(401/403/404 come from there), applies the rules of ``catalogue`` (its errors become HTTP
answers in ``server.catalogue.views``), persists and commits, then triggers side effects.

Search hook: every change to what a *published* product looks like in search (publish, a
revision published, withdraw, an offer change, an approved review) adds a search-outbox row
in the same transaction (``outbox.enqueue``), and after the commit asks the outbox to flush
(``outbox.flush_soon``), so an index outage loses nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from catalogue import images
from catalogue import model as domain
from catalogue import reviews as review_rules
from catalogue.errors import CatalogueError, CatalogueValidationError, TransitionRefused
from catalogue.model import Action, ActorRole, Listing, ProductStatus
from catalogue.reviews import RatingSummary, ReviewStatus
from catalogue.validation import listing_data, validate_offer, validate_product
from server.catalogue import queries
from server.catalogue.assets import THUMBNAIL_PX, AssetStore
from server.catalogue.models import (
    AssetRow,
    CatalogueRuleRow,
    OfferRow,
    ProductAssetRow,
    ProductGoalTagRow,
    ProductHistoryRow,
    ProductRevisionRow,
    ProductRow,
    ReviewRow,
    utc,
)
from server.errors import ApiError, Conflict, NotFound, Unprocessable
from server.goals.models import GoalRow
from server.identity.principal import ANONYMOUS, Principal
from server.organisations.models import MunicipalityRow, PublisherRow
from server.policy import Tenant, allowed, authorize

PUBLISHER_ACTIONS = domain.ROLE_ACTIONS[ActorRole.PUBLISHER_ADMIN]


class PayloadTooLarge(ApiError):
    status_code = 413
    code = "payload_too_large"


# -- the search outbox (a port: the search package implements it) ----------------------------


class SearchOutbox(Protocol):
    def enqueue(self, session: Session, product_id: uuid.UUID) -> None:
        """Add an outbox row for the product in the session's transaction (no commit)."""

    def flush_soon(self) -> None:
        """After a commit: write the pending rows to the index soon."""


class SearchPackageOutbox:
    """``server.search.outbox``: the transactional outbox of the search index."""

    def enqueue(self, session: Session, product_id: uuid.UUID) -> None:
        from server.search import outbox

        outbox.enqueue(session, product_id)

    def flush_soon(self) -> None:
        from server.search import outbox

        outbox.flush_soon()


SEARCH_OUTBOX: SearchOutbox = SearchPackageOutbox()


def _commit(session: Session, outbox: SearchOutbox, changed: Sequence[uuid.UUID] = ()) -> None:
    """Commit; then, if the search index has something to catch up on, tell the outbox."""
    session.commit()
    if changed:
        outbox.flush_soon()


def now() -> datetime:
    return datetime.now(UTC)


# -- loading and authorizing ----------------------------------------------------------------


def product_tenant(row: ProductRow) -> Tenant:
    return Tenant(publisher_id=row.publisher_id, listed=row.status == ProductStatus.PUBLISHED)


def _product(session: Session, product_id: uuid.UUID) -> ProductRow:
    row = session.get(ProductRow, product_id)
    if row is None:
        raise NotFound("Produktet findes ikke.", code="product_not_found")
    return row


def authorized_product(
    session: Session, principal: Principal | None, product_id: uuid.UUID, action: str
) -> ProductRow:
    row = _product(session, product_id)
    authorize(principal, action, product_tenant(row), what="product")
    return row


def _publisher(session: Session, publisher_id: uuid.UUID) -> PublisherRow:
    publisher = session.get(PublisherRow, publisher_id)
    if publisher is None:
        raise NotFound("Forlaget findes ikke.", code="publisher_not_found")
    return publisher


def authorized_publisher(
    session: Session, principal: Principal, publisher_id: uuid.UUID
) -> PublisherRow:
    """The publisher, if the principal manages its products (its admins, its integration,
    platform admins)."""
    publisher = _publisher(session, publisher_id)
    authorize(principal, "product.manage", Tenant(publisher_id=publisher.id), what="publisher")
    return publisher


def can_manage(principal: Principal | None, row: ProductRow) -> bool:
    return principal is not None and allowed(principal, "product.manage", product_tenant(row))


def _actor_role(principal: Principal, publisher_id: uuid.UUID, action: Action) -> ActorRole:
    """The role the principal takes this action in (the domain checks that it may)."""
    if action in PUBLISHER_ACTIONS and publisher_id in principal.publishers("publisher_admin"):
        return ActorRole.PUBLISHER_ADMIN
    if principal.is_platform_admin:
        return ActorRole.PLATFORM_ADMIN
    return ActorRole.PUBLISHER_ADMIN


def _history_row(entry: domain.HistoryEntry, principal: Principal | None) -> ProductHistoryRow:
    return ProductHistoryRow(
        id=uuid.uuid4(),
        product_id=entry.product_id,
        version=entry.version,
        action=str(entry.action),
        from_status=str(entry.from_status),
        to_status=str(entry.to_status),
        actor_role=str(entry.actor_role),
        actor_user_id=principal.user_id if principal else None,
        actor_client_id=principal.client_id if principal and principal.user_id is None else None,
        reason=entry.reason,
        at=entry.at,
    )


# -- listings -------------------------------------------------------------------------------


def check_listing(session: Session, data: object) -> Listing:
    """``validate_product`` with the goal store, then: every screenshot is an uploaded image
    with the dimensions and type the listing says (422 naming each one that is not)."""
    listing = validate_product(data, unknown_goal_ids=queries.unknown_goal_ids(session))
    problems: dict[str, list[str]] = {}
    for index, shot in enumerate(listing.screenshots):
        asset = session.get(AssetRow, shot.sha256)
        if asset is None:
            problems[f"screenshots[{index}].sha256"] = [
                "no uploaded image has this hash; upload it first (POST /products/{id}/assets)"
            ]
        elif (asset.media_type, asset.width, asset.height) != (
            shot.media_type,
            shot.width,
            shot.height,
        ):
            problems[f"screenshots[{index}]"] = [
                f"the uploaded image is {asset.media_type}, {asset.width}×{asset.height} px"
            ]
    if problems:
        raise CatalogueValidationError(problems)
    return listing


def write_listing(session: Session, row: ProductRow, listing: Listing) -> None:
    """Make ``listing`` the product row's listing: columns, goal tags and screenshots."""
    row.title, row.listing = queries.listing_columns(listing)
    session.execute(delete(ProductGoalTagRow).where(ProductGoalTagRow.product_id == row.id))
    session.execute(delete(ProductAssetRow).where(ProductAssetRow.product_id == row.id))
    for position, goal_id in enumerate(listing.goal_ids):
        session.add(ProductGoalTagRow(product_id=row.id, goal_id=goal_id, position=position))
    for position, shot in enumerate(listing.screenshots):
        session.add(
            ProductAssetRow(
                product_id=row.id,
                kind="screenshot",
                position=position,
                sha256=shot.sha256,
                alt_text=shot.alt_text,
            )
        )


def new_product_row(
    session: Session, publisher_id: uuid.UUID, listing: Listing, *, external_id: str | None = None
) -> ProductRow:
    product = domain.new_product(
        id=uuid.uuid4(), publisher_id=publisher_id, listing=listing, at=now()
    )
    title, columns = queries.listing_columns(listing)
    row = ProductRow(
        id=product.id,
        publisher_id=publisher_id,
        external_id=external_id,
        title=title,
        listing=columns,
        status=str(product.status),
        version=product.version,
        created_at=product.created_at,
        updated_at=product.updated_at,
    )
    session.add(row)
    session.flush()
    write_listing(session, row, listing)
    return row


def create_product(
    session: Session, principal: Principal, publisher_id: uuid.UUID, data: object
) -> ProductRow:
    """A new draft of the publisher's (publisher_admin of that publisher, or platform_admin)."""
    publisher = authorized_publisher(session, principal, publisher_id)
    row = new_product_row(session, publisher.id, check_listing(session, data))
    session.commit()
    return row


@dataclass(frozen=True, slots=True)
class EditResult:
    product: ProductRow
    #: the pending revision the edit went to (an edit of a published product), else None
    revision: ProductRevisionRow | None


def apply_listing_edit(
    session: Session, row: ProductRow, listing: Listing
) -> ProductRevisionRow | None:
    """A draft or rejected product is edited in place; a published one gets a revision (or its
    open revision is edited). Refused (409) while in review, approved or withdrawn."""
    at = now()
    product = queries.product_of(session, row)
    if product.status is not ProductStatus.PUBLISHED:
        edited = domain.edit_in_place(product, listing, at=at)
        write_listing(session, row, edited.listing)
        row.updated_at = at
        return None
    pending_row = queries.open_revision(session, row.id)
    pending = queries.revision_from_row(pending_row) if pending_row else None
    revision = domain.apply_edit(product, listing, at=at, pending=pending)
    data = listing_data(revision.listing)
    if pending_row is None:
        pending_row = ProductRevisionRow(
            id=uuid.uuid4(),
            product_id=row.id,
            version=revision.version,
            base_version=revision.base_version,
            status=str(revision.status),
            listing=data,
            created_at=revision.created_at,
            updated_at=revision.updated_at,
        )
        session.add(pending_row)
    else:
        pending_row.listing = data
        pending_row.updated_at = revision.updated_at
    return pending_row


def update_product(
    session: Session, principal: Principal, product_id: uuid.UUID, data: object
) -> EditResult:
    row = authorized_product(session, principal, product_id, "product.manage")
    listing = check_listing(session, data)
    revision = apply_listing_edit(session, row, listing)
    session.commit()
    return EditResult(row, revision)


# -- the review workflow --------------------------------------------------------------------


def act_on_product(
    session: Session,
    principal: Principal,
    product_id: uuid.UUID,
    action: Action,
    *,
    reason: str | None = None,
    outbox: SearchOutbox = SEARCH_OUTBOX,
) -> EditResult:
    """Submit, approve, reject, publish or withdraw.

    A published product with an open revision: submit/approve/reject/publish act on the
    revision (publish makes it the live listing); withdraw acts on the product.
    """
    policy_action = "product.manage" if action in PUBLISHER_ACTIONS else "product.moderate"
    row = authorized_product(session, principal, product_id, policy_action)
    role = _actor_role(principal, row.publisher_id, action)
    step = workflow_step(session, principal, row, action, role=role, reason=reason, outbox=outbox)
    _commit(session, outbox, [row.id] if step.indexed else [])
    return EditResult(row, step.revision)


@dataclass(frozen=True, slots=True)
class Step:
    #: the revision the step acted on, or None when it acted on the product itself
    revision: ProductRevisionRow | None
    #: the step changed what search shows (the product was enqueued)
    indexed: bool


def workflow_step(
    session: Session,
    principal: Principal | None,
    row: ProductRow,
    action: Action,
    *,
    role: ActorRole,
    reason: str | None = None,
    outbox: SearchOutbox,
) -> Step:
    """One step of the workflow on the product or its open revision, with its history row;
    enqueues the product for search when the step changes what search shows. No commit."""
    at = now()
    product = queries.product_of(session, row)
    revision_row = (
        queries.open_revision(session, row.id)
        if product.status is ProductStatus.PUBLISHED and action is not Action.WITHDRAW
        else None
    )
    if revision_row is not None:
        revision = queries.revision_from_row(revision_row)
        if action is Action.PUBLISH:
            live, merged, entry = domain.publish_revision(
                product, revision, role=role, at=at, actor_id=_actor_id(principal)
            )
            write_listing(session, row, live.listing)
            row.version = live.version
            row.updated_at = live.updated_at
        else:
            merged, entry = domain.act_on_revision(
                revision, action, role=role, at=at, reason=reason, actor_id=_actor_id(principal)
            )
        revision_row.status = str(merged.status)
        revision_row.rejection_reason = merged.rejection_reason
        revision_row.updated_at = merged.updated_at
    else:
        updated, entry = domain.act(
            product, action, role=role, at=at, reason=reason, actor_id=_actor_id(principal)
        )
        row.status = str(updated.status)
        row.rejection_reason = updated.rejection_reason
        row.published_at = updated.published_at
        row.updated_at = updated.updated_at
    session.add(_history_row(entry, principal))
    indexed = action in {Action.PUBLISH, Action.WITHDRAW}
    if indexed:
        outbox.enqueue(session, row.id)
    return Step(revision_row, indexed)


def _actor_id(principal: Principal | None) -> str | None:
    if principal is None:
        return None
    if principal.user_id is not None:
        return str(principal.user_id)
    return f"client:{principal.client_id}"


def product_history(
    session: Session, principal: Principal, product_id: uuid.UUID
) -> list[ProductHistoryRow]:
    authorized_product(session, principal, product_id, "product.manage")
    return list(
        session.scalars(
            select(ProductHistoryRow)
            .where(ProductHistoryRow.product_id == product_id)
            .order_by(ProductHistoryRow.at, ProductHistoryRow.version)
        )
    )


# -- reading a product ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ProductView:
    row: ProductRow
    product: domain.Product
    publisher: PublisherRow
    offers: list[OfferRow]
    goals: list[GoalRow]
    reviews: list[ReviewRow]
    rating: RatingSummary
    #: what only the publisher and platform admins see
    manager: bool
    revision: ProductRevisionRow | None


def get_product(
    session: Session, principal: Principal | None, product_id: uuid.UUID
) -> ProductView:
    """A published product for anyone (no token needed); others for their publisher and
    platform admins only."""
    row = _product(session, product_id)
    tenant = product_tenant(row)
    if not (principal is None and allowed(ANONYMOUS, "product.read", tenant)):
        authorize(principal, "product.read", tenant, what="product")
    manager = can_manage(principal, row)
    product = queries.product_of(session, row)
    goals = queries.goal_rows(session, product.listing.goal_ids)
    approved = list(
        session.scalars(
            select(ReviewRow)
            .where(ReviewRow.product_id == row.id, ReviewRow.status == ReviewStatus.APPROVED.value)
            .order_by(ReviewRow.created_at.desc(), ReviewRow.id)
        )
    )
    return ProductView(
        row=row,
        product=product,
        publisher=_publisher(session, row.publisher_id),
        offers=queries.offers_of(session, [row.id], active_only=not manager).get(row.id, []),
        goals=[goals[goal_id] for goal_id in product.listing.goal_ids if goal_id in goals],
        reviews=approved,
        rating=queries.rating_summaries(session, [row.id]).get(row.id)
        or RatingSummary(0, 0, (0, 0, 0, 0, 0)),
        manager=manager,
        revision=queries.open_revision(session, row.id) if manager else None,
    )


# -- offers ---------------------------------------------------------------------------------


def _not_withdrawn(row: ProductRow) -> None:
    if row.status == ProductStatus.WITHDRAWN:
        raise TransitionRefused(
            "the product is withdrawn; its offers cannot change", field="status"
        )


def _offer_terms(data: object) -> tuple[domain.OfferInput, bool | None]:
    """Offer terms and the optional ``active`` flag (not a term: it is the server's)."""
    active: bool | None = None
    if isinstance(data, Mapping) and "active" in data:
        value = data["active"]
        rest = {key: item for key, item in data.items() if key != "active"}
        if not isinstance(value, bool):
            try:
                validate_offer(rest)
            except CatalogueValidationError as error:
                raise CatalogueValidationError(
                    {**error.errors, "active": ["must be true or false"]}
                ) from None
            raise CatalogueValidationError({"active": ["must be true or false"]})
        active, data = value, rest
    return validate_offer(data), active


def apply_terms(row: OfferRow, terms: domain.OfferInput) -> None:
    row.licence_type = str(terms.licence_type)
    row.period = str(terms.period)
    row.price_ore = terms.price_ore
    row.vat_percent = terms.vat_percent
    row.subsidy_eligible = terms.subsidy_eligible
    row.min_quantity = terms.min_quantity
    row.max_quantity = terms.max_quantity


def new_offer_row(session: Session, product: ProductRow, terms: domain.OfferInput) -> OfferRow:
    at = now()
    offer = OfferRow(
        id=uuid.uuid4(), product_id=product.id, active=True, created_at=at, updated_at=at
    )
    apply_terms(offer, terms)
    session.add(offer)
    return offer


def add_offer(
    session: Session,
    principal: Principal,
    product_id: uuid.UUID,
    data: object,
    *,
    outbox: SearchOutbox = SEARCH_OUTBOX,
) -> OfferRow:
    row = authorized_product(session, principal, product_id, "product.manage")
    _not_withdrawn(row)
    terms, active = _offer_terms(data)
    offer = new_offer_row(session, row, terms)
    if active is False:
        offer.active = False
    changed = _offers_changed(session, row, outbox)
    _commit(session, outbox, changed)
    return offer


def update_offer(
    session: Session,
    principal: Principal,
    offer_id: uuid.UUID,
    data: object,
    *,
    outbox: SearchOutbox = SEARCH_OUTBOX,
) -> OfferRow:
    """Replace an offer's terms; ``"active": false`` takes it off sale (it is kept: orders
    refer to it), ``true`` puts it back."""
    offer = session.get(OfferRow, offer_id)
    if offer is None:
        raise NotFound("Tilbuddet findes ikke.", code="offer_not_found")
    row = _product(session, offer.product_id)
    authorize(principal, "product.manage", product_tenant(row), what="offer")
    _not_withdrawn(row)
    terms, active = _offer_terms(data)
    apply_terms(offer, terms)
    if active is not None:
        offer.active = active
    offer.updated_at = now()
    changed = _offers_changed(session, row, outbox)
    _commit(session, outbox, changed)
    return offer


def _offers_changed(session: Session, row: ProductRow, outbox: SearchOutbox) -> list[uuid.UUID]:
    if row.status != ProductStatus.PUBLISHED:
        return []
    outbox.enqueue(session, row.id)
    return [row.id]


# -- assets ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Upload:
    asset: AssetRow
    created: bool


def upload_asset(
    session: Session,
    principal: Principal,
    product_id: uuid.UUID,
    read: Callable[[], tuple[bytes, str]],
    *,
    store: AssetStore,
) -> Upload:
    """Store an image for the product's listing, by content hash. The type is checked by
    content (``check_image``); the same bytes again give the same asset (``created`` False).
    The listing refers to it by ``sha256`` in ``screenshots``. ``read`` gives the upload's
    bytes and declared type; it is called once the caller is authorized."""
    row = authorized_product(session, principal, product_id, "product.manage")
    _not_withdrawn(row)
    data, declared_type = read()
    info = images.check_image(data, declared_type)
    existing = session.get(AssetRow, info.sha256)
    if existing is not None and store.has(info.sha256):
        return Upload(existing, created=False)
    store.put(info.sha256, data, images.thumbnail(data, THUMBNAIL_PX, output="webp"))
    if existing is not None:
        return Upload(existing, created=False)
    asset = AssetRow(
        sha256=info.sha256,
        media_type=info.media_type,
        width=info.width,
        height=info.height,
        size_bytes=info.size_bytes,
        created_at=now(),
    )
    session.add(asset)
    try:
        session.commit()
    except IntegrityError:  # the same image, uploaded at the same moment by someone else
        session.rollback()
        stored = session.get(AssetRow, info.sha256)
        if stored is None:
            raise
        return Upload(stored, created=False)
    return Upload(asset, created=True)


def get_asset(session: Session, sha256: str) -> AssetRow:
    asset = session.get(AssetRow, sha256.lower())
    if asset is None:
        raise NotFound("Billedet findes ikke.", code="asset_not_found")
    return asset


# -- reviews --------------------------------------------------------------------------------


def create_review(
    session: Session, principal: Principal, product_id: uuid.UUID, data: object
) -> ReviewRow:
    """A teacher's review of a published product, pending moderation; one per teacher."""
    row = authorized_product(session, principal, product_id, "product.read")
    authorize(principal, "review.create", product_tenant(row), what="product")
    assert principal.user_id is not None  # noqa: S101 - a teacher is a user
    checked = review_rules.validate_review(data, unknown_goal_ids=queries.unknown_goal_ids(session))
    taken = session.scalar(
        select(ReviewRow.id).where(
            ReviewRow.product_id == row.id, ReviewRow.author_id == principal.user_id
        )
    )
    if taken is not None:
        raise Conflict(
            "Du har allerede anmeldt dette produkt.",
            code="review_exists",
            details={"review_id": str(taken)},
        )
    review = review_rules.new_review(
        id=uuid.uuid4(), product_id=row.id, author_id=principal.user_id, review=checked, at=now()
    )
    stored = ReviewRow(
        id=review.id,
        product_id=review.product_id,
        author_id=review.author_id,
        rating=review.rating,
        text=review.text,
        goal_id=review.worked_for.goal_id if review.worked_for else None,
        grade=review.worked_for.grade if review.worked_for else None,
        status=str(review.status),
        created_at=review.created_at,
        updated_at=review.updated_at,
    )
    session.add(stored)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        raise Conflict("Du har allerede anmeldt dette produkt.", code="review_exists") from None
    return stored


def _review_from_row(row: ReviewRow) -> review_rules.Review:
    created, updated = utc(row.created_at), utc(row.updated_at)
    assert created is not None and updated is not None  # noqa: S101
    evidence = (
        review_rules.GoalEvidence(row.goal_id, row.grade)
        if row.goal_id is not None and row.grade is not None
        else None
    )
    return review_rules.Review(
        id=row.id,
        product_id=row.product_id,
        author_id=row.author_id,
        rating=row.rating,
        text=row.text,
        worked_for=evidence,
        status=ReviewStatus(row.status),
        created_at=created,
        updated_at=updated,
        moderated_at=utc(row.moderated_at),
        moderation_reason=row.reason,
    )


def moderate_review(
    session: Session,
    principal: Principal,
    review_id: uuid.UUID,
    decision: str,
    reason: str | None,
    *,
    outbox: SearchOutbox = SEARCH_OUTBOX,
) -> ReviewRow:
    """Approve or reject a pending review (platform admin). An approval changes the
    product's rating, so a published product is enqueued for search."""
    stored = session.get(ReviewRow, review_id)
    if stored is None:
        raise NotFound("Anmeldelsen findes ikke.", code="review_not_found")
    product = _product(session, stored.product_id)
    tenant = Tenant(
        publisher_id=product.publisher_id,
        user_id=stored.author_id,
        listed=product.status == ProductStatus.PUBLISHED,
    )
    authorize(principal, "review.moderate", tenant, what="review")
    try:
        status = ReviewStatus(decision)
    except ValueError:
        raise CatalogueError(
            f"{decision!r} is not a decision; allowed: approved, rejected", field="decision"
        ) from None
    moderated = review_rules.moderate(
        _review_from_row(stored), status, role=ActorRole.PLATFORM_ADMIN, at=now(), reason=reason
    )
    stored.status = str(moderated.status)
    stored.moderated_at = moderated.moderated_at
    stored.moderated_by = principal.user_id
    stored.reason = moderated.moderation_reason
    stored.updated_at = moderated.updated_at
    changed: list[uuid.UUID] = []
    if moderated.status is ReviewStatus.APPROVED and product.status == ProductStatus.PUBLISHED:
        outbox.enqueue(session, product.id)
        changed.append(product.id)
    _commit(session, outbox, changed)
    return stored


# -- municipalities' allow/block rules ------------------------------------------------------

RULE_FIELDS = (
    "allowed_product_ids",
    "allowed_publisher_ids",
    "blocked_product_ids",
    "blocked_publisher_ids",
)


def _municipality(session: Session, code: str) -> MunicipalityRow:
    row = session.get(MunicipalityRow, code)
    if row is None:
        raise NotFound("Kommunen findes ikke.", code="municipality_not_found")
    return row


def get_catalogue_rules(
    session: Session, principal: Principal, code: str
) -> tuple[MunicipalityRow, list[CatalogueRuleRow]]:
    municipality = _municipality(session, code)
    authorize(
        principal,
        "catalogue_rules.read",
        Tenant(municipality_code=municipality.code),
        what="municipality",
    )
    return municipality, queries.catalogue_rules(session, municipality.code)


def set_catalogue_rules(
    session: Session, principal: Principal, code: str, body: Mapping[str, Any]
) -> tuple[MunicipalityRow, list[CatalogueRuleRow]]:
    """Replace the municipality's allow and block lists (each a list of product or publisher
    ids; unknown ids → 422 naming them). Empty allow lists: every product is allowed."""
    municipality = _municipality(session, code)
    authorize(
        principal,
        "catalogue_rules.manage",
        Tenant(municipality_code=municipality.code),
        what="municipality",
    )
    problems: dict[str, list[str]] = {}
    wanted: list[tuple[str, str, uuid.UUID]] = []
    for name in RULE_FIELDS:
        kind = "allow" if name.startswith("allowed") else "block"
        target = "product" if "_product_" in name else "publisher"
        ids = list(dict.fromkeys(body.get(name) or ()))
        table = ProductRow if target == "product" else PublisherRow
        known: set[uuid.UUID] = set()
        for part in queries.chunks(ids):
            known.update(session.scalars(select(table.id).where(table.id.in_(part))))
        unknown = [str(i) for i in ids if i not in known]
        if unknown:
            problems[name] = [f"unknown {target} ids: {', '.join(unknown)}"]
        wanted.extend((kind, target, i) for i in ids)
    if problems:
        raise Unprocessable(
            "Nogle id'er findes ikke; reglerne er uændrede.", details={"json": problems}
        )
    session.execute(
        delete(CatalogueRuleRow).where(CatalogueRuleRow.municipality_code == municipality.code)
    )
    at = now()
    for kind, target, target_id in wanted:
        session.add(
            CatalogueRuleRow(
                id=uuid.uuid4(),
                municipality_code=municipality.code,
                kind=kind,
                product_id=target_id if target == "product" else None,
                publisher_id=target_id if target == "publisher" else None,
                created_by=principal.user_id,
                created_at=at,
            )
        )
    session.commit()
    return municipality, queries.catalogue_rules(session, municipality.code)
