"""HTTP API for organisations: schools, classes, rosters, badges, users, publishers, audit.

Every view parses its input, calls one operation (which asks ``server.policy`` whether the
caller may act on the object) and serialises the answer. Only ``GET /municipalities`` is
public; everything else needs a bearer token (``auth_required``: 401 before anything else).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from apiflask import APIBlueprint, APIFlask
from apiflask.schemas import FileSchema
from flask import Response, request

from server.errors import Unprocessable
from server.extensions import db
from server.identity import badge_sheet
from server.identity.current import require_principal
from server.oauth.resource import auth_required
from server.organisations import operations as ops
from server.organisations.roster import MAX_BYTES
from server.organisations.schemas import (
    AuditPageOut,
    AuditQuery,
    BadgeBatchOut,
    BadgeDetail,
    BadgesIn,
    ClassDetail,
    ClassList,
    ClassQuery,
    MeOut,
    MunicipalityList,
    PublisherIn,
    PublisherOut,
    RoleChangesOut,
    RolesIn,
    RolloverIn,
    RolloverOut,
    RosterQuery,
    RosterReportOut,
    SchoolIn,
    SchoolList,
    SchoolOut,
    UserDetail,
)

bp = APIBlueprint("organisations", __name__, url_prefix="/api/v1", tag="Organisations")

READ = [401, 403, 404]
SHEET_NOTE = (
    "Every call prints a fresh sheet: each active pupil of the class gets a new badge and"
    " their earlier badges stop working (codes are kept only as hashes, so an old sheet"
    " cannot be printed again). A lost or old sheet is harmless once a new one is printed."
)


# -- serialisation --------------------------------------------------------------------------


def role_json(view: ops.RoleView) -> dict[str, Any]:
    m = view.membership
    return {
        "role": m.role,
        "municipality_code": view.municipality.code if view.municipality else None,
        "municipality_name": view.municipality.name if view.municipality else None,
        "school_id": m.school_id,
        "school_name": view.school.name if view.school else None,
        "class_id": m.class_id,
        "class_name": view.school_class.name if view.school_class else None,
        "publisher_id": m.publisher_id,
        "publisher_name": view.publisher.name if view.publisher else None,
    }


def user_json(view: ops.UserView) -> dict[str, Any]:
    user = view.user
    return {
        "id": user.id,
        "display_name": user.display_name,
        "email": user.email,
        "username": user.username,
        "active": user.active,
        "roles": [role_json(r) for r in view.roles],
    }


def school_json(view: ops.SchoolView) -> dict[str, Any]:
    school = view.school
    return {
        "id": school.id,
        "institution_number": school.institution_number,
        "name": school.name,
        "municipality_code": school.municipality_code,
        "municipality_name": view.municipality.name,
        "school_year": school.school_year,
        "active_classes": view.active_classes,
    }


def class_json(view: ops.ClassView) -> dict[str, Any]:
    row = view.school_class
    return {
        "id": row.id,
        "school_id": row.school_id,
        "name": row.name,
        "grade": row.grade,
        "school_year": row.school_year,
        "active": row.active,
        "pupil_count": view.pupil_count,
    }


def badge_json(badge: Any) -> dict[str, Any]:
    return {
        "id": badge.id,
        "user_id": badge.user_id,
        "issued_at": badge.issued_at,
        "issued_by": badge.issued_by,
        "revoked_at": badge.revoked_at,
    }


def batch_json(batch: ops.BadgeBatch) -> dict[str, Any]:
    return {
        "class_id": batch.school_class.id if batch.school_class else None,
        "class_name": batch.school_class.name if batch.school_class else None,
        "school_id": batch.school.id,
        "school_name": batch.school.name,
        "issued": [
            {
                "badge": badge_json(item.badge),
                "code": item.code,
                "pupil": {"id": item.pupil.id, "display_name": item.pupil.display_name},
            }
            for item in batch.issued
        ],
    }


def publisher_json(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "name": row.name,
        "cvr": row.cvr,
        "contact_email": row.contact_email,
        "dpa_url": row.dpa_url,
    }


def spec_json(spec: ops.RoleSpec) -> dict[str, Any]:
    return {
        "role": spec.role,
        "municipality_code": spec.municipality_code,
        "school_id": spec.school_id,
        "class_id": spec.class_id,
        "publisher_id": spec.publisher_id,
    }


# -- who am I, municipalities, schools ------------------------------------------------------


@bp.get("/me")
@auth_required
@bp.output(MeOut)
@bp.doc(responses=[401])
def me() -> dict[str, Any]:
    """The caller

    The signed-in user with each active role and its tenant (school, class, municipality,
    publisher). For an integration's client-credentials token `user` is null.
    """
    view = ops.get_me(db.session(), require_principal())
    return {
        "user": user_json(view.user) if view.user else None,
        "client_id": view.principal.client_id,
        "publisher_id": view.principal.client_publisher_id,
        "method": view.principal.method,
        "scopes": sorted(view.principal.scopes),
    }


@bp.get("/municipalities")
@bp.output(MunicipalityList)
@bp.doc(security=[])
def list_municipalities() -> dict[str, Any]:
    """The 98 municipalities (public: no sign-in)

    **Public reference data, no token needed.** Kommunekode, name and region of every Danish
    municipality.
    """
    rows = ops.list_municipalities(db.session())
    return {"items": [{"code": r.code, "name": r.name, "region": r.region} for r in rows]}


@bp.get("/municipalities/<code>/schools")
@auth_required
@bp.output(SchoolList)
@bp.doc(responses=READ)
def list_municipality_schools(code: str) -> dict[str, Any]:
    """The schools of a municipality

    For a platform admin and the municipality's buyers.
    """
    municipality, schools = ops.list_municipality_schools(db.session(), require_principal(), code)
    return {
        "municipality": {
            "code": municipality.code,
            "name": municipality.name,
            "region": municipality.region,
        },
        "items": [school_json(s) for s in schools],
    }


@bp.post("/schools")
@auth_required
@bp.input(SchoolIn, arg_name="body")
@bp.output(SchoolOut, status_code=201)
@bp.doc(responses=[401, 403, 409])
def create_school(body: dict[str, Any]) -> dict[str, Any]:
    """Add a school

    For a platform admin or a buyer of the school's municipality. The institution number
    (6 digits) is unique: a second school with it is refused with 409.
    """
    return school_json(ops.create_school(db.session(), require_principal(), **body))


@bp.get("/schools/<uuid:school_id>")
@auth_required
@bp.output(SchoolOut)
@bp.doc(responses=READ)
def get_school(school_id: uuid.UUID) -> dict[str, Any]:
    """One school"""
    return school_json(ops.get_school(db.session(), require_principal(), school_id))


@bp.get("/schools/<uuid:school_id>/classes")
@auth_required
@bp.input(ClassQuery, location="query", arg_name="query")
@bp.output(ClassList)
@bp.doc(responses=READ)
def list_classes(school_id: uuid.UUID, query: dict[str, Any]) -> dict[str, Any]:
    """The classes of a school

    The current school year's active classes unless asked otherwise. For the school's staff,
    its municipality's buyers and platform admins.
    """
    school, classes = ops.list_classes(db.session(), require_principal(), school_id, **query)
    return {
        "school_id": school.id,
        "school_year": query.get("school_year") or school.school_year,
        "items": [class_json(c) for c in classes],
    }


@bp.get("/classes/<uuid:class_id>")
@auth_required
@bp.output(ClassDetail)
@bp.doc(responses=READ)
def get_class(class_id: uuid.UUID) -> dict[str, Any]:
    """One class

    The pupils' display names are included for the school's teachers and leaders only;
    others see the count.
    """
    view = ops.get_class(db.session(), require_principal(), class_id)
    return {
        **class_json(view),
        "school": {"id": view.school.id, "name": view.school.name},
        "pupils": None
        if view.pupils is None
        else [{"id": pid, "display_name": name} for pid, name in view.pupils],
    }


# -- roster and rollover --------------------------------------------------------------------


def _roster_upload() -> bytes:
    """The CSV: a multipart ``file`` field, or the raw body (``text/csv``). At most 2 MB."""
    limit = MAX_BYTES
    if request.content_length is not None and request.content_length > limit + 64 * 1024:
        raise ops.PayloadTooLarge(f"A roster file may be at most {limit // (1024 * 1024)} MB.")
    if request.mimetype == "multipart/form-data":
        upload = request.files.get("file")
        if upload is None:
            raise Unprocessable(
                "Send the CSV as the form field 'file', or as the body with Content-Type text/csv.",
                details={"files": {"file": ["Missing data for required field."]}},
            )
        data = upload.stream.read(limit + 1)
    else:
        data = request.stream.read(limit + 1)
    if len(data) > limit:
        raise ops.PayloadTooLarge(f"A roster file may be at most {limit // (1024 * 1024)} MB.")
    return data


def _csv_body(view: Any) -> Any:
    """Document the body a view reads itself: the CSV as ``text/csv``."""
    spec = dict(getattr(view, "_spec", {}))
    spec["body"] = {"type": "string", "description": "The roster CSV, at most 2 MB"}
    spec["content_type"] = ["text/csv"]
    view._spec = spec
    return view


@bp.post("/schools/<uuid:school_id>/roster")
@auth_required
@_csv_body
@bp.input(RosterQuery, location="query", arg_name="query")
@bp.output(RosterReportOut)
@bp.doc(responses=[401, 403, 404, 409, 413, 422])
def import_roster(school_id: uuid.UUID, query: dict[str, Any]) -> dict[str, Any]:
    """Import the school's roster (CSV)

    Columns `type;class;grade;name;external_id;email` (`;`, `,` or tab; UTF-8 with or
    without BOM). `type` is klasse/elev/lærer (or class/pupil/teacher); `class` like `4.B`;
    `external_id` is the school system's id of a person; `email` only for teachers.
    Every row is checked; the whole file applies in one transaction or nothing does. With
    any bad row the answer is 422 with `details.errors`: one entry per row and field.
    Importing the same file again changes nothing. Anything shaped like a CPR number
    rejects its row. `dry_run=true` checks and reports without writing. Send the CSV as
    the body (`Content-Type: text/csv`) or as the field `file` of a multipart form; at most
    2 MB (413 beyond).
    """
    principal = require_principal()
    data = _roster_upload()
    report = ops.import_roster(db.session(), principal, school_id, data, dry_run=query["dry_run"])
    return {
        "school_id": report.school.id,
        "school_year": report.school_year,
        "dry_run": report.dry_run,
        "applied": not report.dry_run and report.changed,
        "unchanged": not report.changed,
        "summary": {k: report.count(k) for k in ("created", "updated", "unchanged")},
        "rows": [
            {
                "row": r.row,
                "type": r.type,
                "key": r.key,
                "outcome": r.outcome,
                "changes": list(r.changes),
            }
            for r in report.rows
        ],
        "warnings": [
            {"row": w.row, "field": w.field, "message": w.message} for w in report.warnings
        ],
    }


@bp.post("/schools/<uuid:school_id>/rollover")
@auth_required
@bp.input(RolloverIn, arg_name="body")
@bp.output(RolloverOut)
@bp.doc(responses=[401, 403, 404, 409])
def rollover(school_id: uuid.UUID, body: dict[str, Any]) -> dict[str, Any]:
    """Move the school into the next school year

    Each active class moves up a grade and is renamed (4.B → 5.B, same class id). Classes
    past the last grade (9, or 10 if the school has 10th grade) are deactivated with their
    pupils' memberships. Nothing is deleted. `from_school_year` must be the school's current
    year, or 409: running it twice for the same year moves nothing twice.
    """
    report = ops.rollover_school_year(db.session(), require_principal(), school_id, **body)
    return {
        "school_id": report.school.id,
        "from_school_year": report.from_year,
        "school_year": report.to_year,
        "last_grade": report.last_grade,
        "promoted": [
            {
                "class_id": p.class_id,
                "from_name": p.from_name,
                "to_name": p.to_name,
                "grade": p.grade,
            }
            for p in report.promoted
        ],
        "graduated": [
            {"class_id": g.class_id, "name": g.name, "pupils_deactivated": g.pupils_deactivated}
            for g in report.graduated
        ],
    }


# -- users and roles ------------------------------------------------------------------------


@bp.get("/users/<uuid:user_id>")
@auth_required
@bp.output(UserDetail)
@bp.doc(responses=READ)
def get_user(user_id: uuid.UUID) -> dict[str, Any]:
    """One person with their active roles

    For the person themself, the staff of a school they belong to, and platform admins.
    """
    return user_json(ops.get_user(db.session(), require_principal(), user_id))


@bp.put("/users/<uuid:user_id>/roles")
@auth_required
@bp.input(RolesIn, arg_name="body")
@bp.output(RoleChangesOut)
@bp.doc(responses=[401, 403, 404])
def set_roles(user_id: uuid.UUID, body: dict[str, Any]) -> dict[str, Any]:
    """Set a person's roles

    `roles` is the complete set of active roles after the change; roles left out are
    deactivated, new ones granted. Each change is audited (`role_changed`). A school leader
    manages school roles (pupil, teacher, school_leader) in their own school only; only a
    platform admin grants municipal, publisher or platform_admin roles.
    """
    specs = [
        ops.RoleSpec(
            role=r["role"],
            municipality_code=r.get("municipality_code"),
            school_id=r.get("school_id"),
            class_id=r.get("class_id"),
            publisher_id=r.get("publisher_id"),
        )
        for r in body["roles"]
    ]
    changes = ops.set_user_roles(db.session(), require_principal(), user_id, specs)
    return {
        "user": user_json(changes.user),
        "granted": [spec_json(s) for s in changes.granted],
        "revoked": [spec_json(s) for s in changes.revoked],
    }


# -- badges ---------------------------------------------------------------------------------


@bp.post("/classes/<uuid:class_id>/badges")
@auth_required
@bp.input(BadgesIn, arg_name="body")
@bp.output(BadgeBatchOut)
@bp.doc(responses=READ)
def issue_badges(class_id: uuid.UUID, body: dict[str, Any]) -> dict[str, Any]:
    """Issue QR badges for a class

    A badge for each active pupil who has none; with `reissue: true` a new badge for every
    pupil (their old ones stop working). The codes are in this answer only: we keep their
    hashes. To print, use `GET /classes/{class_id}/badges/sheet.pdf`.
    """
    batch = ops.issue_class_badges(
        db.session(), require_principal(), class_id, reissue=body["reissue"]
    )
    return batch_json(batch)


def _sheet(class_id: uuid.UUID, kind: str) -> Response:
    batch = ops.issue_class_badges(
        db.session(), require_principal(), class_id, reissue=True, require_pupils=True
    )
    school_class = batch.school_class
    if school_class is None:  # issue_class_badges always names its class
        raise RuntimeError("a class batch without its class")
    names = badge_sheet.first_names([item.pupil.display_name for item in batch.issued])
    cards = [
        badge_sheet.BadgeCard(item.code, first, school_class.name, batch.school.name)
        for item, first in zip(batch.issued, names, strict=True)
    ]
    title = f"QR-login · {school_class.name} · {batch.school.name}"
    issued_on = datetime.now(UTC).date()
    if kind == "pdf":
        body, mimetype = (
            badge_sheet.sheet_pdf(cards, title=title, issued_on=issued_on),
            "application/pdf",
        )
    else:
        body, mimetype = badge_sheet.sheet_png(cards, title=title, issued_on=issued_on), "image/png"
    filename = f"badges-{school_class.name.replace('.', '')}.{kind}"
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/classes/<uuid:class_id>/badges/sheet.pdf")
@auth_required
@bp.output(FileSchema(), content_type="application/pdf", description="A4 pages, 12 badges each")
@bp.doc(responses=[401, 403, 404, 409], description=SHEET_NOTE)
def badge_sheet_pdf(class_id: uuid.UUID) -> Response:
    """Print the class's badge sheet (PDF)"""
    return _sheet(class_id, "pdf")


@bp.get("/classes/<uuid:class_id>/badges/sheet.png")
@auth_required
@bp.output(FileSchema(), content_type="image/png", description="The A4 pages, one under another")
@bp.doc(responses=[401, 403, 404, 409], description=SHEET_NOTE)
def badge_sheet_png(class_id: uuid.UUID) -> Response:
    """Print the class's badge sheet (PNG)"""
    return _sheet(class_id, "png")


@bp.post("/badges/<uuid:badge_id>/revoke")
@auth_required
@bp.output(BadgeDetail)
@bp.doc(responses=READ)
def revoke_badge(badge_id: uuid.UUID) -> dict[str, Any]:
    """Revoke a badge

    It stops signing its pupil in at once. Revoking a revoked badge changes nothing.
    """
    return badge_json(ops.revoke_badge(db.session(), require_principal(), badge_id))


@bp.post("/users/<uuid:user_id>/badge")
@auth_required
@bp.output(BadgeBatchOut)
@bp.doc(responses=[401, 403, 404, 409])
def reissue_badge(user_id: uuid.UUID) -> dict[str, Any]:
    """Issue a new badge for one pupil

    Their earlier badges stop working (a lost card). The code is in this answer only.
    """
    return batch_json(ops.reissue_user_badge(db.session(), require_principal(), user_id))


# -- publishers and the audit log -----------------------------------------------------------


@bp.get("/publishers/<uuid:publisher_id>")
@auth_required
@bp.output(PublisherOut)
@bp.doc(responses=READ)
def get_publisher(publisher_id: uuid.UUID) -> dict[str, Any]:
    """One publisher"""
    return publisher_json(ops.get_publisher(db.session(), require_principal(), publisher_id))


@bp.post("/publishers")
@auth_required
@bp.input(PublisherIn, arg_name="body")
@bp.output(PublisherOut, status_code=201)
@bp.doc(responses=[401, 403, 409])
def create_publisher(body: dict[str, Any]) -> dict[str, Any]:
    """Register a publisher

    For platform admins. The CVR number is 8 digits and must pass the modulus-11 check
    (422 otherwise); a second publisher with the same CVR is refused with 409.
    """
    return publisher_json(ops.create_publisher(db.session(), require_principal(), **body))


@bp.get("/audit")
@auth_required
@bp.input(AuditQuery, location="query", arg_name="query")
@bp.output(AuditPageOut)
@bp.doc(responses=[401, 403])
def list_audit(query: dict[str, Any]) -> dict[str, Any]:
    """The security audit log

    Newest first. A platform admin sees every event, a school leader their school's, a
    municipal buyer their municipality's (and its schools').
    """
    page = ops.list_audit_events(db.session(), require_principal(), **query)
    return {
        "items": [
            {
                "id": e.id,
                "at": e.at,
                "event": e.event,
                "outcome": e.outcome,
                "actor_user_id": e.actor_user_id,
                "subject_user_id": e.subject_user_id,
                "client_id": e.client_id,
                "school_id": e.school_id,
                "municipality_code": e.municipality_code,
                "detail": e.detail or {},
            }
            for e in page.items
        ],
        "total": page.total,
        "limit": page.limit,
        "offset": page.offset,
    }


# -- registration ---------------------------------------------------------------------------


def init_app(app: APIFlask) -> None:
    """Register the organisation endpoints."""
    app.register_blueprint(bp)
