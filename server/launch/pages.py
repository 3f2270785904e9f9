"""The browser's steps of a launch (HTML, not in the OpenAPI document):

- ``GET /launch/<token>``: the one-time URL the app opens; posts the browser on to the
  tool's OIDC login initiation (LTI) or redirects it with a signed token (URL products);
- ``GET|POST /lti/authorize``: our OIDC authorization endpoint for tools; answers with a
  form that posts the signed ``id_token`` to the tool's launch URL;
- ``POST /lti/deep-link/return``: where a tool posts the teacher's picked lesson;
- ``GET /open/a/<assignment_id>``: what an assignment's QR code opens (sign in, then launch);
- ``GET /open/p/<product_id>``: the same for a product (a browser's way to what the app does).

A refused step is a Danish page with the right 4xx status and the stable code; nothing is
recorded as a successful launch unless the message was signed and handed to the browser.
"""

from __future__ import annotations

import secrets
import uuid
from typing import TypeVar
from urllib.parse import quote

from apiflask import APIBlueprint
from flask import Response, current_app, redirect, render_template, request
from flask.typing import ResponseReturnValue
from werkzeug.wrappers import Response as BaseResponse

from server.errors import ApiError
from server.extensions import db
from server.identity.current import principal_for_user, session_user_id
from server.launch import operations as ops
from server.launch.views import entitlements, record, settings

R = TypeVar("R", bound=BaseResponse)
bp = APIBlueprint("launch_pages", __name__, template_folder="templates", enable_openapi=False)


def _secure(response: R, *, form_action: str | None = None, nonce: str | None = None) -> R:
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    policy = ["default-src 'none'", "style-src 'unsafe-inline'", "frame-ancestors 'none'"]
    policy.append(f"form-action {form_action}" if form_action else "form-action 'none'")
    if nonce:
        policy.append(f"script-src 'nonce-{nonce}'")
    response.headers["Content-Security-Policy"] = "; ".join(policy)
    return response


def message(title: str, text: str, status: int, *, code: str | None = None,
            english: str | None = None, error: bool = True) -> Response:  # fmt: skip
    body = render_template(
        "launch_message.html", title=title, message=text, code=code, english=english, error=error
    )
    return _secure(Response(body, status=status, mimetype="text/html"))


def refused(error: ApiError) -> Response:
    code = (error.extra_data or {}).get("code")
    detail = error.detail if isinstance(error.detail, dict) else {}
    return message("Materialet kunne ikke åbnes", str(error.message), error.status_code,
                   code=code, english=detail.get("en"))  # fmt: skip


def autopost(post: ops.AutoPost, *, title: str) -> Response:
    nonce = secrets.token_urlsafe(12)
    body = render_template(
        "launch_autopost.html",
        title=title,
        action=post.action,
        fields=post.fields,
        nonce=nonce,
        button="Fortsæt",
        noscript="Tryk Fortsæt for at åbne materialet.",
    )
    response = _secure(Response(body, mimetype="text/html"), form_action=_origin(post.action),
                       nonce=nonce)  # fmt: skip
    if post.cookie is not None:
        name, value, max_age = post.cookie
        response.set_cookie(
            name, value, max_age=max_age, path="/lti/", httponly=True, samesite="Lax",
            secure=str(current_app.config["PUBLIC_BASE_URL"]).startswith("https:"),
        )  # fmt: skip
    return response


def _origin(url: str) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


@bp.get("/launch/<token>")
def open_launch(token: str) -> ResponseReturnValue:
    try:
        result = ops.open_ticket(db.session(), token, settings=settings())
    except ApiError as error:
        return refused(error)
    if isinstance(result, ops.Redirect):
        if result.event is not None:
            record(result.event)
        return _secure(redirect(result.location, 303))
    return autopost(result, title="Materialet åbnes …")


@bp.route("/lti/authorize", methods=["GET", "POST"])
def lti_authorize() -> ResponseReturnValue:
    source = request.form if request.method == "POST" else request.args
    params = {key: str(value) for key, value in source.items()}
    try:
        result = ops.authorize_launch(
            db.session(), params, browser_cookie=request.cookies.get(ops.BROWSER_COOKIE),
            settings=settings(),
        )  # fmt: skip
    except ApiError as error:
        return refused(error)
    if result.event is not None:
        record(result.event)
    response = autopost(result, title="Materialet åbnes …")
    response.delete_cookie(ops.BROWSER_COOKIE, path="/lti/")
    return response


@bp.post("/lti/deep-link/return")
def deep_link_return() -> ResponseReturnValue:
    token = request.form.get("JWT", "")
    if not token:
        return message("Intet valg", "Værktøjet sendte ikke et valg.", 400, code="missing_jwt")
    try:
        row = ops.deep_link_return(db.session(), token, settings=settings())
    except ApiError as error:
        return refused(error)
    return message(
        "Lektionen er gemt",
        f"»{row.lesson_title}« er givet til klassen. Eleverne finder den under Opgaver.",
        201, english="The lesson was saved as an assignment of the class.", error=False,
    )  # fmt: skip


@bp.get("/open/a/<uuid:assignment_id>")
def open_assignment(assignment_id: uuid.UUID) -> ResponseReturnValue:
    """An assignment's QR code: sign in (if not yet), then launch the lesson."""
    return _open_signed_in(f"/open/a/{assignment_id}", assignment_id=assignment_id)


@bp.get("/open/p/<uuid:product_id>")
def open_product(product_id: uuid.UUID) -> ResponseReturnValue:
    """Open a material in the browser (sign in first): what the app's launch does.

    ``?select=<class id>``: a teacher picks a lesson for that class (Deep Linking)."""
    raw = request.args.get("select")
    try:
        class_id = uuid.UUID(raw) if raw else None
    except ValueError:
        return message("Ukendt klasse", "Klassens id er ugyldigt.", 400, code="bad_class_id")
    here = f"/open/p/{product_id}" + (f"?select={class_id}" if class_id else "")
    return _open_signed_in(here, product_id=product_id, select_class_id=class_id)


def _open_signed_in(
    here: str,
    *,
    product_id: uuid.UUID | None = None,
    assignment_id: uuid.UUID | None = None,
    select_class_id: uuid.UUID | None = None,
) -> ResponseReturnValue:
    user_id = session_user_id()
    principal = principal_for_user(db.session(), user_id) if user_id else None
    if principal is None:
        return _secure(redirect(f"/login?next={quote(here, safe='/')}", 303))
    try:
        launch = ops.create_launch(
            db.session(), principal, product_id=product_id, school_class_id=select_class_id,
            assignment_id=assignment_id, select_content=select_class_id is not None,
            check_entitlement=entitlements(), settings=settings(), record=record,
        )  # fmt: skip
    except ApiError as error:
        return refused(error)
    return _secure(redirect(launch.url, 303))
