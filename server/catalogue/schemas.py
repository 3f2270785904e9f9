"""Schemas of the catalogue API (they generate the OpenAPI document).

Request bodies are documented here but checked by the catalogue domain
(``catalogue.validation``, ``catalogue.reviews``) after the caller is authorized, so the
rules live in one place and a foreign tenant's object answers 404 whatever the body. Money is
always whole øre (integers); the formatted Danish prices are for display only.
"""

from __future__ import annotations

from apiflask import Schema
from apiflask.fields import (
    UUID,
    Boolean,
    DateTime,
    Dict,
    Integer,
    List,
    Nested,
    String,
)
from apiflask.validators import Length, OneOf, Range

from catalogue.images import IMAGE_TYPES
from catalogue.model import GRADES, LaunchKind, LaunchTarget, ProductStatus
from catalogue.reviews import RATINGS, ReviewStatus
from catalogue.vocabulary import (
    ACCESSIBILITY_FEATURES,
    LANGUAGES,
    LICENCE_TYPES,
    MEDIA_TYPES,
    OFFLINE_CAPABILITIES,
    PERIODS,
    PLATFORMS,
    SUBJECTS,
)

STATUSES = [str(s) for s in ProductStatus]
SHA256 = {"pattern": "^[0-9a-f]{64}$", "example": "ab" * 32}


def _codes(vocabulary: object, **metadata: object) -> List:  # type: ignore[type-arg]
    codes = list(vocabulary.codes())  # type: ignore[attr-defined]
    return List(String(validate=OneOf(codes)), metadata=metadata)


# -- listings -------------------------------------------------------------------------------


class LaunchIn(Schema):
    kind = String(required=True, validate=OneOf([str(k) for k in LaunchKind]))
    url = String(required=True, metadata={"example": "https://forlag.example/lti/launch"})
    target = String(validate=OneOf([str(t) for t in LaunchTarget]))


class ScreenshotIn(Schema):
    sha256 = String(required=True, metadata=SHA256)
    media_type = String(required=True, validate=OneOf(list(IMAGE_TYPES)))
    width = Integer(required=True)
    height = Integer(required=True)
    alt_text = String(metadata={"description": "For screen readers; plain text"})


class ProductIn(Schema):
    """A listing. Text is plain text (HTML is refused, not stripped); every problem is
    reported at once in ``details.json`` by field path (``grades[2]``, ``launch.url``)."""

    title = String(required=True, validate=Length(3, 120), metadata={"example": "Brøkbanden"})
    description = String(required=True, validate=Length(1, 5000))
    subjects = _codes(SUBJECTS, example=["matematik"])
    grades = List(Integer(validate=Range(GRADES.start, GRADES.stop - 1)), required=True)
    languages = _codes(LANGUAGES, example=["da"])
    media_types = _codes(MEDIA_TYPES, example=["interactive"])
    platforms = _codes(PLATFORMS, example=["web", "ios"])
    accessibility = _codes(ACCESSIBILITY_FEATURES)
    accessibility_statement_url = String(allow_none=True)
    offline = String(validate=OneOf(list(OFFLINE_CAPABILITIES.codes())))
    trial_days = Integer(validate=Range(0, 90))
    launch = Nested(LaunchIn, required=True)
    data_processing_agreement_url = String(required=True)
    screenshots = List(
        Nested(ScreenshotIn),
        metadata={"description": "Uploaded images (POST /products/{id}/assets), in order"},
    )
    goal_ids = List(
        UUID(), metadata={"description": "Goals of the goal frameworks (unknown ids: 422)"}
    )


class ReasonIn(Schema):
    reason = String(
        validate=Length(1, 2000),
        metadata={"description": "Required to reject: shown to the publisher"},
    )


class ProductPublisherOut(Schema):
    id = UUID(required=True)
    name = String(required=True)


class ProductGoalOut(Schema):
    id = UUID(required=True)
    framework_id = UUID(required=True)
    human_code = String(required=True, allow_none=True)
    full_statement = String(required=True)
    kind = String(required=True)


class ScreenshotOut(Schema):
    sha256 = String(required=True, metadata=SHA256)
    media_type = String(required=True)
    width = Integer(required=True)
    height = Integer(required=True)
    alt_text = String(required=True)
    url = String(required=True)
    thumbnail_url = String(required=True)


class OfferOut(Schema):
    id = UUID(required=True)
    product_id = UUID(required=True)
    licence_type = String(required=True, validate=OneOf(list(LICENCE_TYPES.codes())))
    licence_type_label = String(required=True, metadata={"example": "Klasselicens"})
    period = String(required=True, validate=OneOf(list(PERIODS.codes())))
    period_label = String(required=True)
    price_ore = Integer(
        required=True, metadata={"description": "Whole øre excluding VAT", "example": 14950}
    )
    vat_percent = Integer(required=True, metadata={"example": 25})
    vat_ore = Integer(required=True, metadata={"example": 3738})
    gross_ore = Integer(required=True, metadata={"example": 18688})
    price_text = String(required=True, metadata={"example": "149,50 kr."})
    gross_text = String(required=True, metadata={"example": "186,88 kr."})
    subsidy_eligible = Boolean(required=True)
    min_quantity = Integer(required=True)
    max_quantity = Integer(required=True, allow_none=True)
    active = Boolean(required=True)


class OfferIn(Schema):
    licence_type = String(required=True, validate=OneOf(list(LICENCE_TYPES.codes())))
    period = String(required=True, validate=OneOf(list(PERIODS.codes())))
    price_ore = Integer(
        required=True,
        metadata={"description": "Whole øre excluding VAT; decimals are refused"},
    )
    vat_percent = Integer(validate=OneOf([25]))
    subsidy_eligible = Boolean()
    min_quantity = Integer(validate=Range(1, 1_000_000))
    max_quantity = Integer(allow_none=True, validate=Range(1, 1_000_000))
    active = Boolean(metadata={"description": "false takes the offer off sale (kept for orders)"})


class ProductRatingOut(Schema):
    count = Integer(required=True, metadata={"description": "Approved reviews"})
    mean = String(
        required=True,
        allow_none=True,
        metadata={"description": "Rounded half up to one decimal", "example": "4.3"},
    )
    display = String(required=True, allow_none=True, metadata={"example": "4,3"})
    histogram = List(Integer(), required=True, metadata={"description": "1s, 2s, … 5s"})


class WorkedForOut(Schema):
    goal_id = UUID(required=True)
    grade = Integer(required=True)


class ReviewOut(Schema):
    id = UUID(required=True)
    product_id = UUID(required=True)
    rating = Integer(required=True)
    text = String(required=True)
    worked_for = Nested(WorkedForOut, required=True, allow_none=True)
    status = String(required=True, validate=OneOf([str(s) for s in ReviewStatus]))
    moderation_reason = String(required=True, allow_none=True)
    created_at = DateTime(required=True)


class RevisionOut(Schema):
    version = Integer(required=True)
    base_version = Integer(required=True)
    status = String(required=True, validate=OneOf(STATUSES))
    rejection_reason = String(required=True, allow_none=True)
    listing = Dict(required=True)
    updated_at = DateTime(required=True)


class ProductOut(Schema):
    id = UUID(required=True)
    publisher = Nested(ProductPublisherOut, required=True)
    external_id = String(required=True, allow_none=True)
    status = String(required=True, validate=OneOf(STATUSES))
    version = Integer(required=True)
    published_at = DateTime(required=True, allow_none=True)
    created_at = DateTime(required=True)
    updated_at = DateTime(required=True)
    rejection_reason = String(required=True, allow_none=True)
    listing = Dict(
        required=True,
        metadata={"description": "The listing shown now, in the form PUT /products/{id} takes"},
    )
    labels = Dict(required=True, metadata={"description": "Danish labels of the codes"})
    goals = List(Nested(ProductGoalOut), required=True)
    screenshots = List(Nested(ScreenshotOut), required=True)
    offers = List(Nested(OfferOut), required=True)
    rating = Nested(ProductRatingOut, required=True)
    reviews = List(Nested(ReviewOut), required=True)
    pending_revision = Nested(
        RevisionOut,
        required=True,
        allow_none=True,
        metadata={"description": "An edit under review (publisher and admins only)"},
    )


class HistoryEntryOut(Schema):
    version = Integer(required=True)
    action = String(required=True)
    from_status = String(required=True)
    to_status = String(required=True)
    actor_role = String(required=True)
    actor_user_id = UUID(required=True, allow_none=True)
    actor_client_id = String(required=True, allow_none=True)
    reason = String(required=True, allow_none=True)
    at = DateTime(required=True)


class HistoryOut(Schema):
    product_id = UUID(required=True)
    items = List(Nested(HistoryEntryOut), required=True)


# -- assets ---------------------------------------------------------------------------------


class AssetOut(Schema):
    sha256 = String(required=True, metadata=SHA256)
    media_type = String(required=True)
    width = Integer(required=True)
    height = Integer(required=True)
    size_bytes = Integer(required=True)
    url = String(required=True)
    thumbnail_url = String(required=True)
    screenshot = Dict(
        required=True, metadata={"description": "Ready for the listing's `screenshots`"}
    )


# -- reviews --------------------------------------------------------------------------------


class WorkedForIn(Schema):
    goal_id = UUID(required=True)
    grade = Integer(required=True, validate=Range(GRADES.start, GRADES.stop - 1))


class ReviewIn(Schema):
    rating = Integer(required=True, validate=Range(RATINGS.start, RATINGS.stop - 1))
    text = String(validate=Length(0, 2000), metadata={"description": "Plain text"})
    worked_for = Nested(WorkedForIn, allow_none=True)


class ModerationIn(Schema):
    decision = String(required=True, validate=OneOf(["approved", "rejected"]))
    reason = String(
        validate=Length(1, 1000), metadata={"description": "Required to reject: for the author"}
    )


# -- municipalities' rules ------------------------------------------------------------------


class CatalogueRulesIn(Schema):
    allowed_product_ids = List(UUID(), load_default=list)
    allowed_publisher_ids = List(UUID(), load_default=list)
    blocked_product_ids = List(UUID(), load_default=list)
    blocked_publisher_ids = List(UUID(), load_default=list)


class CatalogueRulesOut(Schema):
    municipality_code = String(required=True, metadata={"example": "101"})
    municipality_name = String(required=True)
    allowed_product_ids = List(UUID(), required=True)
    allowed_publisher_ids = List(UUID(), required=True)
    blocked_product_ids = List(UUID(), required=True)
    blocked_publisher_ids = List(UUID(), required=True)


# -- import ---------------------------------------------------------------------------------


class ImportQuery(Schema):
    dry_run = Boolean(load_default=False, metadata={"description": "Check and report only"})


class ImportLineOut(Schema):
    line = Integer(required=True)
    external_id = String(required=True)
    product_id = UUID(required=True)
    outcome = String(required=True, validate=OneOf(["created", "updated", "unchanged"]))
    status = String(required=True, validate=OneOf(STATUSES))
    pending_revision = Boolean(required=True)


class ImportSummary(Schema):
    created = Integer(required=True)
    updated = Integer(required=True)
    unchanged = Integer(required=True)


class ImportReportOut(Schema):
    dry_run = Boolean(required=True)
    applied = Boolean(required=True)
    summary = Nested(ImportSummary, required=True)
    lines = List(Nested(ImportLineOut), required=True)


# Top-level answers that are also nested in ProductOut get their own class: APIFlask would
# otherwise register the nested schema a second time under the same name.


class OfferDetail(OfferOut):
    pass


class ReviewDetail(ReviewOut):
    pass
