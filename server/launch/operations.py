"""Launch use cases: the app's launch request, the one-time URL, our LTI authorization, the
Deep Linking return, tool registrations, assignments and the publisher's licence check.

The hot path (a morning's first lesson) is three requests; none touches budget rows:

1. ``create_launch`` (bearer token): the policy, one entitlement check, and a signed ticket
   (nothing written);
2. ``open_ticket`` (the system browser, no token): spends the ticket's ``jti`` (one insert),
   gathers the launch (product, class, goals, registration) into a signed ``lti_message_hint``
   and sends the browser to the tool's login initiation; a URL product gets a signed JWT;
3. ``authorize`` (the tool sends the browser back): checks the request against the hint,
   spends the hint's ``jti`` and signs the id_token (RS256, the platform key). The launch
   event is queued, not written (``server.launch.events``).
"""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import functools
import hashlib
import json
import os
import threading
import time
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, NoReturn
from urllib.parse import urlencode, urlsplit

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet, RSAKey
from sqlalchemy import Engine, Select, bindparam, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from server.catalogue.models import ProductGoalTagRow, ProductRow
from server.errors import ApiError, Conflict, NotFound
from server.identity.principal import Principal
from server.identity.pseudonyms import pairwise_subject
from server.launch import lti, tickets
from server.launch.events import LaunchEvent
from server.launch.interfaces import EntitlementCheck, KeyFetcher, ToolKeysUnavailable
from server.launch.models import (
    MESSAGE_TYPES,
    AssignmentRow,
    PublisherSubjectRow,
    SpentTokenRow,
    ToolRegistrationRow,
)
from server.organisations.models import SchoolClassRow, SchoolRow, UserRow
from server.policy import Forbidden, Tenant, authorize

try:
    import fcntl
except ImportError:  # not POSIX: the in-process lock only
    fcntl = None  # type: ignore[assignment]

URL_TOKEN_TTL = 300  # seconds: the signed URL launch's JWT (≤ 5 min)
ID_TOKEN_TTL = 300
#: the platform's own pseudonyms (launch events) are pairwise ids for this "publisher"
PLATFORM_PSEUDONYM_NAMESPACE = uuid.UUID("5b2b7d0e-3c1f-5e8a-9f6d-6c61756e6368")
URL_TOKEN_PARAM = "skolehylde_launch"  # noqa: S105 - a parameter name


class NotEntitled(ApiError):
    status_code = 403
    code = "not_entitled"


class LaunchRefused(ApiError):
    """A browser step of a launch that cannot go on (shown as a page, not JSON)."""

    status_code = 400
    code = "launch_refused"


class LaunchGone(LaunchRefused):
    status_code = 410
    code = "launch_used"


class InvalidRegistration(ApiError):
    status_code = 422
    code = "invalid_tool_registration"


@dataclass(frozen=True, slots=True)
class Settings:
    """What the operations need from configuration."""

    secret: str
    base_url: str
    pseudonym_key: bytes
    signing_key: RSAKey

    @property
    def issuer(self) -> str:
        return self.base_url


@dataclass(frozen=True, slots=True)
class LaunchUrl:
    url: str
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class AutoPost:
    """An HTML form the browser submits by itself (LTI login initiation, id_token post)."""

    action: str
    fields: dict[str, str]
    #: set a cookie binding the browser to this launch (name, value, max age in seconds)
    cookie: tuple[str, str, int] | None = None
    event: LaunchEvent | None = None


@dataclass(frozen=True, slots=True)
class Redirect:
    location: str
    event: LaunchEvent | None = None


BROWSER_COOKIE = "skolehylde_lti"


def now() -> datetime:
    return datetime.now(UTC)


# -- shared loading -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LaunchProduct:
    """The columns of a product a launch request needs (not the whole ORM object)."""

    id: uuid.UUID
    publisher_id: uuid.UUID
    listing: dict[str, Any]
    title: str = ""


@dataclass(frozen=True, slots=True)
class LaunchTool:
    """The columns of a tool registration the one-time URL needs."""

    client_id: str
    deployment_id: str
    login_url: str
    launch_url: str
    deep_link_url: str | None
    message_types: list[str]
    share_personal_data: bool


@dataclass(frozen=True, slots=True)
class LaunchClass:
    id: uuid.UUID
    name: str
    school_id: uuid.UUID


@dataclass(frozen=True, slots=True)
class LaunchSchool:
    id: uuid.UUID
    name: str
    municipality_code: str


@functools.cache
def _opened_statement() -> Select[Any]:
    """The product with its registration and the ticket's class with its school (each if
    any) for the one-time URL: one query on the tables."""
    products, tools = ProductRow.__table__, ToolRegistrationRow.__table__
    classes, schools = SchoolClassRow.__table__, SchoolRow.__table__
    return (
        select(
            products.c.id,
            products.c.publisher_id,
            products.c.status,
            products.c.title,
            products.c.listing,
            tools.c.product_id.label("registered"),
            tools.c.client_id,
            tools.c.deployment_id,
            tools.c.login_url,
            tools.c.launch_url,
            tools.c.deep_link_url,
            tools.c.message_types,
            tools.c.share_personal_data,
            classes.c.id.label("class_id"),
            classes.c.name.label("class_name"),
            classes.c.school_id,
            schools.c.name.label("school_name"),
            schools.c.municipality_code,
        )
        .select_from(
            products.outerjoin(tools, tools.c.product_id == products.c.id).outerjoin(
                classes.join(schools, schools.c.id == classes.c.school_id),
                classes.c.id == bindparam("class_id"),
            )
        )
        .where(products.c.id == bindparam("product_id"))
    )


@functools.cache
def _goals_statement() -> Select[Any]:
    tags = ProductGoalTagRow.__table__
    return (
        select(tags.c.goal_id)
        .where(tags.c.product_id == bindparam("product_id"))
        .order_by(tags.c.position)
    )


@functools.cache
def _product_statement() -> Select[Any]:
    products = ProductRow.__table__
    return select(
        products.c.id, products.c.publisher_id, products.c.status, products.c.listing
    ).where(products.c.id == bindparam("product_id"))


def _published_product(session: Session, product_id: uuid.UUID) -> LaunchProduct:
    row = session.execute(_product_statement(), {"product_id": product_id}).first()
    if row is None or row.status != "published":
        raise NotFound("Materialet findes ikke.", code="unknown_product")
    return LaunchProduct(row.id, row.publisher_id, row.listing or {})


def _class_tenant(session: Session, school_class: SchoolClassRow) -> tuple[Tenant, SchoolRow]:
    school = session.get(SchoolRow, school_class.school_id)
    if school is None:  # a foreign key: cannot happen
        raise NotFound("Skolen findes ikke.", code="school_not_found")
    tenant = Tenant(
        municipality_code=school.municipality_code,
        school_ids=frozenset({school.id}),
        class_id=school_class.id,
    )
    return tenant, school


def _spend(session: Session, jti: str, expires_at: datetime, *also: str) -> bool:
    """Mark one-time tokens used (one commit); False if one was used before (a replay).

    The commit does not wait for the disk (PostgreSQL ``synchronous_commit = off`` for this
    transaction; SQLite ``synchronous = NORMAL`` in WAL mode for this commit): it is the only
    write on a launch's hot path. A crash of the machine (not of the process) may forget the
    last spent tokens, which expire within minutes anyway; nothing else is relaxed. It runs
    on a connection of its own, so the request's session is untouched.
    """
    rows = [{"jti": j, "expires_at": expires_at} for j in (jti, *also)]
    engine = session.get_bind()
    if not isinstance(engine, Engine):  # a session bound to one connection (not ours)
        raise TypeError("spent tokens need an engine")
    if engine.dialect.name == "sqlite":
        # one writer at a time: a thread waits on a lock, and another worker process on a
        # file lock beside the database, not in SQLite's busy handler (which sleeps in steps
        # of milliseconds: the tail of every spend when two workers write at once)
        with _SQLITE_WRITER, _worker_lock(engine.url.database):
            return _insert_spent(engine, rows)
    return _insert_spent(engine, rows)


_SQLITE_WRITER = threading.Lock()
_LOCK_FILES: dict[tuple[int, str], int] = {}


@contextlib.contextmanager
def _worker_lock(database: str | None) -> Iterator[None]:
    """An exclusive ``flock`` on ``<database>-spend.lock`` (POSIX; a no-op elsewhere and for
    in-memory databases). The descriptor is opened per process: a lock taken through a
    descriptor inherited across gunicorn's fork would not exclude the sibling worker."""
    if fcntl is None or not database or database == ":memory:":
        yield
        return
    key = (os.getpid(), database)
    fd = _LOCK_FILES.get(key)
    if fd is None:
        fd = os.open(f"{database}-spend.lock", os.O_RDWR | os.O_CREAT, 0o600)
        _LOCK_FILES[key] = fd
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)


def _insert_spent(engine: Engine, rows: list[dict[str, Any]]) -> bool:
    with engine.connect() as connection:
        dialect = connection.dialect.name
        if dialect == "sqlite":
            connection.exec_driver_sql("PRAGMA synchronous = NORMAL")
        try:
            if dialect == "postgresql":
                connection.exec_driver_sql("SET LOCAL synchronous_commit TO OFF")
            connection.execute(insert(SpentTokenRow), rows)
            connection.commit()
        except IntegrityError:
            connection.rollback()
            return False
        finally:
            if dialect == "sqlite":
                connection.exec_driver_sql("PRAGMA synchronous = FULL")
                connection.commit()
    return True


def _role_in(
    principal: Principal, school_class: SchoolClassRow | None, class_id: uuid.UUID | None
) -> str:
    """The principal's role in the class the launch is in (LTI's membership role)."""
    if class_id is not None and class_id in principal.classes("pupil"):
        return "pupil"
    school_id = school_class.school_id if school_class is not None else None
    if school_id is not None and school_id in principal.schools("teacher"):
        return "teacher"
    if school_id is not None and school_id in principal.schools("school_leader"):
        return "school_leader"
    if principal.has_role("pupil"):
        return "pupil"
    return "teacher" if principal.has_role("teacher") else "other"


def _registration(session: Session, product: ProductRow | LaunchProduct) -> ToolRegistrationRow:
    registration = session.get(ToolRegistrationRow, product.id)
    if registration is None:
        _not_registered()
    return registration


def _not_registered() -> NoReturn:
    raise Conflict(
        "Materialet kan ikke åbnes endnu: forlaget har ikke registreret sit værktøj.",
        code="tool_not_registered",
        details={"en": "The publisher has not registered an LTI tool for this product."},
    )


# -- 1. the app asks for a launch -------------------------------------------------------------


def create_launch(
    session: Session,
    principal: Principal,
    *,
    product_id: uuid.UUID | None,
    school_class_id: uuid.UUID | None,
    assignment_id: uuid.UUID | None,
    select_content: bool,
    check_entitlement: EntitlementCheck,
    settings: Settings,
    record: Any,
) -> LaunchUrl:
    """A one-time URL that runs the launch, after the policy and the entitlement check."""
    if principal.user_id is None:
        raise Forbidden("Kun personer kan åbne materialer.", code="user_required")
    if assignment_id is not None:
        assignment = session.get(AssignmentRow, assignment_id)
        if assignment is None:
            raise NotFound("Opgaven findes ikke.", code="assignment_not_found")
        if product_id is not None and product_id != assignment.product_id:
            raise ApiError("Opgaven hører til et andet materiale.", code="assignment_mismatch")
        product_id, school_class_id = assignment.product_id, assignment.class_id
    if product_id is None:
        raise ApiError("Angiv product_id eller assignment_id.", code="product_required")
    school_class = None
    if school_class_id is not None:
        school_class = session.get(SchoolClassRow, school_class_id)
        if school_class is None:
            raise NotFound("Klassen findes ikke.", code="class_not_found")
        tenant, _ = _class_tenant(session, school_class)
        action = "assignment.create" if select_content else "class.launch"
        authorize(principal, action, tenant, what="class")
    elif select_content:
        raise ApiError("Vælg den klasse, lektionen er til.", code="class_required")
    product = _published_product(session, product_id)
    class_id = school_class.id if school_class is not None else None
    if class_id is None and not select_content:  # a pupil opens it in their own class
        own = sorted(principal.classes("pupil"))
        class_id = own[0] if own else None
    if select_content:
        registration = _registration(session, product)
        if lti.DEEP_LINKING_REQUEST not in registration.message_types or not (
            registration.deep_link_url
        ):
            raise Conflict(
                "Forlagets værktøj understøtter ikke valg af lektioner.",
                code="deep_linking_unsupported",
            )
    at = now()
    entitlement = check_entitlement(
        session, user_id=principal.user_id, product_id=product.id, school_class_id=class_id, at=at
    )
    if school_class is None and class_id is not None and not entitlement.allowed:
        school_class = session.get(SchoolClassRow, class_id)
    role = _role_in(principal, school_class, class_id)
    if not entitlement.allowed:
        school = session.get(SchoolRow, school_class.school_id) if school_class else None
        record(
            _event(settings, principal.user_id, product, school_class, school, role, "failed",
                   entitlement.reason, at)
        )  # fmt: skip
        raise NotEntitled(entitlement.message, details={"reason": entitlement.reason})
    token, ticket = tickets.issue_ticket(
        settings.secret,
        user_id=principal.user_id,
        product_id=product.id,
        class_id=class_id,
        assignment_id=assignment_id,
        mode="select" if select_content else "launch",
        role=role,
        now=at,
        trial_id=entitlement.trial_id if entitlement.reason == "trial" else None,
    )
    return LaunchUrl(f"{settings.base_url}/launch/{token}", ticket.expires_at)


def _event(
    settings: Settings,
    user_id: uuid.UUID,
    product: ProductRow | LaunchProduct,
    school_class: SchoolClassRow | LaunchClass | None,
    school: SchoolRow | LaunchSchool | None,
    role: str,
    outcome: str,
    reason: str | None,
    at: datetime,
    *,
    kind: str | None = None,
    publisher_sub: str | None = None,
) -> LaunchEvent:
    return LaunchEvent(
        at=at,
        product_id=product.id,
        publisher_id=product.publisher_id,
        school_id=school.id if school else None,
        municipality_code=school.municipality_code if school else None,
        class_id=school_class.id if school_class else None,
        role=role,
        pseudonym=platform_pseudonym(settings, user_id),
        kind=kind or str(product.listing.get("launch", {}).get("kind", "lti")),
        outcome=outcome,
        reason=reason,
        publisher_sub=publisher_sub,
        user_id=user_id if publisher_sub else None,
    )


def platform_pseudonym(settings: Settings, user_id: uuid.UUID) -> str:
    return pairwise_subject(settings.pseudonym_key, user_id, PLATFORM_PSEUDONYM_NAMESPACE)


# -- 2. the one-time URL ------------------------------------------------------------------------


def open_ticket(session: Session, token: str, *, settings: Settings) -> AutoPost | Redirect:
    """Run the launch a one-time URL stands for (once)."""
    at = now()
    try:
        ticket = tickets.read_ticket(settings.secret, token, now=at)
    except tickets.TokenRefused as refused:
        if refused.reason == "expired":
            raise LaunchGone("Linket er udløbet. Åbn materialet igen fra appen.") from refused
        raise LaunchRefused("Linket er ugyldigt.") from refused
    found = session.execute(
        _opened_statement(), {"product_id": ticket.product_id, "class_id": ticket.class_id}
    ).first()
    if found is None or found.status != "published":
        raise LaunchRefused("Materialet kan ikke åbnes.")
    product = LaunchProduct(found.id, found.publisher_id, found.listing or {}, found.title)
    registration_row = None
    if found.registered is not None:
        registration_row = LaunchTool(
            found.client_id, found.deployment_id, found.login_url, found.launch_url,
            found.deep_link_url, list(found.message_types or []), bool(found.share_personal_data),
        )  # fmt: skip
    school_class: LaunchClass | None = None
    school: LaunchSchool | None = None
    if found.class_id is not None:  # the ticket's class (and its school) still exist
        school_class = LaunchClass(found.class_id, found.class_name, found.school_id)
        school = LaunchSchool(found.school_id, found.school_name, found.municipality_code)
    assignment = session.get(AssignmentRow, ticket.assignment_id) if ticket.assignment_id else None
    if not _spend(session, ticket.jti, ticket.expires_at):
        raise LaunchGone("Linket er allerede brugt. Åbn materialet igen fra appen.")
    role = ticket.role
    user_id = ticket.user_id
    sub = pairwise_subject(settings.pseudonym_key, user_id, product.publisher_id)
    launch = product.listing.get("launch", {})
    if launch.get("kind") == "url":
        url_token = sign_url_token(
            settings, product=product, sub=sub, role=role, school_class=school_class, at=at
        )
        location = launch["url"]
        location += ("&" if urlsplit(location).query else "?") + urlencode(
            {URL_TOKEN_PARAM: url_token}
        )
        event = _event(settings, user_id, product, school_class, school, role, "success",
                       None, at, kind="url", publisher_sub=sub)  # fmt: skip
        return Redirect(location, dataclasses.replace(event, trial_id=ticket.trial_id))
    if registration_row is None:
        _not_registered()
    registration = registration_row
    select_content = ticket.mode == "select"
    message_type = lti.DEEP_LINKING_REQUEST if select_content else lti.RESOURCE_LINK_REQUEST
    if message_type not in registration.message_types:
        raise LaunchRefused("Forlagets værktøj tager ikke imod denne slags start.")
    goals = session.execute(_goals_statement(), {"product_id": product.id}).scalars().all()
    share = registration.share_personal_data
    user = session.get(UserRow, user_id) if share else None
    hint_jti = tickets.new_jti()
    deep_link_data = None
    if select_content:
        if school_class is None:  # create_launch requires the class
            raise LaunchRefused("Vælg klassen først.", code="class_required")
        deep_link_data = tickets.sign(
            settings.secret,
            "deeplink",
            {"jti": tickets.new_jti(), "u": str(user_id), "p": str(product.id),
             "c": str(school_class.id)},
        )  # fmt: skip
    target = assignment.url if assignment else str(launch.get("url") or registration.launch_url)
    context = lti.LaunchContext(
        issuer=settings.issuer,
        client_id=registration.client_id,
        deployment_id=registration.deployment_id,
        message_type=message_type,
        target_link_uri=registration.deep_link_url or target if select_content else target,
        sub=sub,
        role=role,
        class_id=str(school_class.id) if school_class else None,
        class_label=school_class.name if school_class else None,
        class_title=f"{school.name} {school_class.name}" if school and school_class else None,
        resource_link_id=str(
            assignment.id if assignment else uuid.uuid5(product.id, str(ticket.class_id))
        ),
        resource_title=assignment.lesson_title if assignment else product.title,
        goal_uris=tuple(f"{settings.base_url}/ims/case/v1p0/CFItems/{goal}" for goal in goals),
        document_target=str(launch.get("target", "window")),
        custom=dict(assignment.custom) if assignment else {},
        name=user.display_name if user else None,
        email=user.email if user else None,
        deep_link_return_url=f"{settings.base_url}/lti/deep-link/return"
        if select_content
        else None,
        deep_link_data=deep_link_data,
    )
    redirect_uris = [registration.launch_url]
    if registration.deep_link_url:
        redirect_uris.append(registration.deep_link_url)
    hint = tickets.sign(
        settings.secret,
        "hint",
        {
            "jti": hint_jti,
            "launch": lti.context_to_dict(context),
            "redirect_uris": redirect_uris,
            "event": {
                "u": str(user_id),
                "p": str(product.id),
                "pub": str(product.publisher_id),
                "s": str(school.id) if school else None,
                "m": school.municipality_code if school else None,
                "c": str(school_class.id) if school_class else None,
                "t": str(ticket.trial_id) if ticket.trial_id else None,
            },
        },
    )
    fields = {
        "iss": settings.issuer,
        "login_hint": sub,
        "target_link_uri": context.target_link_uri,
        "lti_message_hint": hint,
        "client_id": registration.client_id,
        "lti_deployment_id": registration.deployment_id,
    }
    ttl = int(tickets.HINT_TTL.total_seconds())
    return AutoPost(registration.login_url, fields, cookie=(BROWSER_COOKIE, hint_jti, ttl))


def sign_url_token(
    settings: Settings,
    *,
    product: ProductRow | LaunchProduct,
    sub: str,
    role: str,
    school_class: SchoolClassRow | LaunchClass | None,
    at: datetime,
) -> str:
    """The signed URL launch: a JWT the publisher verifies with our JWKS (``aud``: itself)."""
    issued = int(at.timestamp())
    claims = {
        "iss": settings.issuer,
        "aud": str(product.publisher_id),
        "sub": sub,
        "jti": tickets.new_jti(),
        "iat": issued,
        "exp": issued + URL_TOKEN_TTL,
        "product_id": str(product.id),
        "roles": [lti.ROLE_URIS[role]] if role in lti.ROLE_URIS else [],
        "context_id": str(school_class.id) if school_class else None,
    }
    key = settings.signing_key
    return jwt.encode({"alg": "RS256", "kid": key.kid, "typ": "JWT"}, claims, key)


# -- 3. our authorization endpoint ------------------------------------------------------------


AUTH_PARAMS = ("scope", "response_type", "client_id", "redirect_uri", "login_hint",
               "lti_message_hint", "nonce")  # fmt: skip


def authorize_launch(
    session: Session,
    params: dict[str, str],
    *,
    browser_cookie: str | None,
    settings: Settings,
) -> AutoPost:
    """Answer the tool's OIDC authentication request with a signed id_token (once)."""
    missing = [name for name in AUTH_PARAMS if not params.get(name)]
    if missing:
        raise LaunchRefused("Forespørgslen mangler felter.", details={"missing": missing})
    if params["scope"].split() != ["openid"] or params["response_type"] != "id_token":
        raise LaunchRefused("Forespørgslen er ikke en LTI-start.", code="unsupported_request")
    if params.get("response_mode", "form_post") != "form_post":
        raise LaunchRefused("Kun response_mode=form_post.", code="unsupported_request")
    try:
        hint = tickets.unsign(settings.secret, "hint", params["lti_message_hint"], tickets.HINT_TTL)
        launch = lti.context_from_dict(hint["launch"])
        event_ids = hint["event"]
        redirect_uris = list(hint["redirect_uris"])
    except tickets.TokenRefused as refused:
        if refused.reason == "expired":
            raise LaunchGone("Starten er udløbet. Åbn materialet igen.") from refused
        raise LaunchRefused("Starten er ugyldig.", code="invalid_hint") from refused
    except (KeyError, TypeError) as error:
        raise LaunchRefused("Starten er ugyldig.", code="invalid_hint") from error
    if params["client_id"] != launch.client_id:
        raise LaunchRefused("Værktøjet passer ikke til starten.", code="invalid_client")
    if params["redirect_uri"] not in redirect_uris:
        raise LaunchRefused("Ukendt redirect_uri.", code="invalid_redirect_uri")
    if params["login_hint"] != launch.sub:
        raise LaunchRefused("Starten hører til en anden bruger.", code="invalid_login_hint")
    if browser_cookie != hint["jti"]:
        raise LaunchRefused(
            "Starten blev begyndt i en anden browser.", code="other_browser",
            details={"en": "Open the material again; the launch began in another browser."},
        )  # fmt: skip
    at = now()
    nonce_id = "n:" + hashlib.sha256(params["nonce"].encode()).hexdigest()[:60]
    if not _spend(session, hint["jti"], at + tickets.HINT_TTL, nonce_id):
        raise LaunchGone("Starten eller dens nonce er allerede brugt.")
    claims = lti.id_token_claims(launch, nonce=params["nonce"], now=int(time.time()),
                                 ttl=ID_TOKEN_TTL)  # fmt: skip
    key = settings.signing_key
    id_token = jwt.encode({"alg": "RS256", "kid": key.kid, "typ": "JWT"}, claims, key)
    fields = {"id_token": id_token}
    if params.get("state"):
        fields["state"] = params["state"]
    event = LaunchEvent(
        at=at,
        product_id=uuid.UUID(event_ids["p"]),
        publisher_id=uuid.UUID(event_ids["pub"]),
        school_id=uuid.UUID(event_ids["s"]) if event_ids.get("s") else None,
        municipality_code=event_ids.get("m"),
        class_id=uuid.UUID(event_ids["c"]) if event_ids.get("c") else None,
        role=launch.role,
        pseudonym=platform_pseudonym(settings, uuid.UUID(event_ids["u"])),
        kind="lti",
        outcome="success",
        publisher_sub=launch.sub,
        user_id=uuid.UUID(event_ids["u"]),
        trial_id=uuid.UUID(event_ids["t"]) if event_ids.get("t") else None,
    )
    return AutoPost(params["redirect_uri"], fields, event=event)


# -- Deep Linking: the tool returns the teacher's pick -----------------------------------------


def fetch_jwks(url: str) -> dict[str, Any]:
    """The tool's JWKS over HTTPS (or loopback HTTP for the demo tool)."""
    parts = urlsplit(url)
    if parts.scheme != "https" and parts.hostname not in {"127.0.0.1", "localhost"}:
        raise ToolKeysUnavailable("a tool's JWKS URL must be https")
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - checked above
            data: dict[str, Any] = json.loads(response.read(1_000_000))
    except (OSError, ValueError) as error:
        raise ToolKeysUnavailable(str(error)) from error
    return data


def deep_link_return(
    session: Session, token: str, *, settings: Settings, fetch: KeyFetcher = fetch_jwks
) -> AssignmentRow:
    """Verify the tool's LtiDeepLinkingResponse and save the picked lesson as an assignment."""
    refused = LaunchRefused("Svaret fra værktøjet kunne ikke godkendes.", code="invalid_response")
    try:
        unverified = json.loads(_b64json(token.split(".")[1]))
        client_id = unverified["iss"]
    except (IndexError, ValueError, KeyError, TypeError) as error:
        raise refused from error
    registration = session.scalar(
        select(ToolRegistrationRow).where(ToolRegistrationRow.client_id == str(client_id))
    )
    if registration is None:
        raise LaunchRefused("Værktøjet er ikke registreret.", code="unknown_tool")
    try:
        keys = registration.jwks if registration.jwks else fetch(str(registration.jwks_url))
        decoded = jwt.decode(token, KeySet.import_key_set(keys), algorithms=["RS256"])  # type: ignore[arg-type]
    except (JoseError, ToolKeysUnavailable, ValueError, KeyError, TypeError) as error:
        raise LaunchRefused(
            "Svaret fra værktøjet har en ugyldig signatur.", code="invalid_signature"
        ) from error
    claims = decoded.claims
    audience = claims.get("aud")
    audiences = audience if isinstance(audience, list) else [audience]
    moment = time.time()
    checks = {
        "aud": settings.issuer in audiences,
        "exp": isinstance(claims.get("exp"), int | float) and claims["exp"] > moment - 30,
        "iat": isinstance(claims.get("iat"), int | float) and claims["iat"] < moment + 60,
        "nonce": bool(claims.get("nonce")),
        "message_type": claims.get(lti.MESSAGE_TYPE) == lti.DEEP_LINKING_RESPONSE,
        "version": claims.get(lti.VERSION) == "1.3.0",
        "deployment_id": claims.get(lti.DEPLOYMENT_ID) == registration.deployment_id,
    }
    failed = sorted(name for name, ok in checks.items() if not ok)
    if failed:
        raise LaunchRefused(
            "Svaret fra værktøjet kunne ikke godkendes.", code="invalid_response",
            details={"failed": failed, "en": f"The tool's answer failed: {', '.join(failed)}."},
        )  # fmt: skip
    try:
        data = tickets.unsign(
            settings.secret, "deeplink", str(claims.get(lti.DL_DATA)), tickets.DEEP_LINK_TTL
        )
    except tickets.TokenRefused as error:
        raise LaunchRefused("Valget er udløbet eller ugyldigt.", code="invalid_data") from error
    if data.get("p") != str(registration.product_id):
        raise LaunchRefused("Svaret hører til et andet materiale.", code="invalid_data")
    items = [
        item
        for item in claims.get(lti.CONTENT_ITEMS) or []
        if isinstance(item, dict) and item.get("type") == "ltiResourceLink"
    ]
    if not items:
        raise LaunchRefused("Værktøjet sendte ingen lektion.", code="no_content_item")
    item = items[0]
    url = str(item.get("url") or registration.launch_url)
    custom = item.get("custom") if isinstance(item.get("custom"), dict) else {}
    at = now()
    if not _spend(session, data["jti"], at + tickets.DEEP_LINK_TTL):
        raise LaunchGone("Valget er allerede gemt.")
    row = AssignmentRow(
        id=uuid.uuid4(),
        class_id=uuid.UUID(data["c"]),
        product_id=registration.product_id,
        lesson_title=str(item.get("title") or "Lektion")[:300],
        url=url[:2000],
        custom={str(k): str(v) for k, v in (custom or {}).items()},
        created_by=uuid.UUID(data["u"]),
        created_at=at,
    )
    session.add(row)
    session.commit()
    return row


def _b64json(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


# -- tool registrations -----------------------------------------------------------------------


def _managed_product(session: Session, principal: Principal, product_id: uuid.UUID) -> ProductRow:
    row = session.get(ProductRow, product_id)
    if row is None:
        raise NotFound("Produktet findes ikke.", code="product_not_found")
    authorize(principal, "tool_registration.manage", Tenant(publisher_id=row.publisher_id),
              what="product")  # fmt: skip
    return row


def get_registration(
    session: Session, principal: Principal, product_id: uuid.UUID
) -> ToolRegistrationRow:
    product = _managed_product(session, principal, product_id)
    registration = session.get(ToolRegistrationRow, product.id)
    if registration is None:
        raise NotFound("Produktet har ingen værktøjsregistrering.", code="registration_not_found")
    return registration


def put_registration(
    session: Session, principal: Principal, product_id: uuid.UUID, data: dict[str, Any]
) -> tuple[ToolRegistrationRow, bool]:
    product = _managed_product(session, principal, product_id)
    return save_registration(session, product.id, data)


def save_registration(
    session: Session, product_id: uuid.UUID, data: dict[str, Any]
) -> tuple[ToolRegistrationRow, bool]:
    """Create or replace a product's registration (the caller has authorized)."""
    jwks, jwks_url = data.get("jwks"), data.get("jwks_url")
    if not jwks and not jwks_url:
        raise InvalidRegistration("Angiv værktøjets nøgler: jwks_url eller jwks.")
    if jwks:
        try:
            keyset = KeySet.import_key_set(jwks)
        except (JoseError, ValueError, KeyError, TypeError) as error:
            raise InvalidRegistration("jwks er ikke et gyldigt JWK-sæt.") from error
        if any(key.is_private for key in keyset.keys):
            raise InvalidRegistration("jwks må kun indeholde offentlige nøgler.")
    types = list(data.get("message_types") or [lti.RESOURCE_LINK_REQUEST])
    unknown = [t for t in types if t not in MESSAGE_TYPES]
    if unknown:
        raise InvalidRegistration("Ukendt beskedtype.", details={"message_types": unknown})
    taken = session.scalar(
        select(ToolRegistrationRow).where(
            ToolRegistrationRow.client_id == data["client_id"],
            ToolRegistrationRow.product_id != product_id,
        )
    )
    if taken is not None:
        raise Conflict("client_id bruges allerede af et andet produkt.", code="client_id_taken")
    at = now()
    row = session.get(ToolRegistrationRow, product_id)
    created = row is None
    if row is None:
        row = ToolRegistrationRow(product_id=product_id, created_at=at)
        session.add(row)
    row.client_id = data["client_id"]
    row.deployment_id = data["deployment_id"]
    row.login_url = data["login_url"]
    row.launch_url = data["launch_url"]
    row.deep_link_url = data.get("deep_link_url")
    row.jwks_url = jwks_url
    row.jwks = jwks
    row.message_types = types
    row.share_personal_data = bool(data.get("share_personal_data", False))
    row.updated_at = at
    session.commit()
    return row, created


# -- assignments ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AssignmentView:
    row: AssignmentRow
    title: str


def my_assignments(session: Session, principal: Principal) -> list[AssignmentView]:
    """A pupil's class assignments; a teacher's (or leader's) schools' class assignments."""
    class_ids = set(principal.classes("pupil"))
    schools = principal.schools("teacher", "school_leader")
    query = select(AssignmentRow, ProductRow.title).join(
        ProductRow, ProductRow.id == AssignmentRow.product_id
    )
    if schools:
        staff_classes = session.scalars(
            select(SchoolClassRow.id).where(SchoolClassRow.school_id.in_(schools))
        ).all()
        class_ids |= set(staff_classes)
    if not class_ids:
        return []
    rows = session.execute(
        query.where(AssignmentRow.class_id.in_(class_ids)).order_by(
            AssignmentRow.created_at.desc(), AssignmentRow.id
        )
    ).all()
    return [AssignmentView(row, title) for row, title in rows]


def authorized_assignment(
    session: Session, principal: Principal, assignment_id: uuid.UUID, action: str
) -> AssignmentRow:
    row = session.get(AssignmentRow, assignment_id)
    if row is None:
        raise NotFound("Opgaven findes ikke.", code="assignment_not_found")
    school_class = session.get(SchoolClassRow, row.class_id)
    if school_class is None:  # a foreign key: cannot happen
        raise NotFound("Opgaven findes ikke.", code="assignment_not_found")
    tenant, _ = _class_tenant(session, school_class)
    authorize(principal, action, tenant, what="assignment")
    return row


# -- the publisher's licence check ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PublisherCheck:
    product_id: uuid.UUID
    sub: str
    allowed: bool
    reason: str
    valid_until: datetime | None


def publisher_entitlement(
    session: Session,
    principal: Principal,
    *,
    product_id: uuid.UUID,
    sub: str,
    check_entitlement: EntitlementCheck,
) -> PublisherCheck:
    """May the pupil behind ``sub`` (the publisher's pairwise id) use the product now?"""
    product = session.get(ProductRow, product_id)
    if product is None:
        raise NotFound("Produktet findes ikke.", code="product_not_found")
    authorize(principal, "publisher.entitlements", Tenant(publisher_id=product.publisher_id),
              what="product")  # fmt: skip
    subject = session.get(PublisherSubjectRow, (product.publisher_id, sub))
    if subject is None:
        return PublisherCheck(product.id, sub, False, "unknown_user", None)
    entitlement = check_entitlement(session, user_id=subject.user_id, product_id=product.id,
                                    at=now())  # fmt: skip
    return PublisherCheck(
        product.id, sub, entitlement.allowed, entitlement.reason, entitlement.valid_until
    )
