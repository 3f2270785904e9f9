"""The school's identity provider for tests: ``oidc-provider`` (npm) on 127.0.0.1.

``SchoolIdentityProvider.start(redirect_uri)`` installs the pinned package from
``tests/oidc/package-lock.json`` when ``node_modules`` is missing (``npm ci``), starts
``node tests/oidc/provider.mjs`` on a free port and waits for its ``READY <port>`` line.
It raises ``OidcProviderUnavailable`` when node or npm is missing or the install fails; the
fixture turns that into ``missing_component`` (a skip off CI, a failure in CI).

``sign_in_at_idp`` plays the browser on the provider's side: it follows the authorization
request through the provider's (automatic) interaction until the provider redirects back to
our callback, and returns that callback URL for the Flask test client to call.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests

OIDC_DIR = Path(__file__).resolve().parent / "oidc"
CLIENT_ID = "skolehylde"
CLIENT_SECRET = "skolehylde-test-secret-not-for-production"
START_TIMEOUT = 30.0
INSTALL_TIMEOUT = 300.0


class OidcProviderUnavailable(RuntimeError):
    pass


def install_packages(directory: Path = OIDC_DIR) -> None:
    """``npm ci`` from the lock file, once: an existing ``node_modules`` is kept."""
    if (directory / "node_modules" / "oidc-provider" / "package.json").exists():
        return
    npm = shutil.which("npm")
    if npm is None:
        raise OidcProviderUnavailable("npm not found (install Node.js 18 or 20 with npm)")
    try:
        result = subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund"],
            cwd=directory,
            capture_output=True,
            text=True,
            timeout=INSTALL_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise OidcProviderUnavailable(
            f"npm ci in {directory} took over {INSTALL_TIMEOUT:.0f} s"
        ) from None
    if result.returncode != 0:
        tail = (result.stderr or result.stdout).strip().splitlines()[-5:]
        raise OidcProviderUnavailable(f"npm ci in {directory} failed: {' | '.join(tail)}")


class SchoolIdentityProvider:
    """A running ``oidc-provider`` process with one client: our app's callback."""

    def __init__(
        self,
        process: subprocess.Popen[str],
        port: int,
        stderr: list[str],
        readers: list[threading.Thread],
    ) -> None:
        self.process = process
        self._readers = readers
        self.port = port
        self.client_id = CLIENT_ID
        self.client_secret = CLIENT_SECRET
        self._stderr = stderr

    @property
    def issuer(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def stderr(self) -> str:
        return "".join(self._stderr)

    @classmethod
    def start(cls, redirect_uri: str) -> SchoolIdentityProvider:
        node = shutil.which("node")
        if node is None:
            raise OidcProviderUnavailable("node not found (install Node.js 18 or 20)")
        install_packages()
        env = {
            **os.environ,
            "REDIRECT_URI": redirect_uri,
            "CLIENT_ID": CLIENT_ID,
            "CLIENT_SECRET": CLIENT_SECRET,
        }
        process = subprocess.Popen(
            [node, str(OIDC_DIR / "provider.mjs"), "0"],
            cwd=OIDC_DIR,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert process.stdout is not None and process.stderr is not None
        stderr: list[str] = []
        readers = [threading.Thread(target=_drain, args=(process.stderr, stderr), daemon=True)]
        readers[0].start()
        ready: list[str] = []
        reader = threading.Thread(target=_first_line, args=(process.stdout, ready), daemon=True)
        reader.start()
        reader.join(START_TIMEOUT)
        if not ready or not ready[0].startswith("READY "):
            process.kill()
            process.wait()
            _close(process, readers)
            raise OidcProviderUnavailable(
                f"oidc-provider did not start: {''.join(stderr).strip()[-500:] or 'no output'}"
            )
        readers.append(threading.Thread(target=_drain, args=(process.stdout, []), daemon=True))
        readers[-1].start()
        return cls(process, int(ready[0].split()[1]), stderr, readers)

    def put_account(self, login_hint: str, **claims: Any) -> None:
        """Register (or replace) who signs in when the request carries ``login_hint``."""
        response = requests.put(
            f"{self.issuer}/_test/accounts/{login_hint}", data=json.dumps(claims), timeout=5
        )
        response.raise_for_status()

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        _close(self.process, self._readers)


def sign_in_at_idp(authorize_url: str, *, callback_prefix: str, max_hops: int = 10) -> str:
    """Follow the provider's redirects (as a fresh browser) until it sends us to the callback."""
    url = authorize_url
    with requests.Session() as browser:
        for _ in range(max_hops):
            response = browser.get(url, allow_redirects=False, timeout=10)
            if response.status_code not in {302, 303}:
                raise AssertionError(
                    f"the provider answered {response.status_code} at {url}: {response.text[:300]}"
                )
            url = urljoin(url, response.headers["Location"])
            if url.startswith(callback_prefix):
                return url
            if urlsplit(url).netloc != urlsplit(authorize_url).netloc:
                raise AssertionError(f"the provider redirected elsewhere: {url}")
    raise AssertionError(f"no redirect to {callback_prefix} within {max_hops} hops")


def _first_line(stream: Any, into: list[str]) -> None:
    into.append(stream.readline())


def _drain(stream: Any, into: list[str]) -> None:
    for line in stream:
        into.append(line)


def _close(process: subprocess.Popen[str], readers: list[threading.Thread]) -> None:
    for reader in readers:
        reader.join(timeout=5)
    for stream in (process.stdout, process.stderr):
        if stream is not None:
            stream.close()
