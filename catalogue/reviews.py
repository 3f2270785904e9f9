"""Teacher reviews of products: rating 1–5, plain text, optional goal evidence, moderation.

A review is written by a teacher and starts ``pending``; a platform admin approves or
rejects it (with a reason). Only approved reviews are shown and counted. An edited review goes
back to ``pending``. One review per teacher and product is the server's unique constraint.

The aggregate is exact: ``RatingSummary.mean`` is a ``Fraction``; ``mean_1dp`` is the
display value rounded half up to one decimal (a ``Decimal``); ``display`` formats it for a
locale ("4,3" in Danish).
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from fractions import Fraction

from babel.numbers import format_decimal

from catalogue.errors import ActionNotPermitted, CatalogueError, TransitionRefused
from catalogue.fields import FieldErrors, as_object, parse_uuid, refuse_unknown, whole_number
from catalogue.model import GRADES, ActorRole
from catalogue.text import json_type, plain_text_problems
from catalogue.validation import UnknownGoalIds

RATINGS = range(1, 6)
MAX_REVIEW_TEXT = 2000
MAX_MODERATION_REASON = 1000
REVIEW_FIELDS = ("rating", "text", "worked_for")
_WORKED_FOR_FIELDS = ("goal_id", "grade")


class ReviewStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


@dataclass(frozen=True, slots=True)
class GoalEvidence:
    """ "It worked for goal X in grade Y." """

    goal_id: uuid.UUID
    grade: int


@dataclass(frozen=True, slots=True)
class ReviewInput:
    rating: int
    text: str = ""
    worked_for: GoalEvidence | None = None


@dataclass(frozen=True, slots=True)
class Review:
    id: uuid.UUID
    product_id: uuid.UUID
    author_id: uuid.UUID  # the teacher
    rating: int
    text: str
    worked_for: GoalEvidence | None
    status: ReviewStatus
    created_at: datetime
    updated_at: datetime
    moderated_at: datetime | None = None
    moderation_reason: str | None = None


def validate_review(data: object, *, unknown_goal_ids: UnknownGoalIds) -> ReviewInput:
    """``{"rating": 1–5, "text": plain text ≤ 2000 (optional), "worked_for": {"goal_id": UUID,
    "grade": 0–10} (optional)}``, or ``CatalogueValidationError``."""
    errors = FieldErrors()
    obj = as_object(data, errors, "$")
    if obj is None:
        errors.raise_now()
    refuse_unknown(obj, REVIEW_FIELDS, errors, "", "a review")
    rating = None
    if obj.get("rating") is None:
        errors.add("rating", "is required (1–5)")
    else:
        rating = whole_number(
            obj["rating"], "rating", errors, low=RATINGS.start, high=RATINGS.stop - 1
        )
    text = ""
    if obj.get("text") is not None:
        checked, problems = plain_text_problems(
            obj["text"], min_length=0, max_length=MAX_REVIEW_TEXT, multiline=True
        )
        for problem in problems:
            errors.add("text", problem)
        text = checked or ""
    evidence = _worked_for(obj.get("worked_for"), errors, unknown_goal_ids)
    errors.raise_if_any()
    assert rating is not None  # noqa: S101
    return ReviewInput(rating=rating, text=text, worked_for=evidence)


def _worked_for(
    value: object, errors: FieldErrors, unknown_goal_ids: UnknownGoalIds
) -> GoalEvidence | None:
    if value is None:
        return None
    obj = as_object(value, errors, "worked_for")
    if obj is None:
        return None
    refuse_unknown(obj, _WORKED_FOR_FIELDS, errors, "worked_for.", "worked_for")
    goal_id = parse_uuid(obj.get("goal_id"))
    if goal_id is None:
        errors.add(
            "worked_for.goal_id", f"must be a goal's UUID, not {json_type(obj.get('goal_id'))}"
        )
    elif unknown_goal_ids({goal_id}):
        errors.add("worked_for.goal_id", f"unknown goal id (in no goal framework): {goal_id}")
        goal_id = None
    grade = whole_number(
        obj.get("grade"), "worked_for.grade", errors, low=GRADES.start, high=GRADES.stop - 1
    )
    if goal_id is None or grade is None:
        return None
    return GoalEvidence(goal_id, grade)


def new_review(
    *,
    id: uuid.UUID,
    product_id: uuid.UUID,
    author_id: uuid.UUID,
    review: ReviewInput,
    at: datetime,
) -> Review:
    """A teacher's new review, pending moderation."""
    return Review(
        id=id,
        product_id=product_id,
        author_id=author_id,
        rating=review.rating,
        text=review.text,
        worked_for=review.worked_for,
        status=ReviewStatus.PENDING,
        created_at=at,
        updated_at=at,
    )


def edit_review(review: Review, changes: ReviewInput, *, at: datetime) -> Review:
    """The author's edit: new content, back to pending (a moderator sees it again)."""
    return dataclasses.replace(
        review,
        rating=changes.rating,
        text=changes.text,
        worked_for=changes.worked_for,
        status=ReviewStatus.PENDING,
        updated_at=at,
        moderated_at=None,
        moderation_reason=None,
    )


def moderate(
    review: Review,
    decision: ReviewStatus,
    *,
    role: ActorRole,
    at: datetime,
    reason: str | None = None,
) -> Review:
    """Approve or reject a pending review. Only a platform admin moderates; a rejection
    needs a reason (shown to the author). A decided review is moderated again only after an
    edit has made it pending."""
    if role is not ActorRole.PLATFORM_ADMIN:
        raise ActionNotPermitted(f"a {role} may not moderate reviews")
    if decision is ReviewStatus.PENDING:
        raise CatalogueError("a moderation decision is approved or rejected", field="decision")
    if review.status is not ReviewStatus.PENDING:
        raise TransitionRefused(f"the review is already {review.status}", field="status")
    cleaned: str | None = None
    if reason is not None:
        cleaned, problems = plain_text_problems(
            reason, min_length=1, max_length=MAX_MODERATION_REASON, multiline=True
        )
        if problems:
            raise CatalogueError("; ".join(problems), field="reason")
    if decision is ReviewStatus.REJECTED and not cleaned:
        raise CatalogueError("a rejection needs a reason for the author", field="reason")
    return dataclasses.replace(
        review, status=decision, moderated_at=at, moderation_reason=cleaned, updated_at=at
    )


@dataclass(frozen=True, slots=True)
class RatingSummary:
    """The ratings of a product's approved reviews."""

    count: int
    total: int
    histogram: tuple[int, int, int, int, int]  # how many 1s, 2s, 3s, 4s, 5s

    @property
    def mean(self) -> Fraction | None:
        """The exact mean, or None without reviews."""
        return Fraction(self.total, self.count) if self.count else None

    def mean_rounded(self, places: int = 1) -> Decimal | None:
        """The mean rounded half up to ``places`` decimals, or None without reviews."""
        mean = self.mean
        if mean is None:
            return None
        exact = Decimal(mean.numerator) / Decimal(mean.denominator)
        return exact.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)

    @property
    def mean_1dp(self) -> Decimal | None:
        """The mean rounded half up to one decimal, for display: 13/3 → 4.3, 17/4 → 4.3."""
        return self.mean_rounded(1)

    def display(self, locale: str = "da_DK") -> str | None:
        """ "4,3" (Danish) or "4.3" (English), or None without reviews."""
        rounded = self.mean_1dp
        if rounded is None:
            return None
        return str(format_decimal(rounded, format="0.0", locale=locale))


def aggregate(reviews: Iterable[Review]) -> RatingSummary:
    """Count and sum the ratings of the APPROVED reviews only."""
    histogram = [0, 0, 0, 0, 0]
    for review in reviews:
        if review.status is ReviewStatus.APPROVED:
            histogram[review.rating - 1] += 1
    count = sum(histogram)
    total = sum(rating * n for rating, n in zip(RATINGS, histogram, strict=True))
    return RatingSummary(
        count=count,
        total=total,
        histogram=(histogram[0], histogram[1], histogram[2], histogram[3], histogram[4]),
    )
