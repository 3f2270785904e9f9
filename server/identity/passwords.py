"""Local accounts: argon2id hashes, back-off and lockout after failures.

After ``FREE_ATTEMPTS`` failures in a row an account is locked for a time that doubles with
each further failure (1, 2, 4 … minutes, at most ``MAX_LOCK``). A correct password during a
lock is refused too, so guessing gains nothing by waiting less. Success resets the count.
Unknown user names cost the same hashing time as known ones (no user enumeration by timing).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.identity import audit
from server.identity.models import PasswordCredentialRow
from server.organisations.models import UserRow

FREE_ATTEMPTS = 5
FIRST_LOCK = timedelta(minutes=1)
MAX_LOCK = timedelta(hours=1)
MIN_LENGTH = 10

_hasher = PasswordHasher()  # argon2id with argon2-cffi's RFC 9106 low-memory defaults
_DUMMY_HASH = _hasher.hash("not a real password, only spends the same time")


class SignInResult(StrEnum):
    OK = "ok"
    WRONG = "wrong_credentials"
    LOCKED = "locked"
    INACTIVE = "inactive"


@dataclass(frozen=True, slots=True)
class SignIn:
    result: SignInResult
    user_id: uuid.UUID | None = None
    locked_until: datetime | None = None


class WeakPassword(ValueError):
    pass


def hash_password(password: str) -> str:
    if len(password) < MIN_LENGTH:
        raise WeakPassword(f"A password needs at least {MIN_LENGTH} characters.")
    return _hasher.hash(password)


def set_password(session: Session, user: UserRow, password: str) -> None:
    """Give ``user`` a local password (the caller commits)."""
    credential = session.get(PasswordCredentialRow, user.id)
    now = datetime.now(UTC)
    if credential is None:
        credential = PasswordCredentialRow(
            user_id=user.id, password_hash="", failed_attempts=0, changed_at=now
        )
        session.add(credential)
    credential.password_hash = hash_password(password)
    credential.failed_attempts = 0
    credential.locked_until = None
    credential.changed_at = now


def authenticate(
    session: Session, username: str, password: str, *, client_id: str | None = None
) -> SignIn:
    """Check a local account's password; record the attempt; commit."""
    now = datetime.now(UTC)
    name = username.strip().casefold()
    user = session.scalar(select(UserRow).where(UserRow.username == name)) if name else None
    credential = session.get(PasswordCredentialRow, user.id) if user is not None else None
    if user is None or credential is None:
        _verify(_DUMMY_HASH, password)
        return _fail(session, None, name, client_id, "unknown user")
    locked_until = _aware(credential.locked_until)
    if locked_until is not None and locked_until > now:
        _verify(_DUMMY_HASH, password)
        audit.record(
            session, "sign_in_failed", "failure", subject_user_id=user.id, client_id=client_id,
            detail={"method": "password", "username": name, "reason": "locked"},
        )  # fmt: skip
        session.commit()
        return SignIn(SignInResult.LOCKED, user.id, locked_until)
    if not _verify(credential.password_hash, password):
        credential.failed_attempts += 1
        over = credential.failed_attempts - FREE_ATTEMPTS
        if over >= 0:
            credential.locked_until = now + min(FIRST_LOCK * (2**over), MAX_LOCK)
            audit.record(
                session, "account_locked", "failure", subject_user_id=user.id,
                client_id=client_id,
                detail={"until": credential.locked_until.isoformat(), "username": name},
            )  # fmt: skip
        return _fail(session, user.id, name, client_id, "wrong password", credential.locked_until)
    if not user.active:
        return _fail(
            session, user.id, name, client_id, "inactive user", result=SignInResult.INACTIVE
        )
    credential.failed_attempts = 0
    credential.locked_until = None
    if _hasher.check_needs_rehash(credential.password_hash):
        credential.password_hash = _hasher.hash(password)
    audit.record(
        session, "sign_in", "success", actor_user_id=user.id, subject_user_id=user.id,
        client_id=client_id, detail={"method": "password"},
    )  # fmt: skip
    session.commit()
    return SignIn(SignInResult.OK, user.id)


def _fail(
    session: Session,
    user_id: uuid.UUID | None,
    name: str,
    client_id: str | None,
    reason: str,
    locked_until: datetime | None = None,
    result: SignInResult = SignInResult.WRONG,
) -> SignIn:
    audit.record(
        session, "sign_in_failed", "failure", subject_user_id=user_id, client_id=client_id,
        detail={"method": "password", "username": name, "reason": reason},
    )  # fmt: skip
    session.commit()
    if locked_until is not None:
        return SignIn(SignInResult.LOCKED, user_id, locked_until)
    return SignIn(result, user_id)


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _aware(moment: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; everything we store is UTC."""
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment
