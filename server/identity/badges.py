"""QR badges: a long random code on a printed card signs one pupil in on a shared tablet.

The code (``SH1-`` + 32 URL-safe characters, 192 random bits) is shown once, when it is
issued, and stored only as its SHA-256 digest. A badge works while it is not revoked and its
pupil is active (an active user with an active pupil membership); it grants nothing beyond
that pupil's own access. Revoked badges stay in the table, for the audit trail.

``issue_badge``, ``revoke_badge`` and ``reissue_badge`` add to the caller's transaction (the
caller commits); ``authenticate_badge`` records the attempt and commits, like a password check.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.identity import audit
from server.identity.models import BadgeRow
from server.organisations.models import MembershipRow, SchoolRow, UserRow

PREFIX = "SH1-"
CODE_BYTES = 24
CODE_LENGTH = len(PREFIX) + 32


class NotAPupil(ValueError):
    """Badges are only for active pupils."""


def hash_code(code: str) -> str:
    return hashlib.sha256(code.encode("utf-8")).hexdigest()


def new_code() -> str:
    return PREFIX + secrets.token_urlsafe(CODE_BYTES)


def pupil_membership(session: Session, user_id: uuid.UUID) -> MembershipRow | None:
    """The pupil's active pupil membership, or None when the user is not an active pupil."""
    user = session.get(UserRow, user_id)
    if user is None or not user.active:
        return None
    return session.scalars(
        select(MembershipRow)
        .where(
            MembershipRow.user_id == user_id,
            MembershipRow.role == "pupil",
            MembershipRow.active,
        )
        .order_by(MembershipRow.id)
        .limit(1)
    ).first()


def issue_badge(
    session: Session, pupil_user_id: uuid.UUID, issued_by: uuid.UUID | None
) -> tuple[BadgeRow, str]:
    """A new badge for an active pupil: the row and the code (shown once, never stored)."""
    membership = pupil_membership(session, pupil_user_id)
    if membership is None:
        raise NotAPupil("Badges are only for active pupils.")
    code = new_code()
    badge = BadgeRow(
        id=uuid.uuid4(),
        user_id=pupil_user_id,
        token_hash=hash_code(code),
        issued_at=datetime.now(UTC),
        issued_by=issued_by,
        revoked_at=None,
    )
    session.add(badge)
    audit.record(
        session, "badge_issued", "success", actor_user_id=issued_by,
        subject_user_id=pupil_user_id, **_where(session, membership),
        detail={"badge_id": str(badge.id)},
    )  # fmt: skip
    return badge, code


def revoke_badge(session: Session, badge: BadgeRow, revoked_by: uuid.UUID | None) -> bool:
    """Revoke ``badge``; False (and nothing recorded) when it was revoked already."""
    if badge.revoked_at is not None:
        return False
    badge.revoked_at = datetime.now(UTC)
    membership = session.scalars(
        select(MembershipRow)
        .where(MembershipRow.user_id == badge.user_id, MembershipRow.role == "pupil")
        .order_by(MembershipRow.active.desc(), MembershipRow.id)
        .limit(1)
    ).first()
    audit.record(
        session, "badge_revoked", "success", actor_user_id=revoked_by,
        subject_user_id=badge.user_id, **_where(session, membership),
        detail={"badge_id": str(badge.id)},
    )  # fmt: skip
    return True


def active_badges(session: Session, user_id: uuid.UUID) -> list[BadgeRow]:
    return list(
        session.scalars(
            select(BadgeRow)
            .where(BadgeRow.user_id == user_id, BadgeRow.revoked_at.is_(None))
            .order_by(BadgeRow.issued_at)
        )
    )


def reissue_badge(
    session: Session, pupil_user_id: uuid.UUID, issued_by: uuid.UUID | None
) -> tuple[BadgeRow, str]:
    """Revoke the pupil's badges and issue a new one (a lost card stops working)."""
    if pupil_membership(session, pupil_user_id) is None:
        raise NotAPupil("Badges are only for active pupils.")
    for old in active_badges(session, pupil_user_id):
        revoke_badge(session, old, issued_by)
    return issue_badge(session, pupil_user_id, issued_by)


def authenticate_badge(
    session: Session, code: str, *, client_id: str | None = None
) -> uuid.UUID | None:
    """The pupil a scanned code signs in, or None. Records the attempt; commits."""
    badge = None
    if code.startswith(PREFIX) and len(code) <= 2 * CODE_LENGTH:
        badge = session.scalar(select(BadgeRow).where(BadgeRow.token_hash == hash_code(code)))
    if badge is None:
        return _refuse(session, None, client_id, "unknown badge")
    if badge.revoked_at is not None:
        return _refuse(session, badge, client_id, "revoked badge")
    membership = pupil_membership(session, badge.user_id)
    if membership is None:
        return _refuse(session, badge, client_id, "inactive pupil")
    audit.record(
        session, "sign_in", "success", actor_user_id=badge.user_id,
        subject_user_id=badge.user_id, client_id=client_id, **_where(session, membership),
        detail={"method": "badge", "badge_id": str(badge.id)},
    )  # fmt: skip
    session.commit()
    pupil_id: uuid.UUID = badge.user_id
    return pupil_id


def _refuse(
    session: Session, badge: BadgeRow | None, client_id: str | None, reason: str
) -> uuid.UUID | None:
    detail = {"method": "badge", "reason": reason}
    if badge is not None:
        detail["badge_id"] = str(badge.id)
    audit.record(
        session, "sign_in_failed", "failure",
        subject_user_id=badge.user_id if badge is not None else None, client_id=client_id,
        detail=detail,
    )  # fmt: skip
    session.commit()
    return None


def _where(session: Session, membership: MembershipRow | None) -> dict[str, Any]:
    """The school and municipality an audit entry about a pupil belongs to."""
    if membership is None or membership.school_id is None:
        return {}
    school = session.get(SchoolRow, membership.school_id)
    return {
        "school_id": membership.school_id,
        "municipality_code": school.municipality_code if school is not None else None,
    }
