"""HTTP API for the catalogue: listings, the review workflow, offers, images, reviews,
municipalities' allow/block rules and the bulk import.

Each view parses, calls one operation (which loads the object and asks ``server.policy``),
and serialises. Listing, offer and review bodies are read as JSON here and checked by the
catalogue domain *after* authorization, so an object of another tenant answers 404 whatever
the body says. ``GET /products/{id}``, ``GET /assets/…`` need no token for published
products; everything else needs a bearer token (``auth_required``: 401 first). Publisher
integrations use their client-credentials token for their own publisher.

Domain errors are mapped to HTTP in one place, ``catalogue_error`` (see catalogue/errors.py).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any, TypeVar

from apiflask import APIBlueprint, APIFlask
from apiflask.schemas import FileSchema
from flask import Response, current_app, request, send_file

from catalogue.errors import (
    ActionNotPermitted,
    CatalogueError,
    CatalogueValidationError,
    ImageRejected,
    ImageTooLarge,
    TransitionRefused,
)
from catalogue.images import MAX_IMAGE_BYTES
from catalogue.model import Action
from catalogue.money import format_dkk
from catalogue.validation import listing_data
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
from server.catalogue import operations as ops
from server.catalogue import queries
from server.catalogue.assets import THUMBNAIL_TYPE, AssetStore
from server.catalogue.importer import MAX_IMPORT_BYTES, ImportRejected, import_for_publisher
from server.catalogue.models import AssetRow, OfferRow, ProductRevisionRow, ReviewRow, utc
from server.catalogue.schemas import (
    AssetOut,
    CatalogueRulesIn,
    CatalogueRulesOut,
    HistoryOut,
    ImportQuery,
    ImportReportOut,
    ModerationIn,
    OfferDetail,
    OfferIn,
    ProductIn,
    ProductOut,
    ReasonIn,
    ReviewDetail,
    ReviewIn,
)
from server.errors import ApiError, NotFound, Unprocessable
from server.extensions import db
from server.identity.current import current_principal, require_principal
from server.oauth.resource import BEARER_SCHEME, auth_required
from server.policy import Forbidden

bp = APIBlueprint("catalogue", __name__, url_prefix="/api/v1", tag="Catalogue")

ASSET_CACHE = "public, max-age=31536000, immutable"
#: multipart overhead allowed on top of the image itself
MULTIPART_SLACK = 64 * 1024
WORKFLOW = [401, 403, 404, 409, 422]
F = TypeVar("F", bound=Callable[..., Any])


# -- domain errors → HTTP, in one place -----------------------------------------------------


class CatalogueApiError(ApiError):
    def __init__(self, status: int, message: str, *, code: str, details: Any) -> None:
        self.status_code = status
        super().__init__(message, code=code, details=details)


def catalogue_error(error: CatalogueError) -> ApiError:
    """The HTTP answer of a catalogue domain error (the table in catalogue/errors.py)."""
    if isinstance(error, ImageTooLarge):
        return CatalogueApiError(
            413, "Billedet er for stort.", code="image_too_large", details={"files": error.errors}
        )
    if isinstance(error, ImageRejected):
        return CatalogueApiError(
            422,
            "Filen er ikke et billede, vi kan bruge.",
            code="image_rejected",
            details={"files": error.errors},
        )
    if isinstance(error, CatalogueValidationError):
        return CatalogueApiError(
            422,
            "Indholdet er ikke gyldigt; se details for hvert felt.",
            code="validation_error",
            details={"json": error.errors},
        )
    if isinstance(error, TransitionRefused):
        return CatalogueApiError(
            409,
            f"Det kan ikke lade sig gøre nu: {error.message}",
            code="transition_refused",
            details={"field": error.field} if error.field else {},
        )
    if isinstance(error, ActionNotPermitted):
        return Forbidden(f"Din rolle tillader det ikke: {error.message}")
    field = error.field or "$"
    return CatalogueApiError(
        422,
        "Indholdet er ikke gyldigt; se details.",
        code="validation_error",
        details={"json": {field: [error.message]}},
    )


# -- input ----------------------------------------------------------------------------------


def _json_body() -> object:
    """The request body as JSON (checked by the domain after authorization)."""
    data = request.get_data(cache=True)
    if not data:
        return {}
    parsed = request.get_json(silent=True, force=True)
    if parsed is None:
        raise Unprocessable(
            "Indholdet skal være JSON.", details={"json": {"$": ["the body is not JSON"]}}
        )
    return parsed


def _body(schema: Any, content_type: str = "application/json") -> Callable[[F], F]:
    """Document a body the view reads itself (after authorization)."""

    def decorate(view: F) -> F:
        spec = dict(getattr(view, "_spec", {}))
        spec["body"] = schema
        spec["content_type"] = [content_type]
        view._spec = spec  # type: ignore[attr-defined]  # APIFlask reads its annotations here
        return view

    return decorate


def _reason() -> str | None:
    body = _json_body()
    if not isinstance(body, dict):
        raise Unprocessable(
            "Indholdet skal være et JSON-objekt.",
            details={"json": {"$": ["must be a JSON object"]}},
        )
    unknown = sorted(set(body) - {"reason"})
    if unknown:
        raise Unprocessable(
            "Ukendte felter.", details={"json": {key: ["unknown field"] for key in unknown}}
        )
    reason = body.get("reason")
    if reason is not None and not isinstance(reason, str):
        raise Unprocessable(
            "Begrundelsen skal være tekst.", details={"json": {"reason": ["must be a string"]}}
        )
    return reason


# -- serialisation --------------------------------------------------------------------------


def asset_url(sha256: str) -> str:
    return f"/api/v1/assets/{sha256}"


def offer_json(offer: OfferRow) -> dict[str, Any]:
    terms = queries.offer_from_row(offer)
    return {
        "id": offer.id,
        "product_id": offer.product_id,
        "licence_type": offer.licence_type,
        "licence_type_label": LICENCE_TYPES.label(offer.licence_type),
        "period": offer.period,
        "period_label": PERIODS.label(offer.period),
        "price_ore": terms.price_ore,
        "vat_percent": terms.vat_percent,
        "vat_ore": terms.vat_ore,
        "gross_ore": terms.gross_ore,
        "price_text": format_dkk(terms.price_ore),
        "gross_text": format_dkk(terms.gross_ore),
        "subsidy_eligible": offer.subsidy_eligible,
        "min_quantity": offer.min_quantity,
        "max_quantity": offer.max_quantity,
        "active": offer.active,
    }


def review_json(review: ReviewRow) -> dict[str, Any]:
    worked_for = (
        {"goal_id": review.goal_id, "grade": review.grade}
        if review.goal_id is not None and review.grade is not None
        else None
    )
    return {
        "id": review.id,
        "product_id": review.product_id,
        "rating": review.rating,
        "text": review.text,
        "worked_for": worked_for,
        "status": review.status,
        "moderation_reason": review.reason,
        "created_at": utc(review.created_at),
    }


def revision_json(revision: ProductRevisionRow | None) -> dict[str, Any] | None:
    if revision is None:
        return None
    return {
        "version": revision.version,
        "base_version": revision.base_version,
        "status": revision.status,
        "rejection_reason": revision.rejection_reason,
        "listing": revision.listing,
        "updated_at": utc(revision.updated_at),
    }


def product_json(view: ops.ProductView) -> dict[str, Any]:
    row, listing = view.row, view.product.listing
    rating = view.rating
    mean = rating.mean_1dp
    return {
        "id": row.id,
        "publisher": {"id": view.publisher.id, "name": view.publisher.name},
        "external_id": row.external_id if view.manager else None,
        "status": row.status,
        "version": row.version,
        "published_at": utc(row.published_at),
        "created_at": utc(row.created_at),
        "updated_at": utc(row.updated_at),
        "rejection_reason": row.rejection_reason if view.manager else None,
        "listing": listing_data(listing),
        "labels": {
            "subjects": [SUBJECTS.label(code) for code in listing.subjects],
            "languages": [LANGUAGES.label(code) for code in listing.languages],
            "media_types": [MEDIA_TYPES.label(code) for code in listing.media_types],
            "platforms": [PLATFORMS.label(code) for code in listing.platforms],
            "accessibility": [ACCESSIBILITY_FEATURES.label(code) for code in listing.accessibility],
            "offline": OFFLINE_CAPABILITIES.label(str(listing.offline)),
        },
        "goals": [
            {
                "id": goal.id,
                "framework_id": goal.framework_id,
                "human_code": goal.human_code,
                "full_statement": goal.full_statement,
                "kind": goal.kind,
            }
            for goal in view.goals
        ],
        "screenshots": [
            {
                "sha256": shot.sha256,
                "media_type": shot.media_type,
                "width": shot.width,
                "height": shot.height,
                "alt_text": shot.alt_text,
                "url": asset_url(shot.sha256),
                "thumbnail_url": f"{asset_url(shot.sha256)}/thumbnail",
            }
            for shot in listing.screenshots
        ],
        "offers": [offer_json(offer) for offer in view.offers],
        "rating": {
            "count": rating.count,
            "mean": None if mean is None else str(mean),
            "display": rating.display(),
            "histogram": list(rating.histogram),
        },
        "reviews": [review_json(review) for review in view.reviews],
        "pending_revision": revision_json(view.revision),
    }


def _product_answer(product_id: uuid.UUID, status: int = 200) -> tuple[dict[str, Any], int]:
    view = ops.get_product(db.session(), current_principal(), product_id)
    return product_json(view), status


def asset_json(asset: AssetRow) -> dict[str, Any]:
    return {
        "sha256": asset.sha256,
        "media_type": asset.media_type,
        "width": asset.width,
        "height": asset.height,
        "size_bytes": asset.size_bytes,
        "url": asset_url(asset.sha256),
        "thumbnail_url": f"{asset_url(asset.sha256)}/thumbnail",
        "screenshot": {
            "sha256": asset.sha256,
            "media_type": asset.media_type,
            "width": asset.width,
            "height": asset.height,
            "alt_text": "",
        },
    }


# -- products -------------------------------------------------------------------------------


@bp.get("/products/<uuid:product_id>")
@bp.output(ProductOut)
@bp.doc(security=[{}, {BEARER_SCHEME: []}], responses=[401, 403, 404])
def get_product(product_id: uuid.UUID) -> Any:
    """One product

    **A published product needs no token.** A draft, a product in review and a withdrawn one
    only for its publisher and platform admins (others: 404). Offers carry VAT and the gross
    price in whole øre and as Danish text; the rating counts approved reviews only. While
    an edit of a published product is in review, this shows the published listing and, to
    its publisher, `pending_revision`.
    """
    view = ops.get_product(db.session(), current_principal(), product_id)
    response = current_app.make_response(product_json(view))
    response.headers["Vary"] = "Authorization"
    public = not view.manager and view.row.status == "published"
    response.headers["Cache-Control"] = "public, max-age=60" if public else "private, no-store"
    return response


@bp.post("/publishers/<uuid:publisher_id>/products")
@auth_required
@_body(ProductIn)
@bp.output(ProductOut, status_code=201)
@bp.doc(responses=[401, 403, 404, 422])
def create_product(publisher_id: uuid.UUID) -> Any:
    """Create a product (a draft)

    For the publisher's admins, its integration (client-credentials token) and platform
    admins. Every field is checked at once: unknown goal ids, HTML in text, unknown codes
    are refused with 422 and `details.json` naming each field.
    """
    principal = require_principal()
    session = db.session()
    row = ops.create_product(session, principal, publisher_id, _json_body())
    return _product_answer(row.id, 201)


@bp.put("/products/<uuid:product_id>")
@auth_required
@_body(ProductIn)
@bp.output(ProductOut)
@bp.doc(responses=[401, 403, 404, 409, 422])
def update_product(product_id: uuid.UUID) -> Any:
    """Edit a product's listing

    The whole listing (as `listing` in the answer of GET). A draft or rejected product
    changes in place. A published product stays as it is: the edit becomes its
    `pending_revision`, which is submitted, approved and published like a product. 409 while
    the product (or its revision) is in review, approved or withdrawn.
    """
    ops.update_product(db.session(), require_principal(), product_id, _json_body())
    return _product_answer(product_id)


def _workflow(product_id: uuid.UUID, action: Action, reason: str | None = None) -> Any:
    ops.act_on_product(db.session(), require_principal(), product_id, action, reason=reason)
    return _product_answer(product_id)


@bp.post("/products/<uuid:product_id>/submit")
@auth_required
@bp.output(ProductOut)
@bp.doc(responses=WORKFLOW)
def submit_product(product_id: uuid.UUID) -> Any:
    """Submit for review (publisher)

    A draft or rejected product, or the pending revision of a published one.
    """
    return _workflow(product_id, Action.SUBMIT)


@bp.post("/products/<uuid:product_id>/approve")
@auth_required
@bp.output(ProductOut)
@bp.doc(responses=WORKFLOW)
def approve_product(product_id: uuid.UUID) -> Any:
    """Approve (platform admin)"""
    return _workflow(product_id, Action.APPROVE)


@bp.post("/products/<uuid:product_id>/reject")
@auth_required
@_body(ReasonIn)
@bp.output(ProductOut)
@bp.doc(responses=WORKFLOW)
def reject_product(product_id: uuid.UUID) -> Any:
    """Reject with a reason (platform admin)

    `reason` is required and shown to the publisher, who may edit and submit again.
    """
    principal = require_principal()
    ops.act_on_product(db.session(), principal, product_id, Action.REJECT, reason=_reason())
    return _product_answer(product_id)


@bp.post("/products/<uuid:product_id>/publish")
@auth_required
@bp.output(ProductOut)
@bp.doc(responses=WORKFLOW)
def publish_product(product_id: uuid.UUID) -> Any:
    """Publish (platform admin)

    An approved product becomes listed and searchable; an approved revision replaces the
    published listing (the version goes up).
    """
    return _workflow(product_id, Action.PUBLISH)


@bp.post("/products/<uuid:product_id>/withdraw")
@auth_required
@_body(ReasonIn)
@bp.output(ProductOut)
@bp.doc(responses=WORKFLOW)
def withdraw_product(product_id: uuid.UUID) -> Any:
    """Withdraw from the catalogue (publisher)

    Final: a withdrawn product is not listed again (create a new product instead).
    """
    principal = require_principal()
    ops.act_on_product(db.session(), principal, product_id, Action.WITHDRAW, reason=_reason())
    return _product_answer(product_id)


@bp.get("/products/<uuid:product_id>/history")
@auth_required
@bp.output(HistoryOut)
@bp.doc(responses=[401, 403, 404])
def product_history(product_id: uuid.UUID) -> Any:
    """The product's review history

    Every status change of the product and of its revisions (`version`), oldest first,
    with who did it, in which role, and the reason of a rejection.
    """
    rows = ops.product_history(db.session(), require_principal(), product_id)
    return {
        "product_id": product_id,
        "items": [
            {
                "version": r.version,
                "action": r.action,
                "from_status": r.from_status,
                "to_status": r.to_status,
                "actor_role": r.actor_role,
                "actor_user_id": r.actor_user_id,
                "actor_client_id": r.actor_client_id,
                "reason": r.reason,
                "at": utc(r.at),
            }
            for r in rows
        ],
    }


# -- offers ---------------------------------------------------------------------------------


@bp.post("/products/<uuid:product_id>/offers")
@auth_required
@_body(OfferIn)
@bp.output(OfferDetail, status_code=201)
@bp.doc(responses=[401, 403, 404, 409, 422])
def add_offer(product_id: uuid.UUID) -> Any:
    """Add an offer

    Licence type × period at a price in whole øre excluding VAT (`14950` is 149,50 kr.;
    decimals, strings with separators and floats are refused). VAT is 25 %.
    """
    return offer_json(ops.add_offer(db.session(), require_principal(), product_id, _json_body()))


@bp.put("/offers/<uuid:offer_id>")
@auth_required
@_body(OfferIn)
@bp.output(OfferDetail)
@bp.doc(responses=[401, 403, 404, 409, 422])
def update_offer(offer_id: uuid.UUID) -> Any:
    """Change or deactivate an offer

    The offer's terms in full; `"active": false` takes it off sale.
    """
    return offer_json(ops.update_offer(db.session(), require_principal(), offer_id, _json_body()))


# -- assets ---------------------------------------------------------------------------------

UPLOAD_BODY = {
    "type": "object",
    "required": ["file"],
    "properties": {
        "file": {
            "type": "string",
            "format": "binary",
            "description": "PNG, JPEG or WebP, at most 5 MiB and 4000 px per side",
        }
    },
}


def _upload() -> tuple[bytes, str]:
    limit = MAX_IMAGE_BYTES + MULTIPART_SLACK
    if request.content_length is not None and request.content_length > limit:
        raise ops.PayloadTooLarge("Billedet må højst fylde 5 MiB.", code="image_too_large")
    request.max_content_length = limit
    upload = request.files.get("file") if request.mimetype == "multipart/form-data" else None
    if upload is None:
        raise Unprocessable(
            "Send billedet som feltet 'file' i en multipart-formular.",
            details={"files": {"file": ["Missing data for required field."]}},
        )
    data = upload.stream.read(MAX_IMAGE_BYTES + 1)
    return data, upload.mimetype or "application/octet-stream"


@bp.post("/products/<uuid:product_id>/assets")
@auth_required
@_body(UPLOAD_BODY, "multipart/form-data")
@bp.output(AssetOut, status_code=201, description="Stored (200: the same image was stored)")
@bp.doc(responses=[200, 401, 403, 404, 409, 413, 422])
def upload_asset(product_id: uuid.UUID) -> Any:
    """Upload a screenshot or preview image

    Checked by its content (the file's declared type must match what the bytes are),
    measured and stored by the SHA-256 of its bytes, with a thumbnail. Uploading the same
    image again stores nothing new (200). Put the answer's `screenshot` into the listing's
    `screenshots` to show it.
    """
    upload = ops.upload_asset(
        db.session(),
        require_principal(),
        product_id,
        _upload,
        store=AssetStore.for_app(current_app),
    )
    return asset_json(upload.asset), 201 if upload.created else 200


def _asset_file(sha256: str, thumbnail: bool) -> Response:
    asset = ops.get_asset(db.session(), sha256)
    store = AssetStore.for_app(current_app)
    path = store.thumbnail_path(asset.sha256) if thumbnail else store.path(asset.sha256)
    if not path.is_file():
        raise NotFound("Billedfilen mangler.", code="asset_not_found")
    response = send_file(
        path,
        mimetype=THUMBNAIL_TYPE if thumbnail else asset.media_type,
        conditional=True,
        etag=f"{asset.sha256}{'-thumb' if thumbnail else ''}",
        max_age=31536000,
    )
    response.headers["Cache-Control"] = ASSET_CACHE
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.get("/assets/<content_hash>")
@bp.output(FileSchema(), content_type="image/png", description="The image as uploaded")
@bp.doc(security=[], responses=[304, 404])
def get_asset(content_hash: str) -> Response:
    """An uploaded image (public, cached forever: the address is its content hash)

    `content_hash` is the SHA-256 of the image's bytes (64 hex digits).
    """
    return _asset_file(content_hash, thumbnail=False)


@bp.get("/assets/<content_hash>/thumbnail")
@bp.output(FileSchema(), content_type="image/webp", description="At most 400 px per side")
@bp.doc(security=[], responses=[304, 404])
def get_asset_thumbnail(content_hash: str) -> Response:
    """An uploaded image's thumbnail (WebP; public, cached forever)"""
    return _asset_file(content_hash, thumbnail=True)


# -- reviews --------------------------------------------------------------------------------


@bp.post("/products/<uuid:product_id>/reviews")
@auth_required
@_body(ReviewIn)
@bp.output(ReviewDetail, status_code=201)
@bp.doc(responses=[401, 403, 404, 409, 422])
def create_review(product_id: uuid.UUID) -> Any:
    """Review a product (teachers)

    Rating 1–5, plain text, optionally "worked for goal X in grade Y". One review per
    teacher and product (409 for a second). It is shown and counted once a moderator has
    approved it.
    """
    review = ops.create_review(db.session(), require_principal(), product_id, _json_body())
    return review_json(review)


@bp.post("/reviews/<uuid:review_id>/moderate")
@auth_required
@bp.input(ModerationIn, arg_name="body")
@bp.output(ReviewDetail)
@bp.doc(responses=[401, 403, 404, 409, 422])
def moderate_review(review_id: uuid.UUID, body: dict[str, Any]) -> Any:
    """Approve or reject a review (platform admin)

    A rejection needs a reason (for the author). A decided review is not moderated again.
    """
    review = ops.moderate_review(
        db.session(), require_principal(), review_id, body["decision"], body.get("reason")
    )
    return review_json(review)


# -- municipalities' allow/block rules ------------------------------------------------------


def rules_json(result: tuple[Any, list[Any]]) -> dict[str, Any]:
    municipality, rules = result
    out: dict[str, Any] = {
        "municipality_code": municipality.code,
        "municipality_name": municipality.name,
    }
    for name in ops.RULE_FIELDS:
        kind = "allow" if name.startswith("allowed") else "block"
        attribute = "product_id" if "_product_" in name else "publisher_id"
        out[name] = [
            getattr(rule, attribute)
            for rule in rules
            if rule.kind == kind and getattr(rule, attribute) is not None
        ]
    return out


@bp.get("/municipalities/<code>/catalogue-rules")
@auth_required
@bp.output(CatalogueRulesOut)
@bp.doc(responses=[401, 403, 404])
def get_catalogue_rules(code: str) -> Any:
    """The municipality's allow and block lists

    Applied to every search of the municipality's users. For its buyers and platform admins.
    """
    return rules_json(ops.get_catalogue_rules(db.session(), require_principal(), code))


@bp.put("/municipalities/<code>/catalogue-rules")
@auth_required
@bp.input(CatalogueRulesIn, arg_name="body")
@bp.output(CatalogueRulesOut)
@bp.doc(responses=[401, 403, 404, 422])
def set_catalogue_rules(code: str, body: dict[str, Any]) -> Any:
    """Replace the municipality's allow and block lists

    With any allow list, only allowed products (by id or publisher) are found; a block
    always wins. Empty lists everywhere: the whole catalogue. Unknown ids: 422.
    """
    return rules_json(ops.set_catalogue_rules(db.session(), require_principal(), code, body))


# -- bulk import ----------------------------------------------------------------------------

IMPORT_BODY = {
    "type": "string",
    "description": "JSON Lines: one product per line (see the description), at most 20 MB",
}


def _import_body() -> bytes:
    too_large = ops.PayloadTooLarge("En importfil må højst fylde 20 MB.")
    if request.content_length is not None and request.content_length > MAX_IMPORT_BYTES:
        raise too_large
    data = request.stream.read(MAX_IMPORT_BYTES + 1)
    if len(data) > MAX_IMPORT_BYTES:
        raise too_large
    return data


@bp.post("/publishers/<uuid:publisher_id>/catalogue-import")
@auth_required
@_body(IMPORT_BODY, "text/plain")
@bp.input(ImportQuery, location="query", arg_name="query")
@bp.output(ImportReportOut)
@bp.doc(responses=[401, 403, 404, 413, 422])
def import_products(publisher_id: uuid.UUID, query: dict[str, Any]) -> Any:
    """Import products (JSON Lines)

    **All or nothing:** every line is checked, and if any line is bad (not JSON, an unknown
    goal id, a price that is not whole øre, HTML in text, …) **nothing is stored** and the
    answer is 422 with `details.errors`: one entry per line and field. Otherwise all lines
    are applied in one transaction. A line is a listing's fields plus `external_id` (the
    publisher's key: importing again updates that product in place, no duplicates) and
    optionally `offers` (they replace the active offers). A publisher's import makes
    drafts (an edit of a published product becomes a revision for review); only a platform
    admin may import `"status": "published"`. Example line:
    `{"external_id": "brok-1", "title": "Brøkbanden", "description": "…", "subjects":
    ["matematik"], "grades": [4, 5], "languages": ["da"], "media_types": ["interactive"],
    "platforms": ["web"], "launch": {"kind": "lti", "url": "https://…"},
    "data_processing_agreement_url": "https://…", "goal_ids": ["…"], "offers":
    [{"licence_type": "class", "period": "school_year", "price_ore": 49900}]}`.
    `dry_run=true` checks and reports without storing. The body is UTF-8 text (sent as
    `text/plain` or `application/x-ndjson`).
    """
    try:
        report = import_for_publisher(
            db.session(), require_principal(), publisher_id, _import_body, dry_run=query["dry_run"]
        )
    except ImportRejected as rejected:
        problems = rejected.report.problems
        raise Unprocessable(
            f"Filen har {len(problems)} fejl; intet er importeret.",
            code="import_invalid",
            details={
                "errors": [
                    {"line": p.line, "field": p.field, "message": p.message} for p in problems
                ]
            },
        ) from None
    return {
        "dry_run": report.dry_run,
        "applied": report.applied,
        "summary": {k: report.count(k) for k in ("created", "updated", "unchanged")},
        "lines": [
            {
                "line": line.line,
                "external_id": line.external_id,
                "product_id": line.product_id,
                "outcome": line.outcome,
                "status": line.status,
                "pending_revision": line.pending_revision,
            }
            for line in report.lines
        ],
    }


# -- registration ---------------------------------------------------------------------------


def init_app(app: APIFlask) -> None:
    """Register the catalogue endpoints and the mapping of the catalogue's domain errors."""
    app.register_blueprint(bp)

    @app.errorhandler(CatalogueError)
    def _catalogue_error(error: CatalogueError) -> Any:
        return app.error_callback(catalogue_error(error))
