"""Rate limits keyed on who is asking — a user, a client, a login name — never on the IP
address: a whole school shares one address. In-process by default (``inprocess://``); Redis
when REDIS_URL is set (``RATELIMIT_STORAGE_URI``), so every worker shares the counts."""

from __future__ import annotations

import base64
import threading
import time

from flask import request
from flask_limiter import Limiter
from limits.storage import MemoryStorage

from server.identity.current import current_principal, login_identifier


class InProcessStorage(MemoryStorage):
    """``limits``' memory storage without a timer thread per hit (``inprocess://``).

    ``MemoryStorage`` starts a ``threading.Timer`` whenever its last one has finished, which
    under load is nearly every counted request: a thread start (and a GIL hand-over) on the
    hot path of every signed-in API call. The counts never depended on that timer — a
    window's counter is reset when read after it expired, and moving windows compare
    timestamps — it only frees the keys of callers who went quiet. Here that sweep runs in
    the request that finds it due, at most every ``SWEEP_SECONDS``.
    """

    STORAGE_SCHEME = ["inprocess"]  # noqa: RUF012 - limits reads a list here
    SWEEP_SECONDS = 10.0

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options: str):
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        self._sweep_lock = threading.Lock()
        self._swept = time.monotonic()

    def _MemoryStorage__schedule_expiry(self) -> None:
        if time.monotonic() - self._swept < self.SWEEP_SECONDS:
            return
        if not self._sweep_lock.acquire(blocking=False):
            return  # another thread is sweeping
        try:
            self._swept = time.monotonic()
            self._MemoryStorage__expire_events()  # type: ignore[attr-defined]
        finally:
            self._sweep_lock.release()


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
