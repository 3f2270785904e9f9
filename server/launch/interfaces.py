"""What launching needs from elsewhere: the entitlement check and the tool's keys.

The entitlement check belongs to purchasing (``server.licensing.entitlements``); launching
takes it as a collaborator of this shape, so its rules stay there and tests can hand in a
recording double.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy.orm import Session


class EntitlementLike(Protocol):
    @property
    def allowed(self) -> bool: ...
    @property
    def reason(self) -> str: ...
    @property
    def message(self) -> str: ...
    @property
    def valid_until(self) -> datetime | None: ...
    @property
    def trial_id(self) -> uuid.UUID | None: ...


class EntitlementCheck(Protocol):
    def __call__(
        self,
        session: Session,
        *,
        user_id: uuid.UUID,
        product_id: uuid.UUID,
        school_class_id: uuid.UUID | None = None,
        at: datetime | None = None,
    ) -> EntitlementLike: ...


class KeyFetcher(Protocol):
    """Fetch a tool's JWK set from its ``jwks_url`` (raises ``ToolKeysUnavailable``)."""

    def __call__(self, url: str) -> dict[str, Any]: ...


class ToolKeysUnavailable(Exception):
    pass
