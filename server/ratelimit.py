"""Rate limits keyed on who is asking — a user, a client, a login name — never on the IP
address: a whole school shares one address. In-process by default; Redis when REDIS_URL is
set (``RATELIMIT_STORAGE_URI``), so every worker shares the counts."""

from __future__ import annotations

import base64

from flask import request
from flask_limiter import Limiter

from server.identity.current import current_principal, login_identifier


def principal_key() -> str:
    principal = current_principal()
    if principal is not None and principal.user_id is not None:
        return f"user:{principal.user_id}"
    if principal is not None and principal.client_id is not None:
        return f"client:{principal.client_id}"
    return "anonymous"


def login_key() -> str:
    """Sign-in attempts count per login name (a guessed name still gets its own bucket)."""
    return f"login:{login_identifier() or '-'}"


def client_key() -> str:
    """Token requests count per OAuth client (form field or HTTP Basic)."""
    client_id = request.form.get("client_id")
    auth = request.headers.get("Authorization", "")
    if not client_id and auth.startswith("Basic "):
        try:
            client_id = base64.b64decode(auth[6:]).decode().split(":", 1)[0]
        except (ValueError, UnicodeDecodeError):
            client_id = None
    return f"client:{client_id or '-'}"


def _anonymous() -> bool:
    """Public reads (goals, the CASE provider) are not limited per caller: a whole school
    arrives from one address, and these answers are the same for everyone."""
    return current_principal() is None


#: Every signed-in caller (a user or an integration) gets its own budget of API calls;
#: sign-in and token endpoints add tighter limits of their own.
API_LIMIT = "1200 per minute"

limiter = Limiter(
    key_func=principal_key,
    default_limits=[API_LIMIT],
    default_limits_exempt_when=_anonymous,
    headers_enabled=True,
)
