"""Teacher reviews: validation, moderation, and an aggregate over approved reviews only."""

from __future__ import annotations

import dataclasses
import uuid
from decimal import Decimal
from fractions import Fraction

import pytest
from catalogue_factories import ADMIN, GOAL_A, PRODUCT_ID, PUBLISHER, T0, later, no_unknown_goals

from catalogue.errors import (
    ActionNotPermitted,
    CatalogueError,
    CatalogueValidationError,
    TransitionRefused,
)
from catalogue.reviews import (
    GoalEvidence,
    RatingSummary,
    Review,
    ReviewInput,
    ReviewStatus,
    aggregate,
    edit_review,
    moderate,
    new_review,
    validate_review,
)

TEACHER = uuid.UUID("33333333-3333-4333-8333-333333333333")


def review_errors(data: object, unknown: set[uuid.UUID] | None = None) -> dict[str, list[str]]:
    with pytest.raises(CatalogueValidationError) as caught:
        validate_review(data, unknown_goal_ids=lambda ids: (unknown or set()) & ids)
    return caught.value.errors


def make_review(rating: int, status: ReviewStatus = ReviewStatus.APPROVED) -> Review:
    review = new_review(
        id=uuid.uuid4(),
        product_id=PRODUCT_ID,
        author_id=TEACHER,
        review=ReviewInput(rating),
        at=T0,
    )
    return dataclasses.replace(review, status=status)


def test_a_valid_review() -> None:
    data = {
        "rating": 5,
        "text": " Virkede godt i 5.b ",
        "worked_for": {"goal_id": str(GOAL_A), "grade": 5},
    }
    assert validate_review(data, unknown_goal_ids=no_unknown_goals) == ReviewInput(
        5, "Virkede godt i 5.b", GoalEvidence(GOAL_A, 5)
    )
    assert validate_review({"rating": 1}, unknown_goal_ids=no_unknown_goals) == ReviewInput(1)


def test_review_refusals() -> None:
    assert review_errors({"rating": 0, "text": "<b>Super</b>", "stars": 5}) == {
        "stars": ["is not a field of a review; fields are: rating, text, worked_for"],
        "rating": ["must be 1–5 (got 0)"],
        "text": [
            "looks like HTML ('<b>Super</b>'); text fields are plain text — remove the markup, "
            "or put a space after '<' if you mean 'less than'"
        ],
    }
    assert review_errors({"rating": 6}) == {"rating": ["must be 1–5 (got 6)"]}
    assert review_errors({"rating": True}) == {"rating": ["must be a whole number, not a boolean"]}
    assert review_errors({"rating": 4.5}) == {
        "rating": ["must be a whole number, not a decimal number"]
    }
    assert review_errors({"text": "Fin"}) == {"rating": ["is required (1–5)"]}
    assert review_errors({"rating": 3, "text": "x" * 2001}) == {
        "text": ["must be at most 2000 characters (it is 2001)"]
    }
    assert review_errors(
        {"rating": 3, "worked_for": {"goal_id": str(GOAL_A), "grade": 11}}, unknown={GOAL_A}
    ) == {
        "worked_for.goal_id": [f"unknown goal id (in no goal framework): {GOAL_A}"],
        "worked_for.grade": ["must be 0–10 (got 11)"],
    }
    assert review_errors([5]) == {"$": ["must be a JSON object, not a list"]}
    assert review_errors({"rating": 3, "worked_for": "mål 1"}) == {
        "worked_for": ["must be a JSON object, not a string"]
    }
    assert review_errors({"rating": 3, "worked_for": {"goal_id": "MAT.1", "grade": 3}}) == {
        "worked_for.goal_id": ["must be a goal's UUID, not a string"]
    }


def test_new_reviews_are_pending_and_only_a_platform_admin_moderates() -> None:
    review = new_review(
        id=uuid.UUID(int=1), product_id=PRODUCT_ID, author_id=TEACHER, review=ReviewInput(4), at=T0
    )
    assert review.status is ReviewStatus.PENDING
    approved = moderate(review, ReviewStatus.APPROVED, role=ADMIN, at=later(5))
    assert (approved.status, approved.moderated_at, approved.moderation_reason) == (
        ReviewStatus.APPROVED,
        later(5),
        None,
    )
    with pytest.raises(ActionNotPermitted, match="a publisher_admin may not moderate reviews"):
        moderate(review, ReviewStatus.APPROVED, role=PUBLISHER, at=later(5))
    with pytest.raises(CatalogueError, match="a rejection needs a reason for the author"):
        moderate(review, ReviewStatus.REJECTED, role=ADMIN, at=later(5))
    rejected = moderate(review, ReviewStatus.REJECTED, role=ADMIN, at=later(5), reason="Persondata")
    assert (rejected.status, rejected.moderation_reason) == (ReviewStatus.REJECTED, "Persondata")
    with pytest.raises(TransitionRefused, match="the review is already approved"):
        moderate(approved, ReviewStatus.REJECTED, role=ADMIN, at=later(6), reason="Alligevel")
    with pytest.raises(CatalogueError, match="looks like HTML") as caught:
        moderate(review, ReviewStatus.REJECTED, role=ADMIN, at=later(5), reason="<a href=x>")
    assert caught.value.field == "reason"
    with pytest.raises(CatalogueError, match="approved or rejected"):
        moderate(review, ReviewStatus.PENDING, role=ADMIN, at=later(5))


def test_an_edited_review_is_moderated_again() -> None:
    approved = moderate(
        make_review(5, ReviewStatus.PENDING), ReviewStatus.APPROVED, role=ADMIN, at=later(1)
    )
    edited = edit_review(approved, ReviewInput(2, "Ændret mening"), at=later(9))
    assert (edited.status, edited.rating, edited.text, edited.moderated_at, edited.updated_at) == (
        ReviewStatus.PENDING,
        2,
        "Ændret mening",
        None,
        later(9),
    )


def test_the_aggregate_counts_approved_reviews_only() -> None:
    reviews = [
        make_review(5),
        make_review(4),
        make_review(4),
        make_review(4),
        make_review(1, ReviewStatus.PENDING),
        make_review(1, ReviewStatus.REJECTED),
    ]
    summary = aggregate(reviews)
    assert summary == RatingSummary(count=4, total=17, histogram=(0, 0, 0, 3, 1))
    assert summary.mean == Fraction(17, 4)
    assert summary.mean_1dp == Decimal("4.3")  # 4.25 rounds half up, not to even
    assert summary.mean_rounded(2) == Decimal("4.25")
    assert summary.display() == "4,3"
    assert summary.display("en_GB") == "4.3"


def test_no_approved_reviews_means_no_mean() -> None:
    summary = aggregate([make_review(5, ReviewStatus.PENDING)])
    assert summary == RatingSummary(0, 0, (0, 0, 0, 0, 0))
    assert (summary.mean, summary.mean_1dp, summary.display()) == (None, None, None)


def test_mean_is_exact() -> None:
    summary = aggregate([make_review(5), make_review(4), make_review(4)])
    assert summary.mean == Fraction(13, 3)
    assert summary.mean_1dp == Decimal("4.3")
    assert summary.mean_rounded(2) == Decimal("4.33")
