"""The review workflow: transitions per role, history, in-place edits and revisions."""

from __future__ import annotations

import dataclasses
import itertools
import uuid
from datetime import datetime

import pytest
from catalogue_factories import (
    ADMIN,
    PRODUCT_ID,
    PUBLISHER,
    PUBLISHER_ID,
    T0,
    later,
    listing,
    product_in,
)

from catalogue.errors import ActionNotPermitted, CatalogueError, TransitionRefused
from catalogue.model import (
    PRODUCT_TRANSITIONS,
    ROLE_ACTIONS,
    Action,
    ActorRole,
    HistoryEntry,
    Offer,
    OfferInput,
    ProductStatus,
    Publisher,
    Revision,
    act,
    act_on_revision,
    apply_edit,
    edit_in_place,
    new_product,
    publish_revision,
    revision_transition,
    transition,
)
from catalogue.vocabulary import LicenceType, Period

S = ProductStatus
ALLOWED = [
    (S.DRAFT, Action.SUBMIT, PUBLISHER, S.SUBMITTED),
    (S.REJECTED, Action.SUBMIT, PUBLISHER, S.SUBMITTED),
    (S.SUBMITTED, Action.APPROVE, ADMIN, S.APPROVED),
    (S.SUBMITTED, Action.REJECT, ADMIN, S.REJECTED),
    (S.APPROVED, Action.PUBLISH, ADMIN, S.PUBLISHED),
    (S.PUBLISHED, Action.WITHDRAW, PUBLISHER, S.WITHDRAWN),
]


@pytest.mark.parametrize(("current", "action", "role", "new"), ALLOWED)
def test_allowed_transitions(
    current: ProductStatus, action: Action, role: ActorRole, new: ProductStatus
) -> None:
    assert transition(current, action, role=role, reason="Fejl i titlen") == new


def test_the_table_is_exactly_the_documented_machine() -> None:
    assert {(c, a): n for c, a, _, n in ALLOWED} == PRODUCT_TRANSITIONS
    assert {
        PUBLISHER: {Action.SUBMIT, Action.WITHDRAW},
        ADMIN: {Action.APPROVE, Action.REJECT, Action.PUBLISH},
    } == ROLE_ACTIONS


@pytest.mark.parametrize(
    ("current", "action"),
    [
        (status, action)
        for status, action in itertools.product(ProductStatus, Action)
        if (status, action) not in PRODUCT_TRANSITIONS
    ],
)
def test_every_other_transition_is_refused(current: ProductStatus, action: Action) -> None:
    role = PUBLISHER if action in ROLE_ACTIONS[PUBLISHER] else ADMIN
    with pytest.raises(TransitionRefused) as caught:
        transition(current, action, role=role, reason="x")
    assert caught.value.field == "status"
    assert caught.value.message.startswith(f"cannot {action} a product that is {current}; ")


def test_refusal_names_where_the_action_is_possible() -> None:
    with pytest.raises(TransitionRefused) as caught:
        transition(S.DRAFT, Action.PUBLISH, role=ADMIN)
    assert caught.value.message == (
        "cannot publish a product that is draft; publish is possible from: approved"
    )


@pytest.mark.parametrize(
    ("action", "role"),
    [
        (Action.APPROVE, PUBLISHER),
        (Action.REJECT, PUBLISHER),
        (Action.PUBLISH, PUBLISHER),
        (Action.SUBMIT, ADMIN),
        (Action.WITHDRAW, ADMIN),
    ],
)
def test_roles_are_checked_in_every_status(action: Action, role: ActorRole) -> None:
    for status in ProductStatus:
        with pytest.raises(ActionNotPermitted) as caught:
            transition(status, action, role=role, reason="x")
        assert caught.value.message.startswith(f"a {role} may not {action} (a {role} may: ")


def test_publisher_may_not_approve_own_product_message() -> None:
    with pytest.raises(ActionNotPermitted) as caught:
        transition(S.SUBMITTED, Action.APPROVE, role=PUBLISHER)
    assert caught.value.message == (
        "a publisher_admin may not approve (a publisher_admin may: submit, withdraw)"
    )


@pytest.mark.parametrize("reason", [None, "", "   \n"])
def test_reject_needs_a_reason(reason: str | None) -> None:
    with pytest.raises(CatalogueError) as caught:
        transition(S.SUBMITTED, Action.REJECT, role=ADMIN, reason=reason)
    assert (caught.value.field, caught.value.message) == (
        "reason",
        "a rejection needs a reason for the publisher",
    )


def test_new_product_is_a_version_1_draft() -> None:
    product = new_product(id=PRODUCT_ID, publisher_id=PUBLISHER_ID, listing=listing(), at=T0)
    assert (product.status, product.version, product.created_at, product.updated_at) == (
        S.DRAFT,
        1,
        T0,
        T0,
    )
    assert product.published_at is None and not product.is_listed


def test_naive_timestamps_are_refused() -> None:
    with pytest.raises(CatalogueError, match="timezone-aware") as caught:
        new_product(
            id=PRODUCT_ID, publisher_id=PUBLISHER_ID, listing=listing(), at=datetime(2026, 3, 2)
        )
    assert caught.value.field == "at"


def test_act_returns_the_new_product_and_its_history_entry() -> None:
    draft = product_in(S.DRAFT)
    submitted, entry = act(draft, Action.SUBMIT, role=PUBLISHER, at=later(5), actor_id="u-1")
    assert submitted == dataclasses.replace(draft, status=S.SUBMITTED, updated_at=later(5))
    assert entry == HistoryEntry(
        product_id=PRODUCT_ID,
        version=1,
        from_status=S.DRAFT,
        to_status=S.SUBMITTED,
        action=Action.SUBMIT,
        actor_role=PUBLISHER,
        at=later(5),
        reason=None,
        actor_id="u-1",
    )
    assert draft.status is S.DRAFT  # the input is untouched


def test_rejection_keeps_the_reason_until_resubmitted() -> None:
    submitted = product_in(S.SUBMITTED)
    rejected, entry = act(
        submitted, Action.REJECT, role=ADMIN, at=later(9), reason="  Mangler DPA-link  "
    )
    assert (rejected.status, rejected.rejection_reason) == (S.REJECTED, "Mangler DPA-link")
    assert (entry.from_status, entry.to_status, entry.reason) == (
        S.SUBMITTED,
        S.REJECTED,
        "Mangler DPA-link",
    )
    resubmitted, _ = act(rejected, Action.SUBMIT, role=PUBLISHER, at=later(10))
    assert (resubmitted.status, resubmitted.rejection_reason) == (S.SUBMITTED, None)


def test_a_reason_must_be_plain_text() -> None:
    with pytest.raises(CatalogueError) as caught:
        act(product_in(S.SUBMITTED), Action.REJECT, role=ADMIN, at=later(9), reason="<b>nej</b>")
    assert caught.value.field == "reason"
    assert caught.value.message.startswith("looks like HTML ('<b>nej</b>')")


def test_publish_sets_published_at_and_withdraw_keeps_it() -> None:
    published = product_in(S.PUBLISHED)
    assert published.published_at == later(3) and published.is_listed
    withdrawn, entry = act(published, Action.WITHDRAW, role=PUBLISHER, at=later(50))
    assert (withdrawn.status, withdrawn.published_at, withdrawn.is_listed) == (
        S.WITHDRAWN,
        later(3),
        False,
    )
    assert (entry.from_status, entry.to_status, entry.action) == (
        S.PUBLISHED,
        S.WITHDRAWN,
        Action.WITHDRAW,
    )


@pytest.mark.parametrize("status", [S.DRAFT, S.REJECTED])
def test_drafts_and_rejected_products_are_edited_in_place(status: ProductStatus) -> None:
    product = product_in(status)
    edited = edit_in_place(product, listing(title="Brøkbanden 2"), at=later(30))
    assert edited == dataclasses.replace(
        product, listing=listing(title="Brøkbanden 2"), updated_at=later(30)
    )
    assert (edited.status, edited.version) == (status, 1)


@pytest.mark.parametrize(
    ("status", "hint"),
    [
        (S.SUBMITTED, "it is waiting for review"),
        (S.APPROVED, "it is approved and waiting to be published"),
        (S.PUBLISHED, "an edit to a published product is a revision (apply_edit)"),
        (S.WITHDRAWN, "it is withdrawn"),
    ],
)
def test_other_statuses_are_not_edited_in_place(status: ProductStatus, hint: str) -> None:
    with pytest.raises(TransitionRefused) as caught:
        edit_in_place(product_in(status), listing(title="Ny titel"), at=later(30))
    assert caught.value.message == f"only a draft or rejected product is edited in place; {hint}"


def test_an_edit_to_a_published_product_is_a_revision_and_the_product_is_untouched() -> None:
    live = product_in(S.PUBLISHED)
    before = dataclasses.replace(live)
    revision = apply_edit(live, listing(title="Brøkbanden – ny udgave"), at=later(60))
    assert revision == Revision(
        product_id=PRODUCT_ID,
        version=2,
        base_version=1,
        listing=listing(title="Brøkbanden – ny udgave"),
        status=S.DRAFT,
        created_at=later(60),
        updated_at=later(60),
    )
    assert live == before
    assert live.listing.title == "Brøkbanden" and live.is_listed and live.version == 1


def test_the_revision_goes_through_review_while_the_published_version_stays() -> None:
    live = product_in(S.PUBLISHED)
    revision = apply_edit(live, listing(title="Brøkbanden – ny udgave"), at=later(60))
    revision, submitted = act_on_revision(revision, Action.SUBMIT, role=PUBLISHER, at=later(61))
    revision, approved = act_on_revision(revision, Action.APPROVE, role=ADMIN, at=later(62))
    assert revision.status is S.APPROVED
    assert live.listing.title == "Brøkbanden" and live.is_listed  # still the old one
    product, merged, published = publish_revision(live, revision, role=ADMIN, at=later(63))
    assert product == dataclasses.replace(
        live, listing=revision.listing, version=2, updated_at=later(63)
    )
    assert product.published_at == live.published_at == later(3)
    assert (merged.status, merged.updated_at) == (S.PUBLISHED, later(63))
    assert [(e.version, e.from_status, e.to_status, e.action, e.actor_role) for e in
            (submitted, approved, published)] == [
        (2, S.DRAFT, S.SUBMITTED, Action.SUBMIT, PUBLISHER),
        (2, S.SUBMITTED, S.APPROVED, Action.APPROVE, ADMIN),
        (2, S.APPROVED, S.PUBLISHED, Action.PUBLISH, ADMIN),
    ]  # fmt: skip


def test_a_rejected_revision_leaves_the_product_and_can_be_edited_and_resubmitted() -> None:
    live = product_in(S.PUBLISHED)
    revision = apply_edit(live, listing(title="Brøkbanden – ny"), at=later(60))
    revision, _ = act_on_revision(revision, Action.SUBMIT, role=PUBLISHER, at=later(61))
    revision, entry = act_on_revision(
        revision, Action.REJECT, role=ADMIN, at=later(62), reason="Titlen er for lang"
    )
    assert (revision.status, revision.rejection_reason, entry.reason) == (
        S.REJECTED,
        "Titlen er for lang",
        "Titlen er for lang",
    )
    again = apply_edit(live, listing(title="Brøkbanden 2"), at=later(70), pending=revision)
    assert (again.version, again.status, again.listing.title, again.created_at) == (
        2,
        S.REJECTED,
        "Brøkbanden 2",
        later(60),
    )
    again, _ = act_on_revision(again, Action.SUBMIT, role=PUBLISHER, at=later(71))
    assert (again.status, again.rejection_reason) == (S.SUBMITTED, None)


@pytest.mark.parametrize("status", [S.SUBMITTED, S.APPROVED])
def test_a_revision_in_review_is_not_edited(status: ProductStatus) -> None:
    live = product_in(S.PUBLISHED)
    pending = dataclasses.replace(
        apply_edit(live, listing(title="Brøkbanden – ny"), at=later(60)), status=status
    )
    with pytest.raises(TransitionRefused) as caught:
        apply_edit(live, listing(title="Igen"), at=later(61), pending=pending)
    assert caught.value.message == (
        f"the revision is {status}; it can be edited again after the review"
    )


def test_an_edit_that_changes_nothing_is_refused() -> None:
    live = product_in(S.PUBLISHED)
    with pytest.raises(CatalogueError, match="the edit changes nothing"):
        apply_edit(live, live.listing, at=later(60))


@pytest.mark.parametrize(
    ("status", "hint"),
    [
        (S.DRAFT, "edit it in place (edit_in_place)"),
        (S.REJECTED, "edit it in place (edit_in_place)"),
        (S.SUBMITTED, "it is submitted"),
        (S.WITHDRAWN, "it is withdrawn"),
    ],
)
def test_revisions_only_of_published_products(status: ProductStatus, hint: str) -> None:
    with pytest.raises(TransitionRefused) as caught:
        apply_edit(product_in(status), listing(title="Ny titel"), at=later(60))
    assert caught.value.message == f"a revision is made of a published product only; {hint}"


def test_revision_publish_goes_through_publish_revision_and_revisions_are_not_withdrawn() -> None:
    live = product_in(S.PUBLISHED)
    revision = dataclasses.replace(
        apply_edit(live, listing(title="Ny titel"), at=later(60)), status=S.APPROVED
    )
    with pytest.raises(TransitionRefused, match="use publish_revision"):
        act_on_revision(revision, Action.PUBLISH, role=ADMIN, at=later(61))
    with pytest.raises(ActionNotPermitted):
        act_on_revision(revision, Action.PUBLISH, role=PUBLISHER, at=later(61))
    merged = dataclasses.replace(revision, status=S.PUBLISHED)
    with pytest.raises(TransitionRefused, match="cannot withdraw a revision that is published"):
        act_on_revision(merged, Action.WITHDRAW, role=PUBLISHER, at=later(61))
    assert revision_transition(S.SUBMITTED, Action.APPROVE, role=ADMIN) is S.APPROVED


def test_publish_revision_refusals() -> None:
    live = product_in(S.PUBLISHED)
    draft_revision = apply_edit(live, listing(title="Ny titel"), at=later(60))
    approved = dataclasses.replace(draft_revision, status=S.APPROVED)
    with pytest.raises(TransitionRefused, match="cannot publish a revision that is draft"):
        publish_revision(live, draft_revision, role=ADMIN, at=later(61))
    with pytest.raises(ActionNotPermitted):
        publish_revision(live, approved, role=PUBLISHER, at=later(61))
    moved_on = dataclasses.replace(live, version=2)
    with pytest.raises(TransitionRefused) as caught:
        publish_revision(moved_on, approved, role=ADMIN, at=later(61))
    assert caught.value.message == (
        "the revision was made from version 1, but the product is at version 2"
    )
    withdrawn, _ = act(live, Action.WITHDRAW, role=PUBLISHER, at=later(61))
    with pytest.raises(TransitionRefused, match="the product is withdrawn"):
        publish_revision(withdrawn, approved, role=ADMIN, at=later(62))
    other = dataclasses.replace(approved, product_id=uuid.uuid4())
    with pytest.raises(CatalogueError, match="the revision belongs to another product"):
        publish_revision(live, other, role=ADMIN, at=later(62))


def test_publisher_cvr() -> None:
    assert Publisher(PUBLISHER_ID, "Forlaget Brøk", "10000009").cvr == "10000009"
    for bad in ("12345678", "01234567", "1000000", "1000000 9"):
        with pytest.raises(CatalogueError) as caught:
            Publisher(PUBLISHER_ID, "Forlaget Brøk", bad)
        assert caught.value.field == "cvr"


def test_offer_prices() -> None:
    offer = Offer.create(
        uuid.UUID(int=5),
        PRODUCT_ID,
        OfferInput(LicenceType.CLASS, Period.SCHOOL_YEAR, 14950, subsidy_eligible=True),
    )
    assert offer == Offer(
        id=uuid.UUID(int=5),
        product_id=PRODUCT_ID,
        licence_type=LicenceType.CLASS,
        period=Period.SCHOOL_YEAR,
        price_ore=14950,
        subsidy_eligible=True,
        min_quantity=1,
        max_quantity=None,
        vat_percent=25,
    )
    assert (offer.vat_ore, offer.gross_ore) == (3738, 18688)
