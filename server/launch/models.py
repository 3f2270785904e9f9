"""Tables of launching: tool registrations, spent one-time tokens, assignments, launch events.

- ``tool_registrations``: one LTI 1.3 tool per product (the publisher's client id, deployment,
  login initiation / launch / deep-linking URLs, the tool's keys as a JWKS URL or an inline
  JWK set, the message types it accepts, and whether the publisher's data-processing
  agreement allows names and e-mail in the launch).
- ``spent_tokens``: the ids (``jti``) of one-time tokens already used. A token's signature
  proves it is ours; this table makes it single-use. Rows are kept until the token would have
  expired anyway, then swept.
- ``assignments``: a lesson a teacher picked through Deep Linking, given to a class.
- ``launch_events``: one pseudonymous row per launch, for the buyers' follow-up: no user id,
  no name; ``pseudonym`` is a keyed hash of the user (the platform's own pairwise id).
- ``publisher_subjects``: which user a publisher's pairwise ``sub`` stands for, so the
  publisher's licence check can be answered (the ``sub`` itself cannot be reversed).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    String,
    Text,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column

from server.extensions import db

MESSAGE_TYPES = ("LtiResourceLinkRequest", "LtiDeepLinkingRequest")
EVENT_KINDS = ("lti", "url")
EVENT_OUTCOMES = ("success", "failed")


class ToolRegistrationRow(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "tool_registrations"

    product_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("products.id", ondelete="CASCADE"), primary_key=True
    )
    client_id: Mapped[str] = mapped_column(String(200), unique=True)
    deployment_id: Mapped[str] = mapped_column(String(200))
    login_url: Mapped[str] = mapped_column(String(2000))
    #: the tool's launch endpoint: where the id_token is posted (an allowed redirect_uri)
    launch_url: Mapped[str] = mapped_column(String(2000))
    deep_link_url: Mapped[str | None] = mapped_column(String(2000))
    jwks_url: Mapped[str | None] = mapped_column(String(2000))
    jwks: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    message_types: Mapped[list[str]] = mapped_column(JSON)
    #: the publisher's data-processing agreement allows the pupil's name and e-mail
    share_personal_data: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (CheckConstraint("jwks_url IS NOT NULL OR jwks IS NOT NULL", name="has_keys"),)


class SpentTokenRow(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "spent_tokens"

    jti: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


class AssignmentRow(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "assignments"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    class_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("school_classes.id", ondelete="CASCADE"), index=True
    )
    product_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("products.id", ondelete="CASCADE"), index=True
    )
    lesson_title: Mapped[str] = mapped_column(String(300))
    #: the content item's ``url``: the target_link_uri pupils launch
    url: Mapped[str] = mapped_column(String(2000))
    custom: Mapped[dict[str, str]] = mapped_column(JSON)
    created_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class LaunchEventRow(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "launch_events"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    product_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("products.id", ondelete="CASCADE"), index=True
    )
    publisher_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    school_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    municipality_code: Mapped[str | None] = mapped_column(String(3), index=True)
    class_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    role: Mapped[str] = mapped_column(String(40))
    #: the platform's own pseudonym of the user (keyed hash): counts active pupils, names no one
    pseudonym: Mapped[str] = mapped_column(String(36))
    kind: Mapped[str] = mapped_column(String(10))
    outcome: Mapped[str] = mapped_column(String(10))
    reason: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        Index("ix_launch_events_at", "at"),
        CheckConstraint(f"kind IN ({', '.join(repr(k) for k in EVENT_KINDS)})", name="kind"),
        CheckConstraint(
            f"outcome IN ({', '.join(repr(k) for k in EVENT_OUTCOMES)})", name="outcome"
        ),
    )


class PublisherSubjectRow(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "publisher_subjects"

    publisher_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    sub: Mapped[str] = mapped_column(String(36), primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
