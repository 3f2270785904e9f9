"""Validation of publisher input: listings (``validate_product``) and offers (``validate_offer``).

Input is a JSON-shaped mapping (an API body or one line of a JSONL import). Every field is
checked and every problem is reported at once, as ``CatalogueValidationError.errors``: a dict
from field path (``title``, ``grades[2]``, ``launch.url``, ``screenshots[0].width``) to a list
of English messages. Nothing is silently fixed: markup in text is refused, not stripped;
the only normalisation is Unicode NFC, trimming outer whitespace, sorting grades and
lower-casing UUIDs and hashes. Unknown fields are refused (a typo such as ``grade`` must not
be dropped without a word).

``listing_data`` and ``offer_data`` are the inverse: the JSON form of a validated value, so
``validate_product(listing_data(x), …) == x`` (the server merges a PATCH into it).

The image checks (``check_image``, ``thumbnail``) live in ``catalogue.images`` and are
re-exported here.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from typing import TypeAlias

from catalogue.fields import (
    MISSING,
    SHA256_HEX,
    FieldErrors,
    as_object,
    code_field,
    codes_field,
    list_field,
    parse_uuid,
    refuse_unknown,
    text_field,
    url_field,
    whole_number,
)
from catalogue.images import (
    IMAGE_TYPES,
    MAX_IMAGE_PX,
    MIN_IMAGE_PX,
    ImageInfo,
    check_image,
    thumbnail,
)
from catalogue.model import (
    GRADES,
    AssetRef,
    LaunchKind,
    LaunchSettings,
    LaunchTarget,
    Listing,
    OfferInput,
)
from catalogue.money import VAT_PERCENT, MoneyError, parse_ore
from catalogue.text import json_type
from catalogue.vocabulary import (
    ACCESSIBILITY_FEATURES,
    LANGUAGES,
    LICENCE_TYPES,
    MEDIA_TYPES,
    OFFLINE_CAPABILITIES,
    PERIODS,
    PLATFORMS,
    SUBJECTS,
    LicenceType,
    OfflineCapability,
    Period,
)

__all__ = [
    "OFFER_FIELDS",
    "PRODUCT_FIELDS",
    "ImageInfo",
    "ProductInput",
    "UnknownGoalIds",
    "check_image",
    "listing_data",
    "offer_data",
    "thumbnail",
    "validate_offer",
    "validate_product",
]

#: The validated listing. (``Listing`` is the same class: it is what a ``Product`` and a
#: ``Revision`` hold, so validation returns it directly.)
ProductInput: TypeAlias = Listing

#: Given the goal ids a listing tags, return those that are in no goal framework.
UnknownGoalIds: TypeAlias = Callable[[set[uuid.UUID]], set[uuid.UUID]]

TITLE_LENGTH = (3, 120)
DESCRIPTION_LENGTH = (1, 5000)
ALT_TEXT_MAX = 300
MAX_TRIAL_DAYS = 90
MAX_SCREENSHOTS = 12
MAX_GOAL_IDS = 200
MAX_QUANTITY = 1_000_000

PRODUCT_FIELDS: tuple[str, ...] = (
    "title",
    "description",
    "subjects",
    "grades",
    "languages",
    "media_types",
    "platforms",
    "accessibility",
    "accessibility_statement_url",
    "offline",
    "trial_days",
    "launch",
    "data_processing_agreement_url",
    "screenshots",
    "goal_ids",
)
OFFER_FIELDS: tuple[str, ...] = (
    "licence_type",
    "period",
    "price_ore",
    "vat_percent",
    "subsidy_eligible",
    "min_quantity",
    "max_quantity",
)
_LAUNCH_FIELDS = ("kind", "url", "target")
_SCREENSHOT_FIELDS = ("sha256", "media_type", "width", "height", "alt_text")


def _goal_ids(
    data: Mapping[str, object], errors: FieldErrors, unknown_goal_ids: UnknownGoalIds
) -> tuple[uuid.UUID, ...]:
    items = list_field(data, "goal_ids", errors, required=False, max_items=MAX_GOAL_IDS)
    if items is None:
        return ()
    ids: list[uuid.UUID] = []
    for index, item in enumerate(items):
        parsed = parse_uuid(item)
        path = f"goal_ids[{index}]"
        if parsed is None:
            errors.add(
                path, f"must be a UUID such as 'xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx', not {item!r}"
            )
        elif parsed in ids:
            errors.add(path, f"{parsed} appears twice")
        else:
            ids.append(parsed)
    if ids:
        unknown = unknown_goal_ids(set(ids)) & set(ids)
        if unknown:
            listed = ", ".join(str(goal_id) for goal_id in ids if goal_id in unknown)
            errors.add("goal_ids", f"unknown goal ids (in no goal framework): {listed}")
    return tuple(ids)


def _grades(data: Mapping[str, object], errors: FieldErrors) -> tuple[int, ...]:
    items = list_field(data, "grades", errors, required=True, max_items=len(GRADES))
    if items is None:
        return ()
    if not items:
        errors.add("grades", "must name at least one grade (0–10)")
    grades: list[int] = []
    for index, item in enumerate(items):
        path = f"grades[{index}]"
        grade = whole_number(item, path, errors, low=GRADES.start, high=GRADES.stop - 1)
        if grade is None:
            continue
        if grade in grades:
            errors.add(path, f"grade {grade} appears twice")
        else:
            grades.append(grade)
    return tuple(sorted(grades))


def _launch(data: Mapping[str, object], errors: FieldErrors) -> LaunchSettings | None:
    value = data.get("launch", MISSING)
    if value is MISSING or value is None:
        errors.add("launch", "is required")
        return None
    launch = as_object(value, errors, "launch")
    if launch is None:
        return None
    refuse_unknown(launch, _LAUNCH_FIELDS, errors, "launch.", "launch settings")
    kind = launch.get("kind", MISSING)
    kinds = tuple(LaunchKind)
    if kind not in kinds:
        errors.add(
            "launch.kind",
            "is required"
            if kind is MISSING
            else f"{kind!r} is not a launch kind; allowed: {', '.join(kinds)}",
        )
    url = url_field(launch, "url", errors, required=True, path="launch.url")
    target = launch.get("target", LaunchTarget.WINDOW)
    targets = tuple(LaunchTarget)
    if target not in targets:
        errors.add("launch.target", f"{target!r} is not a target; allowed: {', '.join(targets)}")
    if kind not in kinds or url is None or target not in targets:
        return None
    return LaunchSettings(LaunchKind(str(kind)), url, LaunchTarget(str(target)))


def _screenshots(data: Mapping[str, object], errors: FieldErrors) -> tuple[AssetRef, ...]:
    items = list_field(data, "screenshots", errors, required=False, max_items=MAX_SCREENSHOTS)
    if items is None:
        return ()
    refs: list[AssetRef] = []
    for index, item in enumerate(items):
        prefix = f"screenshots[{index}]"
        shot = as_object(item, errors, prefix)
        if shot is None:
            continue
        refuse_unknown(shot, _SCREENSHOT_FIELDS, errors, f"{prefix}.", "a screenshot")
        ok = True
        digest = shot.get("sha256")
        if not isinstance(digest, str) or not SHA256_HEX.fullmatch(digest.lower()):
            errors.add(f"{prefix}.sha256", "must be the SHA-256 of the image as 64 hex digits")
            ok = False
        media_type = shot.get("media_type")
        if media_type not in IMAGE_TYPES:
            errors.add(
                f"{prefix}.media_type",
                f"{media_type!r} is not an accepted image type; allowed: {', '.join(IMAGE_TYPES)}",
            )
            ok = False
        sizes = [
            whole_number(
                shot.get(side), f"{prefix}.{side}", errors, low=MIN_IMAGE_PX, high=MAX_IMAGE_PX
            )
            for side in ("width", "height")
        ]
        alt = text_field(
            shot,
            "alt_text",
            errors,
            length=(0, ALT_TEXT_MAX),
            multiline=False,
            path=f"{prefix}.alt_text",
            required=False,
        )
        width, height = sizes
        if not ok or width is None or height is None:
            continue
        assert isinstance(digest, str) and isinstance(media_type, str)  # noqa: S101
        if any(ref.sha256 == digest.lower() for ref in refs):
            errors.add(f"{prefix}.sha256", "this image is listed twice")
            continue
        refs.append(AssetRef(digest.lower(), media_type, width, height, alt or ""))
    return tuple(refs)


def validate_product(data: object, *, unknown_goal_ids: UnknownGoalIds) -> Listing:
    """A validated listing from JSON-shaped ``data``, or ``CatalogueValidationError``.

    ``unknown_goal_ids`` is called once with the set of well-formed goal ids and returns
    those that are in no goal framework (the server asks the goal store).

    Required: title (3–120 characters), description (1–5000), subjects, grades (0–10),
    languages, media_types, platforms (each a non-empty list of known codes without
    duplicates), launch (``{"kind": "lti"|"url", "url": …, "target": "window"|"iframe"}``),
    data_processing_agreement_url. Optional: accessibility (codes), accessibility_statement_url,
    offline ("none"|"partial"|"full", default "none"), trial_days (0–90, default 0),
    screenshots (≤ 12 of ``{sha256, media_type, width, height, alt_text}``), goal_ids (≤ 200
    UUIDs). URLs are https (http only for localhost/127.0.0.1).
    """
    errors = FieldErrors()
    obj = as_object(data, errors, "$")
    if obj is None:
        errors.raise_now()
    refuse_unknown(obj, PRODUCT_FIELDS, errors, "", "a product")
    title = text_field(obj, "title", errors, length=TITLE_LENGTH, multiline=False)
    description = text_field(obj, "description", errors, length=DESCRIPTION_LENGTH, multiline=True)
    subjects = codes_field(obj, "subjects", SUBJECTS, errors, required=True)
    grades = _grades(obj, errors)
    languages = codes_field(obj, "languages", LANGUAGES, errors, required=True)
    media_types = codes_field(obj, "media_types", MEDIA_TYPES, errors, required=True)
    platforms = codes_field(obj, "platforms", PLATFORMS, errors, required=True)
    accessibility = codes_field(
        obj, "accessibility", ACCESSIBILITY_FEATURES, errors, required=False
    )
    statement_url = url_field(obj, "accessibility_statement_url", errors, required=False)
    offline = code_field(
        obj, "offline", OFFLINE_CAPABILITIES, errors, default=OfflineCapability.NONE
    )
    trial = obj.get("trial_days")
    trial_days = (
        0
        if trial is None
        else whole_number(trial, "trial_days", errors, low=0, high=MAX_TRIAL_DAYS)
    )
    launch = _launch(obj, errors)
    dpa_url = url_field(obj, "data_processing_agreement_url", errors, required=True)
    screenshots = _screenshots(obj, errors)
    goal_ids = _goal_ids(obj, errors, unknown_goal_ids)
    errors.raise_if_any()
    assert title is not None and description is not None and launch is not None  # noqa: S101
    assert dpa_url is not None and offline is not None and trial_days is not None  # noqa: S101
    return Listing(
        title=title,
        description=description,
        subjects=subjects,
        grades=grades,
        languages=languages,
        media_types=media_types,
        platforms=platforms,
        launch=launch,
        data_processing_agreement_url=dpa_url,
        accessibility=accessibility,
        accessibility_statement_url=statement_url,
        offline=OfflineCapability(offline),
        trial_days=trial_days,
        screenshots=screenshots,
        goal_ids=goal_ids,
    )


def validate_offer(data: object) -> OfferInput:
    """Validated offer terms from JSON-shaped ``data``, or ``CatalogueValidationError``.

    Required: licence_type (pupil|class|school|municipality), period (school_year|months_12|
    school_years_3), price_ore (whole øre excluding VAT, 0 for free: see ``parse_ore``).
    Optional: vat_percent (must be 25 if given), subsidy_eligible (a boolean, default false),
    min_quantity (1–1,000,000, default 1), max_quantity (null or min_quantity–1,000,000).
    """
    errors = FieldErrors()
    obj = as_object(data, errors, "$")
    if obj is None:
        errors.raise_now()
    refuse_unknown(obj, OFFER_FIELDS, errors, "", "an offer")
    licence_type = code_field(obj, "licence_type", LICENCE_TYPES, errors)
    period = code_field(obj, "period", PERIODS, errors)
    price: int | None = None
    if "price_ore" not in obj:
        errors.add("price_ore", "is required (whole øre excluding VAT, e.g. 14950)")
    else:
        try:
            price = parse_ore(obj["price_ore"], field="price_ore")
        except MoneyError as error:
            errors.add("price_ore", error.message)
    vat = obj.get("vat_percent", VAT_PERCENT)
    if isinstance(vat, bool) or vat != VAT_PERCENT:
        errors.add("vat_percent", f"must be {VAT_PERCENT} (Danish VAT), not {vat!r}")
    subsidy = obj.get("subsidy_eligible", False)
    if not isinstance(subsidy, bool):
        errors.add("subsidy_eligible", f"must be true or false, not {json_type(subsidy)}")
    min_q = whole_number(
        obj.get("min_quantity", 1), "min_quantity", errors, low=1, high=MAX_QUANTITY
    )
    max_value = obj.get("max_quantity")
    max_q: int | None = None
    if max_value is not None:
        max_q = whole_number(max_value, "max_quantity", errors, low=min_q or 1, high=MAX_QUANTITY)
    errors.raise_if_any()
    assert licence_type is not None and period is not None  # noqa: S101
    assert price is not None and min_q is not None and isinstance(subsidy, bool)  # noqa: S101
    return OfferInput(
        licence_type=LicenceType(licence_type),
        period=Period(period),
        price_ore=price,
        subsidy_eligible=subsidy,
        min_quantity=min_q,
        max_quantity=max_q,
        vat_percent=VAT_PERCENT,
    )


def listing_data(listing: Listing) -> dict[str, object]:
    """The JSON form of a listing, as ``validate_product`` reads it."""
    return {
        "title": listing.title,
        "description": listing.description,
        "subjects": list(listing.subjects),
        "grades": list(listing.grades),
        "languages": list(listing.languages),
        "media_types": list(listing.media_types),
        "platforms": list(listing.platforms),
        "accessibility": list(listing.accessibility),
        "accessibility_statement_url": listing.accessibility_statement_url,
        "offline": str(listing.offline),
        "trial_days": listing.trial_days,
        "launch": {
            "kind": str(listing.launch.kind),
            "url": listing.launch.url,
            "target": str(listing.launch.target),
        },
        "data_processing_agreement_url": listing.data_processing_agreement_url,
        "screenshots": [
            {
                "sha256": shot.sha256,
                "media_type": shot.media_type,
                "width": shot.width,
                "height": shot.height,
                "alt_text": shot.alt_text,
            }
            for shot in listing.screenshots
        ],
        "goal_ids": [str(goal_id) for goal_id in listing.goal_ids],
    }


def offer_data(terms: OfferInput) -> dict[str, object]:
    """The JSON form of offer terms, as ``validate_offer`` reads it."""
    return {
        "licence_type": str(terms.licence_type),
        "period": str(terms.period),
        "price_ore": terms.price_ore,
        "vat_percent": terms.vat_percent,
        "subsidy_eligible": terms.subsidy_eligible,
        "min_quantity": terms.min_quantity,
        "max_quantity": terms.max_quantity,
    }
