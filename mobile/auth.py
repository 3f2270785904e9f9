"""Signing in: school login in the system browser (code + PKCE, RFC 8252), QR badges,
tokens kept in secure storage, sign-out that revokes.

* Desktop: the browser is sent to ``/oauth/authorize`` with
  ``redirect_uri=http://127.0.0.1:<random port>/callback``; a one-shot HTTP server on that
  port receives the code (RFC 8252 §7.3; the server accepts any loopback port). Android: the
  redirect is the custom scheme ``dk.skolehylde.app:/oauth/callback`` (declared in
  ``buildozer.spec``), delivered to the app as an intent (§7.1). The app never sees a
  password: local accounts and the school's identity provider are both on the server's
  sign-in page (§8.12, no embedded browser).
* Badges: the camera reads the QR code where there is one (``BadgeScanner`` port); otherwise
  the pupil types the code. The code goes to the token endpoint's badge grant.
* Tokens: the OS keychain through ``keyring`` when it has a usable backend; otherwise a file
  with mode 0600 in the app's data folder (stated in the README: not encrypted).
"""

from __future__ import annotations

import base64
import hashlib
import http.server
import json
import os
import secrets
import threading
import webbrowser
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol
from urllib.parse import parse_qs, urlencode, urlsplit

from mobile.api import ApiClient, SignInRequired, Tokens
from mobile.i18n import translator

BADGE_GRANT = "urn:skolehylde:params:oauth:grant-type:badge"
APP_SCOPE = "openid profile email api"
ANDROID_REDIRECT = "dk.skolehylde.app:/oauth/callback"
SIGN_IN_TIMEOUT = 300.0  # seconds the loopback listener waits for the browser


# -- PKCE (RFC 7636) --------------------------------------------------------------------------


def make_verifier() -> str:
    return secrets.token_urlsafe(48)  # 64 characters, within 43–128


def s256_challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


@dataclass(frozen=True, slots=True)
class AuthorizationRequest:
    url: str
    state: str
    verifier: str
    redirect_uri: str


def authorization_request(
    base_url: str, client_id: str, redirect_uri: str, *, lang: str = "da"
) -> AuthorizationRequest:
    verifier, state = make_verifier(), secrets.token_urlsafe(16)
    query = urlencode(
        {
            "response_type": "code",
            "client_id": client_id,
            "redirect_uri": redirect_uri,
            "scope": APP_SCOPE,
            "state": state,
            "code_challenge": s256_challenge(verifier),
            "code_challenge_method": "S256",
            "lang": lang,
        }
    )
    return AuthorizationRequest(
        f"{base_url.rstrip('/')}/oauth/authorize?{query}", state, verifier, redirect_uri
    )


def code_from_redirect(redirect: str, state: str) -> str:
    """The code from the redirect, after checking ``state``; a refusal is ``SignInRequired``."""
    query = parse_qs(urlsplit(redirect).query)
    if query.get("state", [""])[0] != state or "error" in query or "code" not in query:
        raise SignInRequired(translator.t("err_sign_in_cancelled"), code="authorize_failed")
    return query["code"][0]


# -- the loopback redirect (desktop) ----------------------------------------------------------


class LoopbackReceiver:
    """A one-shot HTTP server on 127.0.0.1 and a random port for the browser's redirect."""

    def __init__(self) -> None:
        self.redirect: str | None = None
        self._done = threading.Event()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # the stdlib's name
                if urlsplit(self.path).path != "/callback":
                    self.send_error(404)
                    return
                receiver.redirect = f"http://127.0.0.1:{receiver.port}{self.path}"
                page = translator.t("signin_done_page").encode("utf-8")
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(page)))
                self.end_headers()
                self.wfile.write(page)
                receiver._done.set()

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
        self.port = int(self._server.server_address[1])
        self.redirect_uri = f"http://127.0.0.1:{self.port}/callback"
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._done.is_set():
            self._server.timeout = 0.5
            self._server.handle_request()

    def wait(self, timeout: float = SIGN_IN_TIMEOUT) -> str | None:
        self._done.wait(timeout)
        self.close()
        return self.redirect

    def close(self) -> None:
        self._done.set()
        self._server.server_close()


def browser_sign_in(
    api: ApiClient,
    *,
    open_browser: Callable[[str], object] = webbrowser.open,
    timeout: float = SIGN_IN_TIMEOUT,
) -> Tokens:
    """The whole desktop flow; blocks (run it in the background). Returns the new tokens."""
    receiver = LoopbackReceiver()
    request = authorization_request(
        api.base_url, api.client_id, receiver.redirect_uri, lang=translator.lang
    )
    try:
        open_browser(request.url)
    except Exception:  # no browser: the wait below times out as a refusal
        receiver.close()
        raise SignInRequired(translator.t("err_sign_in_cancelled"), code="no_browser") from None
    redirect = receiver.wait(timeout)
    if redirect is None:
        raise SignInRequired(translator.t("err_sign_in_cancelled"), code="timeout")
    return exchange_code(api, request, code_from_redirect(redirect, request.state))


def android_sign_in(
    api: ApiClient,
    *,
    open_browser: Callable[[str], object] = webbrowser.open,
    timeout: float = SIGN_IN_TIMEOUT,
) -> Tokens:
    """Android: the redirect is ``dk.skolehylde.app:/oauth/callback`` (RFC 8252 §7.1),
    delivered as an intent (the filter: ``packaging/android_intent_filters.xml``). Not run
    here: building for Android needs the Android SDK, which this machine cannot download."""
    from android import activity  # type: ignore[import-not-found,unused-ignore]  # p4a

    received: list[str] = []
    done = threading.Event()

    def on_new_intent(intent: object) -> None:
        data = intent.getDataString()  # type: ignore[attr-defined]
        if data and data.startswith(ANDROID_REDIRECT):
            received.append(str(data))
            done.set()

    activity.bind(on_new_intent=on_new_intent)
    try:
        request = authorization_request(
            api.base_url, api.client_id, ANDROID_REDIRECT, lang=translator.lang
        )
        open_browser(request.url)
        done.wait(timeout)
    finally:
        activity.unbind(on_new_intent=on_new_intent)
    if not received:
        raise SignInRequired(translator.t("err_sign_in_cancelled"), code="timeout")
    return exchange_code(api, request, code_from_redirect(received[0], request.state))


def platform_sign_in(api: ApiClient, open_browser: Callable[[str], object]) -> Tokens:
    """The system-browser flow for this platform."""
    from kivy.utils import platform

    if platform == "android":
        return android_sign_in(api, open_browser=open_browser)
    return browser_sign_in(api, open_browser=open_browser)


def exchange_code(api: ApiClient, request: AuthorizationRequest, code: str) -> Tokens:
    return api.token_request(
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": request.redirect_uri,
            "code_verifier": request.verifier,
        },
        "school",
    )


def badge_sign_in(api: ApiClient, code: str) -> Tokens:
    return api.token_request({"grant_type": BADGE_GRANT, "badge": code.strip()}, "badge")


# -- QR badge camera (a small port with a typed-code fallback) -------------------------------


class BadgeScanner(Protocol):
    available: bool

    def scan(self, on_code: Callable[[str], None]) -> None: ...


class NoCamera:
    """Desktops and devices without a camera: the sign-in screen shows the typed-code field."""

    available = False

    def scan(self, on_code: Callable[[str], None]) -> None:
        return None


# -- token storage ----------------------------------------------------------------------------


class TokenStore(Protocol):
    description: str

    def load(self) -> Tokens | None: ...

    def save(self, tokens: Tokens | None) -> None: ...


class MemoryTokenStore:
    description = "memory"

    def __init__(self) -> None:
        self.tokens: Tokens | None = None

    def load(self) -> Tokens | None:
        return self.tokens

    def save(self, tokens: Tokens | None) -> None:
        self.tokens = tokens


class FileTokenStore:
    """JSON in a file only the user may read (0600). Not encrypted: see the README."""

    description = "file (0600)"

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)

    def load(self) -> Tokens | None:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            return Tokens(**data)
        except (OSError, ValueError, TypeError):
            return None

    def save(self, tokens: Tokens | None) -> None:
        if tokens is None:
            self.path.unlink(missing_ok=True)
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temp = self.path.with_suffix(".tmp")
        handle = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump(tokens.to_json(), out)
        os.chmod(temp, 0o600)
        os.replace(temp, self.path)


class KeyringTokenStore:
    """The platform keychain (Secret Service, macOS Keychain, Windows Credential Locker)."""

    SERVICE = "dk.skolehylde.app"

    def __init__(self, keyring_module: object) -> None:
        self._keyring = keyring_module
        self.description = f"keyring ({type(keyring_module.get_keyring()).__name__})"  # type: ignore[attr-defined]

    def load(self) -> Tokens | None:
        try:
            raw = self._keyring.get_password(self.SERVICE, "tokens")  # type: ignore[attr-defined]
            return Tokens(**json.loads(raw)) if raw else None
        except Exception:  # a locked or broken keychain reads as signed out
            return None

    def save(self, tokens: Tokens | None) -> None:
        try:
            if tokens is None:
                self._keyring.delete_password(self.SERVICE, "tokens")  # type: ignore[attr-defined]
            else:
                self._keyring.set_password(  # type: ignore[attr-defined]
                    self.SERVICE, "tokens", json.dumps(tokens.to_json())
                )
        except Exception:  # noqa: S110  # nothing to delete, or a locked keychain
            pass


def secure_token_store(data_dir: str | os.PathLike[str]) -> TokenStore:
    """``keyring`` when it is installed and has a real backend, else the 0600 file."""
    try:
        import keyring  # type: ignore[import-not-found,unused-ignore]
        from keyring.backends import fail  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        return FileTokenStore(Path(data_dir) / "tokens.json")
    backend = keyring.get_keyring()
    if isinstance(backend, fail.Keyring) or "null" in type(backend).__module__.lower():
        return FileTokenStore(Path(data_dir) / "tokens.json")
    return KeyringTokenStore(keyring)
