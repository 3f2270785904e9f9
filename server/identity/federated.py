"""Federated sign-in through the school's identity provider (OpenID Connect, Authlib).

Active when ``IDENTITY_BACKEND=oidc``; ``SCHOOL_IDP_ISSUER``, ``SCHOOL_IDP_CLIENT_ID`` and
``SCHOOL_IDP_CLIENT_SECRET`` name the provider and our client there. Routes (HTML, not part
of the JSON API or its OpenAPI document):

- ``GET /auth/school/login?next=/path`` sends the browser to the provider: authorization
  code flow, scope ``openid profile email``, PKCE S256, a nonce and a state. ``next`` must be
  a same-origin relative path (anything else becomes ``/``); it is kept with the state.
  An optional ``login_hint`` is passed on to the provider.
- ``GET /auth/school/callback`` exchanges the code (client secret + PKCE verifier), validates
  the id_token (signature from the provider's JWKS, ``iss``, ``aud``, ``exp``, ``nonce``) and
  the response's ``iss`` parameter when the provider sends one (RFC 9207), maps
  its claims to our user, signs the browser session in (method ``"oidc"``) and redirects to
  ``next``. The claims are read from the id_token; no userinfo call is made.

Claims mapping (UNI-Login-like; the names live in the constants below so another provider's
vocabulary can be configured later):

========================  =================================================================
claim                     becomes
========================  =================================================================
``iss`` + ``sub``         ``UserIdentityRow(provider="oidc:<iss>", subject=sub)`` → our user;
                          created on the first login, found again on later ones
``name`` (or              ``UserRow.display_name``, updated on every login
``given_name`` +
``family_name``)
``email``                 ``UserRow.email`` for adults (teacher, school leader) only; a
                          pupil's email is never kept
``institution_number``    the ``SchoolRow`` with that 6-digit institution number; an unknown
                          school refuses the login
``skolehylde_role``, or   ``elev`` → pupil, ``laerer``/``lærer`` → teacher, ``leder`` →
``role``                  school_leader (our own names are accepted too); an active
                          ``MembershipRow`` in that school. A different role than last time
                          deactivates the old membership and audits ``role_changed``.
                          Memberships in other schools are left alone.
``class`` (pupils)        e.g. ``"4.B"`` → the ``SchoolClassRow`` of that name in the school's
                          current school year (created, with its grade, if the roster has not
                          made it yet); the pupil membership points at it
========================  =================================================================

Privacy: any claim value that looks like a CPR number (``DDMMYY-XXXX`` or ten digits) is
dropped before anything else sees it: never stored, logged or audited. A ``sub`` that looks
like one refuses the login. Other claims are not read at all.

Every refusal — an error from the provider, a bad state, an unreachable provider, an invalid
id_token, claims we cannot map — answers a Danish HTML page with a way back (4xx, or 502 when
the provider fails), leaves the browser session signed out and audits ``sign_in_failed``.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from typing import Any
from urllib.parse import urlencode, urlsplit

import requests
from apiflask import APIFlask
from authlib.integrations.base_client import MismatchingStateError, OAuthError
from authlib.integrations.flask_client import OAuth
from flask import Blueprint, current_app, redirect, render_template_string, request, session
from flask.typing import ResponseReturnValue
from joserfc.errors import JoseError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from server.config import ConfigurationError
from server.extensions import db
from server.identity.audit import record, record_now
from server.identity.current import sign_in_session
from server.organisations.models import (
    SCHOOL_ROLES,
    MembershipRow,
    SchoolClassRow,
    SchoolRow,
    UserIdentityRow,
    UserRow,
)

log = logging.getLogger(__name__)

METHOD = "oidc"
CLIENT_NAME = "school"
SCOPE = "openid profile email"
HTTP_TIMEOUT = 10  # seconds, for each call to the provider

# Claim names (UNI-Login-like) and role vocabulary.
SCHOOL_CLAIM = "institution_number"
ROLE_CLAIMS = ("skolehylde_role", "role")
CLASS_CLAIM = "class"
ROLE_VALUES = {
    "elev": "pupil",
    "laerer": "teacher",
    "lærer": "teacher",
    "leder": "school_leader",
    "skoleleder": "school_leader",
    "pupil": "pupil",
    "teacher": "teacher",
    "school_leader": "school_leader",
}
ADULT_ROLES = frozenset({"teacher", "school_leader"})

# DDMMYY-XXXX or DDMMYYXXXX with a plausible day and month, standing on its own: a UUID
# group such as "ab123456-7890" or a longer number is not a CPR number.
CPR_LIKE = re.compile(
    r"(?<![0-9A-Za-zÆØÅæøå-])(?:0[1-9]|[12]\d|3[01])(?:0[1-9]|1[0-2])\d{2}-?\d{4}"
    r"(?![0-9A-Za-zÆØÅæøå-])"
)
INSTITUTION_NUMBER = re.compile(r"\d{6}")
CLASS_NAME = re.compile(r"(10|[0-9])\s*\.?\s*([A-Za-zÆØÅæøå]{1,3})")

bp = Blueprint("school_login", __name__, url_prefix="/auth/school")


def init_app(app: APIFlask) -> None:
    """Register the federated sign-in routes when IDENTITY_BACKEND=oidc."""
    if app.config.get("IDENTITY_BACKEND") != "oidc":
        return
    app.extensions["school_idp"] = OidcIdentityProvider.from_config(app)
    app.register_blueprint(bp)


# --- refusals ------------------------------------------------------------------------------


@dataclass(eq=False)
class FederatedLoginRefused(Exception):
    """A login we will not complete: ``reason`` is for the audit log, ``message`` for people."""

    reason: str
    message: str
    status: int = 403
    detail: dict[str, Any] = field(default_factory=dict)
    school_id: uuid.UUID | None = None
    municipality_code: str | None = None
    user_id: uuid.UUID | None = None


_TRY_AGAIN = "Prøv igen om lidt. Bliver det ved, så kontakt skolens it-ansvarlige."


def _provider_failed(reason: str, **detail: Any) -> FederatedLoginRefused:
    return FederatedLoginRefused(
        reason, f"Skolens login svarede ikke, som det skulle. {_TRY_AGAIN}", 502, detail
    )


def _claims_missing(what: str) -> FederatedLoginRefused:
    return FederatedLoginRefused(
        f"claim_{what}",
        "Skolens login sendte ikke de oplysninger om dig, som Skolehylde skal bruge"
        " (hvem du er, din skole og din rolle). Kontakt skolens it-ansvarlige.",
        403,
    )


# --- claims → a school login (pure) -------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SchoolLogin:
    """What a verified id_token says about the person, already cleaned of CPR numbers."""

    issuer: str
    subject: str
    display_name: str
    email: str | None
    institution_number: str
    role: str
    class_name: str | None = None
    grade: int | None = None


def looks_like_cpr(value: str) -> bool:
    return CPR_LIKE.search(value) is not None


def _text(claims: Mapping[str, Any], name: str, limit: int) -> str | None:
    """A claim as trimmed text, or None when absent, empty, too long or CPR-like."""
    value = claims.get(name)
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        return None
    value = " ".join(value.split())
    if not value or len(value) > limit or looks_like_cpr(value):
        return None
    return value


def _role(claims: Mapping[str, Any]) -> str | None:
    for name in ROLE_CLAIMS:
        raw = claims.get(name)
        values = raw if isinstance(raw, list) else [raw]
        for value in values:
            if isinstance(value, str) and value.strip().casefold() in ROLE_VALUES:
                return ROLE_VALUES[value.strip().casefold()]
    return None


def normalise_class_name(value: str) -> tuple[str, int | None]:
    """``"4b"``, ``"4. B"`` → ``("4.B", 4)``; a name we cannot read keeps its text, no grade."""
    match = CLASS_NAME.fullmatch(value)
    if match is None:
        return value, None
    return f"{int(match[1])}.{match[2].upper()}", int(match[1])


def claims_to_login(claims: Mapping[str, Any]) -> SchoolLogin:
    """Map verified id_token claims; raise ``FederatedLoginRefused`` when they do not fit."""
    issuer = _text(claims, "iss", 250)
    subject = _text(claims, "sub", 255)
    if not issuer or not subject:
        raise _claims_missing("subject")
    name = _text(claims, "name", 200)
    if name is None:
        parts = [_text(claims, key, 100) for key in ("given_name", "family_name")]
        name = " ".join(p for p in parts if p) or None
    if name is None:
        raise _claims_missing("name")
    institution_number = _text(claims, SCHOOL_CLAIM, 6)
    if institution_number is None or not INSTITUTION_NUMBER.fullmatch(institution_number):
        raise _claims_missing("school")
    role = _role(claims)
    if role is None:
        raise FederatedLoginRefused(
            "role_not_allowed",
            "Din rolle på skolen giver ikke adgang til Skolehylde. Kontakt skolens"
            " it-ansvarlige, hvis det er en fejl.",
            403,
            {"institution_number": institution_number},
        )
    email = _text(claims, "email", 320) if role in ADULT_ROLES else None
    if email is not None and "@" not in email:
        email = None
    class_name, grade = None, None
    raw_class = _text(claims, CLASS_CLAIM, 20) if role == "pupil" else None
    if raw_class is not None:
        class_name, grade = normalise_class_name(raw_class)
    return SchoolLogin(
        issuer=issuer,
        subject=subject,
        display_name=name,
        email=email,
        institution_number=institution_number,
        role=role,
        class_name=class_name,
        grade=grade,
    )


# --- the school login → our user, school and membership (operation) -----------------------


def sign_in_federated(db_session: Session, login: SchoolLogin) -> UserRow:
    """Create or update the user, identity and membership; audit; commit. Returns the user."""
    school = db_session.scalar(
        select(SchoolRow).where(SchoolRow.institution_number == login.institution_number)
    )
    if school is None:
        raise FederatedLoginRefused(
            "unknown_school",
            f"Din skole (institutionsnummer {login.institution_number}) bruger ikke Skolehylde"
            " endnu. Spørg skolens ledelse eller it-ansvarlige.",
            403,
            {"institution_number": login.institution_number},
        )
    now = datetime.now(UTC)
    provider = f"oidc:{login.issuer}"
    identity = db_session.scalar(
        select(UserIdentityRow).where(
            UserIdentityRow.provider == provider, UserIdentityRow.subject == login.subject
        )
    )
    created = identity is None
    if identity is None:
        user = UserRow(
            id=uuid.uuid4(),
            display_name=login.display_name,
            email=login.email,
            username=None,
            active=True,
            created_at=now,
            updated_at=now,
        )
        db_session.add(user)
        db_session.flush()
        db_session.add(
            UserIdentityRow(
                id=uuid.uuid4(), user_id=user.id, provider=provider, subject=login.subject
            )
        )
    else:
        user = db_session.get_one(UserRow, identity.user_id)  # the identity's FK cascades
        if not user.active:
            raise FederatedLoginRefused(
                "account_inactive",
                "Din adgang til Skolehylde er lukket. Kontakt skolens it-ansvarlige.",
                403,
                school_id=school.id,
                municipality_code=school.municipality_code,
                user_id=user.id,
            )
        if (user.display_name, user.email) != (login.display_name, login.email):
            user.display_name = login.display_name
            user.email = login.email
            user.updated_at = now
    school_class = _school_class(db_session, school, login)
    _apply_membership(db_session, user, school, login, school_class)
    record(
        db_session,
        "sign_in",
        "success",
        actor_user_id=user.id,
        subject_user_id=user.id,
        school_id=school.id,
        municipality_code=school.municipality_code,
        detail={"method": METHOD, "issuer": login.issuer, "created": created},
    )
    db_session.commit()
    return user


def _school_class(
    db_session: Session, school: SchoolRow, login: SchoolLogin
) -> SchoolClassRow | None:
    if login.class_name is None:
        return None
    row = db_session.scalar(
        select(SchoolClassRow).where(
            SchoolClassRow.school_id == school.id,
            SchoolClassRow.school_year == school.school_year,
            SchoolClassRow.name == login.class_name,
        )
    )
    if row is None and login.grade is not None:
        row = SchoolClassRow(
            id=uuid.uuid4(),
            school_id=school.id,
            name=login.class_name,
            grade=login.grade,
            school_year=school.school_year,
            active=True,
        )
        db_session.add(row)
        db_session.flush()
    return row


def _apply_membership(
    db_session: Session,
    user: UserRow,
    school: SchoolRow,
    login: SchoolLogin,
    school_class: SchoolClassRow | None,
) -> MembershipRow:
    """One active school role per school, as the provider says; changes are audited."""
    active = db_session.scalars(
        select(MembershipRow).where(
            MembershipRow.user_id == user.id,
            MembershipRow.school_id == school.id,
            MembershipRow.role.in_(sorted(SCHOOL_ROLES)),
            MembershipRow.active,
        )
    ).all()
    current = next((m for m in active if m.role == login.role), None)
    for old in active:
        if old is current:
            continue
        old.active = False
        record(
            db_session,
            "role_changed",
            "success",
            subject_user_id=user.id,
            school_id=school.id,
            municipality_code=school.municipality_code,
            detail={"from": old.role, "to": login.role, "method": METHOD, "issuer": login.issuer},
        )
    if current is None:
        current = MembershipRow(
            id=uuid.uuid4(),
            user_id=user.id,
            role=login.role,
            school_id=school.id,
            active=True,
        )
        db_session.add(current)
    if login.role == "pupil" and school_class is not None:
        current.class_id = school_class.id
    elif login.role != "pupil":
        current.class_id = None
    db_session.flush()
    return current


# --- the provider (adapter around Authlib's Flask client) ----------------------------------


class OidcIdentityProvider:
    """The school's OpenID provider; translates Authlib/requests/joserfc errors to refusals."""

    def __init__(self, app: APIFlask, issuer: str, client_id: str, client_secret: str) -> None:
        self.issuer = issuer.rstrip("/")
        self.redirect_uri = f"{app.config['PUBLIC_BASE_URL'].rstrip('/')}/auth/school/callback"
        self._oauth = OAuth(app)
        self.client: Any = self._oauth.register(
            CLIENT_NAME,
            client_id=client_id,
            client_secret=client_secret,
            server_metadata_url=f"{self.issuer}/.well-known/openid-configuration",
            client_kwargs={
                "scope": SCOPE,
                "code_challenge_method": "S256",
                "default_timeout": HTTP_TIMEOUT,
            },
        )

    @classmethod
    def from_config(cls, app: APIFlask) -> OidcIdentityProvider:
        names = ("SCHOOL_IDP_ISSUER", "SCHOOL_IDP_CLIENT_ID", "SCHOOL_IDP_CLIENT_SECRET")
        missing = [name for name in names if not app.config.get(name)]
        if missing:
            raise ConfigurationError(
                f"IDENTITY_BACKEND=oidc needs {', '.join(missing)} (the school's OpenID provider)"
            )
        issuer, client_id, client_secret = (str(app.config[name]) for name in names)
        return cls(app, issuer, client_id, client_secret)

    def authorization_url(self, next_url: str, login_hint: str | None = None) -> str:
        """The provider's authorization URL; state, nonce, PKCE verifier and ``next`` are kept
        in the (signed) session under the state."""
        extra = {"login_hint": login_hint} if login_hint else {}
        try:
            rv = self.client.create_authorization_url(self.redirect_uri, **extra)
        except requests.RequestException as error:
            raise _provider_failed("idp_unreachable", error=type(error).__name__) from error
        except (KeyError, ValueError) as error:  # a discovery document we cannot use
            raise _provider_failed("idp_metadata_invalid", error=type(error).__name__) from error
        self.client.save_authorize_data(redirect_uri=self.redirect_uri, next=next_url, **rv)
        return str(rv["url"])

    def state_next(self) -> str | None:
        """The ``next`` stored with this callback's state, or None when the state is unknown."""
        state = request.args.get("state")
        data = self.client.framework.get_state_data(session, state) if state else None
        return safe_next(data.get("next")) if isinstance(data, dict) else None

    def metadata_issuer(self) -> str | None:
        issuer = self.client.load_server_metadata().get("issuer")
        return str(issuer) if issuer else None

    def finish(self) -> dict[str, Any]:
        """Exchange the code and return the id_token's verified claims."""
        state = request.args.get("state")
        if request.args.get("error"):
            if state:
                self.client.framework.clear_state_data(session, state)
            error = request.args["error"]
            raise FederatedLoginRefused(
                "idp_error",
                "Log-ind hos skolens login blev afbrudt eller afvist. Prøv igen.",
                400,
                {"error": error[:60] if re.fullmatch(r"[a-z_]{1,60}", error) else "other"},
            )
        if not state or self.client.framework.get_state_data(session, state) is None:
            raise _bad_state()
        if not request.args.get("code"):
            self.client.framework.clear_state_data(session, state)
            raise FederatedLoginRefused(
                "missing_code", "Svaret fra skolens login manglede en kode. Prøv igen.", 400
            )
        try:
            # RFC 9207: a provider that names itself in the response must be ours (mix-up).
            returned_issuer = request.args.get("iss")
            if returned_issuer is not None and returned_issuer != self.metadata_issuer():
                self.client.framework.clear_state_data(session, state)
                raise FederatedLoginRefused(
                    "issuer_mismatch",
                    "Svaret kom ikke fra skolens login. Start forfra.",
                    400,
                )
            token = self.client.authorize_access_token()
        except MismatchingStateError as error:
            raise _bad_state() from error
        except OAuthError as error:
            raise _provider_failed("token_refused", error=str(error.error)[:60]) from error
        except requests.RequestException as error:
            raise _provider_failed("idp_unreachable", error=type(error).__name__) from error
        except JoseError as error:
            raise _provider_failed("invalid_id_token", error=error.error) from error
        userinfo = token.get("userinfo")
        if not userinfo:
            raise _provider_failed("invalid_id_token", error="no_id_token")
        return dict(userinfo)


def _bad_state() -> FederatedLoginRefused:
    return FederatedLoginRefused(
        "bad_state",
        "Log-ind-forsøget kunne ikke genkendes; det kan være udløbet eller startet i et andet"
        " vindue. Start forfra.",
        400,
    )


def safe_next(value: object) -> str:
    """``value`` when it is a same-origin relative path (``/…``), otherwise ``/``."""
    if (
        not isinstance(value, str)
        or len(value) > 2000
        or not value.startswith("/")
        or value.startswith("//")
        or "\\" in value
        or any(ord(char) < 0x20 or ord(char) == 0x7F for char in value)
    ):
        return "/"
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return "/"
    return value


# --- views ---------------------------------------------------------------------------------


def _provider() -> OidcIdentityProvider:
    provider: OidcIdentityProvider = current_app.extensions["school_idp"]
    return provider


@bp.get("/login")
def login() -> ResponseReturnValue:
    next_url = safe_next(request.args.get("next"))
    hint = request.args.get("login_hint", "").strip()
    hint = hint if hint and len(hint) <= 100 and not looks_like_cpr(hint) else ""
    try:
        url = _provider().authorization_url(next_url, login_hint=hint or None)
    except FederatedLoginRefused as refusal:
        return _refused(refusal, next_url)
    return redirect(url)


@bp.get("/callback")
def callback() -> ResponseReturnValue:
    provider = _provider()
    next_url = provider.state_next() or "/"
    try:
        login = claims_to_login(provider.finish())
        user = _sign_in_with_retry(login)
    except FederatedLoginRefused as refusal:
        db.session.rollback()
        return _refused(refusal, next_url)
    sign_in_session(user.id, METHOD)
    return redirect(next_url)


def _sign_in_with_retry(login: SchoolLogin) -> UserRow:
    """A first login that races another one for the same ``sub`` finds its user on retry."""
    try:
        return sign_in_federated(db.session, login)  # type: ignore[arg-type]
    except IntegrityError:
        db.session.rollback()
        return sign_in_federated(db.session, login)  # type: ignore[arg-type]


ERROR_PAGE = """<!doctype html>
<html lang="da">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Log ind med skolens login – Skolehylde</title></head>
<body>
<main>
<h1>Du blev ikke logget ind</h1>
<p>{{ message }}</p>
<p><a href="{{ retry_url }}">Prøv igen</a> · <a href="/">Til forsiden</a></p>
</main>
</body>
</html>
"""


def _refused(refusal: FederatedLoginRefused, next_url: str) -> ResponseReturnValue:
    detail = {"method": METHOD, "reason": refusal.reason, **refusal.detail}
    log.warning("school sign-in refused: %s", refusal.reason)
    record_now(
        partial(Session, db.engine),
        "sign_in_failed",
        "failure",
        subject_user_id=refusal.user_id,
        school_id=refusal.school_id,
        municipality_code=refusal.municipality_code,
        detail=detail,
    )
    retry_url = "/auth/school/login?" + urlencode({"next": next_url})
    page = render_template_string(ERROR_PAGE, message=refusal.message, retry_url=retry_url)
    return page, refusal.status, {"Content-Type": "text/html; charset=utf-8"}
