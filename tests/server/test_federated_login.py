"""Federated login against a real OpenID provider: ``oidc-provider`` (npm) on 127.0.0.1.

Our side runs in the Flask test client; the provider's side is plain HTTP with ``requests``.
A login goes: our ``/auth/school/login`` → the provider's authorize endpoint → its (automatic)
interaction → a redirect to our callback URL with ``code`` and ``state``, which the test client
then calls. Which person signs in is chosen by ``login_hint``; each test registers the claims
that person has at the provider.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import pytest
from apiflask import APIFlask
from flask.testing import FlaskClient
from oidcprovider import OidcProviderUnavailable, SchoolIdentityProvider, sign_in_at_idp
from sqlalchemy import inspect, select
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from conftest import BASE_URL, missing_component
from conftest import test_config as app_config
from factories import SCHOOL_YEAR, make_class, make_school
from pgcluster import free_port
from server.app import create_app
from server.config import ConfigurationError
from server.extensions import db
from server.identity import federated
from server.identity.current import principal_for_user
from server.identity.models import AuditEventRow
from server.identity.principal import Role
from server.organisations.models import (
    MembershipRow,
    MunicipalityRow,
    SchoolClassRow,
    SchoolRow,
    UserIdentityRow,
    UserRow,
)

CALLBACK_URL = f"{BASE_URL}/auth/school/callback"
AUTHORIZE_NEXT = "/oauth/authorize?response_type=code&client_id=skolehylde-app&state=xyz"


@pytest.fixture(scope="session")
def school_idp() -> Iterator[SchoolIdentityProvider]:
    try:
        idp = SchoolIdentityProvider.start(CALLBACK_URL)
    except OidcProviderUnavailable as error:
        missing_component(str(error))
    yield idp
    idp.stop()


def oidc_config(database_url: str, issuer: str) -> dict[str, object]:
    return {
        **app_config(database_url),
        "IDENTITY_BACKEND": "oidc",
        "SCHOOL_IDP_ISSUER": issuer,
        "SCHOOL_IDP_CLIENT_ID": "skolehylde",
        "SCHOOL_IDP_CLIENT_SECRET": "skolehylde-test-secret-not-for-production",
    }


@pytest.fixture
def app(database_url: str, school_idp: SchoolIdentityProvider) -> Iterator[APIFlask]:
    """The app with the school's identity provider switched on (overrides conftest's app)."""
    app = create_app(oidc_config(database_url, school_idp.issuer))
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def school(session: Session) -> SchoolRow:
    if session.get(MunicipalityRow, "101") is None:
        session.add(MunicipalityRow(code="101", name="København", region="Region Hovedstaden"))
        session.commit()
    return make_school(session, "101", name="Valby Skole")


def start_login(client: FlaskClient, login_hint: str, next_url: str = "/") -> str:
    """Our login route; returns the provider's authorization URL it redirects to."""
    response = client.get(
        "/auth/school/login", query_string={"next": next_url, "login_hint": login_hint}
    )
    assert response.status_code == 302
    return response.headers["Location"]


def call_back(client: FlaskClient, callback_url: str) -> TestResponse:
    parts = urlsplit(callback_url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == CALLBACK_URL
    return client.get(f"{parts.path}?{parts.query}")


def federated_login(client: FlaskClient, login_hint: str, next_url: str = "/") -> TestResponse:
    authorize_url = start_login(client, login_hint, next_url)
    return call_back(client, sign_in_at_idp(authorize_url, callback_prefix=CALLBACK_URL))


def with_query(url: str, **changes: str) -> str:
    parts = urlsplit(url)
    query = {key: values[0] for key, values in parse_qs(parts.query).items()}
    return urlunsplit(parts._replace(query=urlencode({**query, **changes})))


def signed_in_user(client: FlaskClient) -> tuple[str | None, str | None]:
    with client.session_transaction() as browser:
        return browser.get("user_id"), browser.get("method")


def audit(session: Session) -> list[tuple[str, str, uuid.UUID | None, uuid.UUID | None, Any]]:
    rows = session.scalars(select(AuditEventRow).order_by(AuditEventRow.at, AuditEventRow.id))
    return [(r.event, r.outcome, r.subject_user_id, r.school_id, r.detail) for r in rows]


def memberships(session: Session, user_id: uuid.UUID) -> set[tuple[str, Any, Any, bool]]:
    rows = session.scalars(select(MembershipRow).where(MembershipRow.user_id == user_id))
    return {(m.role, m.school_id, m.class_id, m.active) for m in rows}


def count(session: Session, model: type) -> int:
    return len(session.scalars(select(model)).all())


def assert_refused(
    response: Any,
    client: FlaskClient,
    session: Session,
    status: int,
    message: str,
    detail: dict[str, str],
) -> None:
    """A refused federated login: the page says why, nobody is created or signed in, and
    the refusal is audited with ``detail``."""
    assert response.status_code == status
    assert message in response.get_data(as_text=True)
    assert count(session, UserRow) == 0
    assert signed_in_user(client) == (None, None)
    assert audit(session) == [("sign_in_failed", "failure", None, None, detail)]


def test_first_login_creates_the_teacher_and_signs_in(
    client: FlaskClient, session: Session, school: SchoolRow, school_idp: SchoolIdentityProvider
) -> None:
    school_idp.put_account(
        "anna",
        sub="uni-anna-0001",
        name="Anna Andersen",
        email="anna@valby.skole.dk",
        institution_number=school.institution_number,
        skolehylde_role="laerer",
    )
    response = federated_login(client, "anna", next_url=AUTHORIZE_NEXT)

    assert response.status_code == 302
    assert response.headers["Location"] == AUTHORIZE_NEXT  # /oauth/authorize continues
    [user] = session.scalars(select(UserRow)).all()
    assert (user.display_name, user.email, user.username, user.active) == (
        "Anna Andersen",
        "anna@valby.skole.dk",
        None,
        True,
    )
    [identity] = session.scalars(select(UserIdentityRow)).all()
    assert (identity.user_id, identity.provider, identity.subject) == (
        user.id,
        f"oidc:{school_idp.issuer}",
        "uni-anna-0001",
    )
    assert memberships(session, user.id) == {("teacher", school.id, None, True)}
    principal = principal_for_user(session, user.id, method="oidc")
    assert principal is not None
    assert principal.roles == (Role("teacher", None, school.id, None, None),)
    assert signed_in_user(client) == (str(user.id), "oidc")
    with client.session_transaction() as browser:
        assert not [key for key in browser if key.startswith("_state_")]  # state is used up
    assert audit(session) == [
        (
            "sign_in",
            "success",
            user.id,
            school.id,
            {"method": "oidc", "issuer": school_idp.issuer, "created": True},
        )
    ]


def test_a_second_login_updates_the_same_user(
    client: FlaskClient, session: Session, school: SchoolRow, school_idp: SchoolIdentityProvider
) -> None:
    claims = {
        "sub": "uni-bent-0002",
        "institution_number": school.institution_number,
        "role": "lærer",
    }
    school_idp.put_account("bent", name="Bent Hansen", email="bent@valby.skole.dk", **claims)
    assert federated_login(client, "bent").status_code == 302
    school_idp.put_account("bent", name="Bent Holm Hansen", email="bh@valby.skole.dk", **claims)
    second = federated_login(client, "bent")

    assert (second.status_code, second.headers["Location"]) == (302, "/")
    [user] = session.scalars(select(UserRow)).all()
    session.refresh(user)
    assert (user.display_name, user.email) == ("Bent Holm Hansen", "bh@valby.skole.dk")
    assert count(session, UserIdentityRow) == 1
    assert memberships(session, user.id) == {("teacher", school.id, None, True)}
    assert [(event, detail["created"]) for event, _, _, _, detail in audit(session)] == [
        ("sign_in", True),
        ("sign_in", False),
    ]
    assert signed_in_user(client) == (str(user.id), "oidc")


def test_a_role_change_is_applied_and_audited(
    client: FlaskClient, session: Session, school: SchoolRow, school_idp: SchoolIdentityProvider
) -> None:
    claims = {"sub": "uni-carla-3", "name": "Carla Leth"}
    claims["institution_number"] = school.institution_number
    school_idp.put_account("carla", skolehylde_role="laerer", **claims)
    assert federated_login(client, "carla").status_code == 302
    school_idp.put_account("carla", role="leder", **claims)  # UNI-Login-style role claim
    assert federated_login(client, "carla").status_code == 302

    [user] = session.scalars(select(UserRow)).all()
    assert memberships(session, user.id) == {
        ("teacher", school.id, None, False),
        ("school_leader", school.id, None, True),
    }
    principal = principal_for_user(session, user.id)
    assert principal is not None
    assert principal.roles == (Role("school_leader", None, school.id, None, None),)
    events = audit(session)
    assert [event for event, *_ in events] == ["sign_in", "role_changed", "sign_in"]
    assert events[1] == (
        "role_changed",
        "success",
        user.id,
        school.id,
        {"from": "teacher", "to": "school_leader", "method": "oidc", "issuer": school_idp.issuer},
    )


def test_a_pupil_lands_in_the_class_from_the_claim(
    client: FlaskClient, session: Session, school: SchoolRow, school_idp: SchoolIdentityProvider
) -> None:
    four_b = make_class(session, school, "4.B", grade=4)
    make_class(session, school, "4.A", grade=4)
    school_idp.put_account(
        "dorte",
        sub="uni-dorte-4",
        name="Dorte Elev",
        email="dorte@elev.valby.dk",  # a pupil's email is not kept
        institution_number=school.institution_number,
        skolehylde_role="elev",
        **{"class": "4.B"},
    )
    assert federated_login(client, "dorte").status_code == 302

    [user] = session.scalars(select(UserRow)).all()
    assert (user.display_name, user.email) == ("Dorte Elev", None)
    assert memberships(session, user.id) == {("pupil", school.id, four_b.id, True)}
    principal = principal_for_user(session, user.id)
    assert principal is not None
    assert principal.classes("pupil") == {four_b.id}
    assert count(session, SchoolClassRow) == 2


def test_a_class_the_roster_lacks_is_created_in_the_current_school_year(
    client: FlaskClient, session: Session, school: SchoolRow, school_idp: SchoolIdentityProvider
) -> None:
    school_idp.put_account(
        "emil",
        sub="uni-emil-5",
        name="Emil Elev",
        institution_number=school.institution_number,
        role="Elev",
        **{"class": "5a"},
    )
    assert federated_login(client, "emil").status_code == 302

    [made] = session.scalars(select(SchoolClassRow)).all()
    assert (made.school_id, made.name, made.grade, made.school_year, made.active) == (
        school.id,
        "5.A",
        5,
        SCHOOL_YEAR,
        True,
    )
    [user] = session.scalars(select(UserRow)).all()
    assert memberships(session, user.id) == {("pupil", school.id, made.id, True)}


def test_an_unknown_institution_number_is_refused(
    client: FlaskClient, session: Session, school: SchoolRow, school_idp: SchoolIdentityProvider
) -> None:
    school_idp.put_account(
        "frede", sub="uni-frede-6", name="Frede Fri", institution_number="999999", role="laerer"
    )
    response = federated_login(client, "frede", next_url=AUTHORIZE_NEXT)

    assert response.status_code == 403
    assert response.content_type == "text/html; charset=utf-8"
    page = response.get_data(as_text=True)
    assert "Din skole (institutionsnummer 999999) bruger ikke Skolehylde endnu." in page
    assert 'href="/auth/school/login?next=%2Foauth%2Fauthorize%3F' in page  # a way back
    assert (count(session, UserRow), count(session, UserIdentityRow)) == (0, 0)
    assert count(session, MembershipRow) == 0
    assert signed_in_user(client) == (None, None)
    assert audit(session) == [
        (
            "sign_in_failed",
            "failure",
            None,
            None,
            {"method": "oidc", "reason": "unknown_school", "institution_number": "999999"},
        )
    ]


def test_a_tampered_state_is_refused(
    client: FlaskClient, session: Session, school: SchoolRow, school_idp: SchoolIdentityProvider
) -> None:
    school_idp.put_account(
        "gitte",
        sub="uni-gitte-7",
        name="Gitte Gram",
        institution_number=school.institution_number,
        role="laerer",
    )
    callback_url = sign_in_at_idp(start_login(client, "gitte"), callback_prefix=CALLBACK_URL)
    response = call_back(client, with_query(callback_url, state="tampered-state"))

    assert_refused(
        response, client, session, 400, "Log-ind-forsøget kunne ikke genkendes",
        {"method": "oidc", "reason": "bad_state"},
    )  # fmt: skip


def test_a_response_naming_another_issuer_is_refused(
    client: FlaskClient, session: Session, school: SchoolRow, school_idp: SchoolIdentityProvider
) -> None:
    school_idp.put_account(
        "gorm",
        sub="uni-gorm-7",
        name="Gorm Gram",
        institution_number=school.institution_number,
        role="laerer",
    )
    callback_url = sign_in_at_idp(start_login(client, "gorm"), callback_prefix=CALLBACK_URL)
    assert parse_qs(urlsplit(callback_url).query)["iss"] == [school_idp.issuer]
    response = call_back(client, with_query(callback_url, iss="https://other-idp.example"))

    assert_refused(
        response, client, session, 400, "Svaret kom ikke fra skolens login.",
        {"method": "oidc", "reason": "issuer_mismatch"},
    )  # fmt: skip


def test_an_id_token_with_the_wrong_nonce_is_refused(
    client: FlaskClient, session: Session, school: SchoolRow, school_idp: SchoolIdentityProvider
) -> None:
    school_idp.put_account(
        "hans",
        sub="uni-hans-8",
        name="Hans Hald",
        institution_number=school.institution_number,
        role="laerer",
    )
    callback_url = sign_in_at_idp(start_login(client, "hans"), callback_prefix=CALLBACK_URL)
    with client.session_transaction() as browser:  # as if the id_token answered another request
        [key] = [key for key in browser if key.startswith("_state_school_")]
        stored = browser[key]
        stored["data"]["nonce"] = "not-the-nonce-we-sent"
        browser[key] = stored
    response = call_back(client, callback_url)

    assert_refused(
        response, client, session, 502, "Skolens login svarede ikke, som det skulle.",
        {"method": "oidc", "reason": "invalid_id_token", "error": "invalid_claim"},
    )  # fmt: skip


def test_an_error_from_the_provider_is_refused(
    client: FlaskClient, session: Session, school: SchoolRow, school_idp: SchoolIdentityProvider
) -> None:
    # The test provider denies a login_hint it has no account for.
    callback_url = sign_in_at_idp(
        start_login(client, "nobody-registered"), callback_prefix=CALLBACK_URL
    )
    assert parse_qs(urlsplit(callback_url).query)["error"] == ["access_denied"]
    response = call_back(client, callback_url)

    assert response.status_code == 400
    assert "Log-ind hos skolens login blev afbrudt eller afvist." in response.get_data(as_text=True)
    assert count(session, UserRow) == 0
    assert signed_in_user(client) == (None, None)
    with client.session_transaction() as browser:
        assert not [key for key in browser if key.startswith("_state_")]
    assert audit(session) == [
        (
            "sign_in_failed",
            "failure",
            None,
            None,
            {"method": "oidc", "reason": "idp_error", "error": "access_denied"},
        )
    ]


def all_stored_text(session: Session) -> str:
    """Every value in every table, as text (to look for what must never be stored)."""
    session.expire_all()
    existing = set(inspect(session.get_bind()).get_table_names())
    chunks = []
    for table in db.metadata.sorted_tables:
        if table.name not in existing:  # a model whose migration another change brings
            continue
        for row in session.execute(select(table)).all():
            chunks.append(repr(tuple(row)))
    return "\n".join(chunks)


def test_a_cpr_number_in_the_claims_is_never_stored_or_logged(
    client: FlaskClient,
    session: Session,
    school: SchoolRow,
    school_idp: SchoolIdentityProvider,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    school_idp.put_account(
        "ida",
        sub="uni-ida-9",
        name="Ida Ibsen",
        email="0101901234@valby.skole.dk",  # an address built on the CPR number
        cpr="010190-1234",
        institution_number=school.institution_number,
        role="laerer",
    )
    school_idp.put_account(
        "jens",
        sub="0202021234",  # an IdP that uses the CPR number as subject
        name="Jens Jul",
        institution_number=school.institution_number,
        role="laerer",
    )
    assert federated_login(client, "ida").status_code == 302
    refused = federated_login(client, "jens")

    assert refused.status_code == 403
    assert "Skolens login sendte ikke de oplysninger om dig" in refused.get_data(as_text=True)
    [user] = session.scalars(select(UserRow)).all()
    assert (user.display_name, user.email) == ("Ida Ibsen", None)
    stored = all_stored_text(session)
    assert "uni-ida-9" in stored  # the scan does see what is stored
    for number in ("0101901234", "010190-1234", "0202021234", "020202-1234"):
        assert number not in stored
        assert number not in caplog.text
    assert [(event, detail.get("reason")) for event, _, _, _, detail in audit(session)] == [
        ("sign_in", None),
        ("sign_in_failed", "claim_subject"),
    ]


def test_an_unreachable_provider_is_a_502_page(database_url: str, session: Session) -> None:
    closed = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    app = create_app(oidc_config(database_url, closed))
    with app.app_context():
        response = app.test_client().get("/auth/school/login", query_string={"next": "/x"})
        assert response.status_code == 502
        page = response.get_data(as_text=True)
        assert "Skolens login svarede ikke, som det skulle." in page
        assert 'href="/auth/school/login?next=%2Fx"' in page
        assert 'href="/"' in page
        reasons = [
            (row.event, row.detail["reason"], row.detail["error"])
            for row in db.session.scalars(select(AuditEventRow))
        ]
        assert reasons == [("sign_in_failed", "idp_unreachable", "ConnectionError")]
        db.session.remove()
        db.engine.dispose()


def test_the_routes_exist_only_with_the_oidc_backend(database_url: str) -> None:
    local = create_app(app_config(database_url))
    assert local.test_client().get("/auth/school/login").status_code == 404
    with local.app_context():
        db.engine.dispose()
    with pytest.raises(ConfigurationError, match="SCHOOL_IDP_ISSUER"):
        create_app({**app_config(database_url), "IDENTITY_BACKEND": "oidc"})


def test_the_sign_in_pages_stay_out_of_the_api_document(client: FlaskClient) -> None:
    paths = client.get("/api/openapi.json").get_json()["paths"]
    assert [path for path in paths if path.startswith("/auth/")] == []


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("/oauth/authorize?client_id=a&state=b", "/oauth/authorize?client_id=a&state=b"),
        ("/", "/"),
        (None, "/"),
        ("", "/"),
        ("https://evil.example/", "/"),
        ("//evil.example/", "/"),
        ("/\\evil.example", "/"),
        ("javascript:alert(1)", "/"),
        ("/ok\r\nSet-Cookie: x=y", "/"),
        ("relative/path", "/"),
    ],
)
def test_next_must_be_a_same_origin_path(value: str | None, expected: str) -> None:
    assert federated.safe_next(value) == expected


@pytest.mark.parametrize(
    ("claims", "role"),
    [
        ({"skolehylde_role": "elev"}, "pupil"),
        ({"role": "laerer"}, "teacher"),
        ({"role": "Lærer"}, "teacher"),
        ({"role": "leder"}, "school_leader"),
        ({"role": ["paedagog", "laerer"]}, "teacher"),
        ({"skolehylde_role": "leder", "role": "elev"}, "school_leader"),
    ],
)
def test_role_claims_map_to_our_roles(claims: dict[str, Any], role: str) -> None:
    login = federated.claims_to_login(
        {"iss": "https://idp.example", "sub": "s", "name": "N", "institution_number": "101001"}
        | claims
    )
    assert login.role == role


def test_a_role_we_do_not_serve_is_refused() -> None:
    with pytest.raises(federated.FederatedLoginRefused) as refused:
        federated.claims_to_login(
            {"iss": "https://i", "sub": "s", "name": "N", "institution_number": "101001"}
            | {"role": "tap"}
        )
    assert (refused.value.reason, refused.value.status) == ("role_not_allowed", 403)


@pytest.mark.parametrize(
    ("value", "is_cpr"),
    [
        ("010190-1234", True),
        ("0101901234", True),
        ("0101901234@valby.skole.dk", True),
        ("Anna 311299-4321", True),
        ("ab123456-7890-4abc-8def-0123456789ab", False),  # a UUID subject
        ("c0101901234", False),
        ("991390-1234", False),  # no 13th month
        ("12345678901", False),  # eleven digits
        ("101001", False),  # an institution number
        ("4.B", False),
    ],
)
def test_what_counts_as_a_cpr_number(value: str, is_cpr: bool) -> None:
    assert federated.looks_like_cpr(value) is is_cpr
