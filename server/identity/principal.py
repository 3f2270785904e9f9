"""The principal: who a request acts for, with each role and the tenant it holds it in."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Role:
    role: str
    municipality_code: str | None = None
    school_id: uuid.UUID | None = None
    class_id: uuid.UUID | None = None
    publisher_id: uuid.UUID | None = None


@dataclass(frozen=True, slots=True)
class Principal:
    """A signed-in user (``user_id``) or an integration acting as a client (``client_id``).

    A client-credentials token has no user; it acts for ``client_publisher_id`` only.
    """

    user_id: uuid.UUID | None
    roles: tuple[Role, ...] = ()
    client_id: str | None = None
    client_publisher_id: uuid.UUID | None = None
    scopes: frozenset[str] = field(default_factory=frozenset)
    #: how the principal signed in: "password", "oidc", "badge", "client_credentials"
    method: str | None = None

    def has_role(self, role: str) -> bool:
        return any(r.role == role for r in self.roles)

    @property
    def is_platform_admin(self) -> bool:
        return self.has_role("platform_admin")

    def schools(self, *roles: str) -> set[uuid.UUID]:
        return {r.school_id for r in self.roles if r.school_id and (not roles or r.role in roles)}

    def classes(self, *roles: str) -> set[uuid.UUID]:
        return {r.class_id for r in self.roles if r.class_id and (not roles or r.role in roles)}

    def municipalities(self, *roles: str) -> set[str]:
        return {
            r.municipality_code
            for r in self.roles
            if r.municipality_code and (not roles or r.role in roles)
        }

    def publishers(self, *roles: str) -> set[uuid.UUID]:
        found = {
            r.publisher_id for r in self.roles if r.publisher_id and (not roles or r.role in roles)
        }
        if self.client_publisher_id and (not roles or "publisher_admin" in roles):
            found.add(self.client_publisher_id)
        return found


ANONYMOUS = Principal(user_id=None)
