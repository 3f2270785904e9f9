"""The principal of the current request, and the browser session of a signed-in person.

API requests carry ``Authorization: Bearer <access token>``; the OAuth package registers the
loader that turns a token into a ``Principal`` (``register_loader``). The browser session
(a signed cookie) is only for the sign-in pages and ``/oauth/authorize``.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from flask import g, request, session
from sqlalchemy import Select, and_, bindparam, select
from sqlalchemy.orm import Session

from server.identity.principal import Principal, Role
from server.organisations.models import MembershipRow, UserRow

PrincipalLoader = Callable[[], Principal | None]
_loaders: list[PrincipalLoader] = []


def register_loader(loader: PrincipalLoader) -> None:
    if loader not in _loaders:
        _loaders.append(loader)


def current_principal() -> Principal | None:
    """The request's principal (cached for the request), or None when nobody signed in."""
    if "principal" not in g:
        g.principal = next((p for p in (load() for load in _loaders) if p is not None), None)
    principal: Principal | None = g.principal
    return principal


def require_principal() -> Principal:
    from server.policy import Unauthenticated

    principal = current_principal()
    if principal is None:
        raise Unauthenticated("Sign in first: send an access token as 'Authorization: Bearer …'.")
    return principal


@functools.cache
def _principal_statement() -> Select[Any]:
    """Built once, on the tables (no ORM compile or objects on every bearer request)."""
    users, memberships = UserRow.__table__, MembershipRow.__table__
    return (
        select(
            users.c.active,
            memberships.c.role,
            memberships.c.municipality_code,
            memberships.c.school_id,
            memberships.c.class_id,
            memberships.c.publisher_id,
        )
        .select_from(
            users.outerjoin(
                memberships,
                and_(memberships.c.user_id == users.c.id, memberships.c.active),
            )
        )
        .where(users.c.id == bindparam("user_id"))
    )


def principal_for_user(
    db_session: Session,
    user_id: uuid.UUID,
    *,
    client_id: str | None = None,
    scopes: frozenset[str] = frozenset(),
    method: str | None = None,
) -> Principal | None:
    """The principal of an active user with their active memberships; None if inactive.

    One query (every bearer request asks it): the user's ``active`` flag with the tenant
    columns of its active memberships, outer-joined so a user without any still comes back.
    """
    if db_session.autoflush and (db_session.new or db_session.dirty or db_session.deleted):
        db_session.flush()  # what the ORM's autoflush would do; a plain select does not
    rows = db_session.execute(_principal_statement(), {"user_id": user_id}).all()
    if not rows or not rows[0].active:
        return None
    roles = tuple(
        Role(m.role, m.municipality_code, m.school_id, m.class_id, m.publisher_id)
        for m in rows
        if m.role is not None
    )
    return Principal(user_id, roles, client_id=client_id, scopes=scopes, method=method)


def sign_in_session(user_id: uuid.UUID, method: str) -> None:
    """Mark the browser session signed in (a new session id guards against fixation)."""
    session.clear()
    session["user_id"] = str(user_id)
    session["auth_time"] = int(datetime.now(UTC).timestamp())
    session["method"] = method
    session.permanent = False


def session_user_id() -> uuid.UUID | None:
    raw = session.get("user_id")
    try:
        return uuid.UUID(raw) if raw else None
    except ValueError:
        return None


def sign_out_session() -> None:
    session.clear()


def login_identifier() -> str | None:
    """The login name a sign-in request is for (rate limits key on it, not on the IP)."""
    if request.form.get("username"):
        return str(request.form["username"]).strip().casefold()
    return None
