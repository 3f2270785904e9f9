"""localstripe (a fake Stripe API server from PyPI) as a separate process, for tests.

The ``localstripe`` command binds every interface and has no host option, so the child is
started with ``python -c`` importing localstripe's aiohttp app and serving it on a socket
this process has already bound to 127.0.0.1 and a free port (handed over as a file
descriptor, so no other process can take the port in between).

Two things are changed in the child, both said here:

* localstripe pickles its whole store to the fixed path ``/tmp/localstripe.pickle`` after
  every write (``TMPDIR`` is not consulted), and loads it at start unless ``--from-scratch``.
  The child never loads it and its ``dump_to_disk`` is a no-op, so parallel test runs share
  no state; the child's ``TMPDIR`` is a per-server temporary directory all the same.
* localstripe ignores ``Idempotency-Key``. Real Stripe replays the first response for a
  repeated key and refuses the key with other parameters (400 ``idempotency_error``); a small
  middleware does that here, so the adapter's use of keys is tested end to end.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import requests


class LocalStripeUnavailable(RuntimeError):
    """localstripe is not installed here, or would not start."""


_CHILD = r"""
import json, logging, socket, sys
from aiohttp import web
logging.basicConfig(level=logging.INFO)  # localstripe logs each webhook delivery (see .log())
from localstripe import resources
resources.Store.dump_to_disk = lambda self: None  # no shared /tmp/localstripe.pickle
from localstripe.server import app

_replies = {}

@web.middleware
async def idempotency(request, handler):
    key = request.headers.get("Idempotency-Key")
    if request.method != "POST" or not key:
        return await handler(request)
    body = await request.read()
    slot = (request.headers.get("Authorization", ""), key)
    seen = _replies.get(slot)
    if seen is not None:
        path, sent, status, reply = seen
        if (path, sent) != (request.path, body):
            return web.json_response(
                {"error": {"type": "idempotency_error", "message":
                 "Keys for idempotent requests can only be used with the same parameters"
                 " they were first used with."}}, status=400)
        return web.Response(body=reply, status=status, content_type="application/json",
                            headers={"Idempotent-Replayed": "true"})
    response = await handler(request)
    if response.status < 500:
        _replies[slot] = (request.path, body, response.status, response.body)
    return response

app.middlewares.append(idempotency)
sock = socket.socket(fileno=int(sys.argv[1]))
web.run_app(app, sock=sock, print=None, access_log=None, handle_signals=True)
"""


class LocalStripe:
    """One running localstripe child: ``url``, ``api_key``, ``webhook_secret``."""

    def __init__(self, process: subprocess.Popen[bytes], url: str, workdir: Path) -> None:
        self.process = process
        self.url = url
        self.workdir = workdir
        self.api_key = "sk_test_" + secrets.token_hex(12)
        self.publishable_key = "pk_test_" + secrets.token_hex(12)
        self.webhook_secret = "whsec_" + secrets.token_hex(16)

    @classmethod
    def start(cls, *, timeout: float = 30.0) -> LocalStripe:
        try:
            import localstripe  # noqa: F401
        except ImportError as error:
            raise LocalStripeUnavailable(f"localstripe is not installed: {error}") from error
        workdir = Path(tempfile.mkdtemp(prefix="localstripe-"))
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", 0))
        listener.listen(64)
        port = listener.getsockname()[1]
        log = (workdir / "localstripe.log").open("wb")
        env = {**os.environ, "TMPDIR": str(workdir)}
        process = subprocess.Popen(
            [sys.executable, "-c", _CHILD, str(listener.fileno())],
            pass_fds=(listener.fileno(),),
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=workdir,
        )
        listener.close()
        log.close()
        server = cls(process, f"http://127.0.0.1:{port}", workdir)
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                output = server.log()
                shutil.rmtree(workdir, ignore_errors=True)
                raise LocalStripeUnavailable(f"localstripe exited at start:\n{output}")
            with contextlib.suppress(requests.RequestException):
                if requests.get(f"{server.url}/js.stripe.com/v3/", timeout=2).status_code == 200:
                    return server
            if time.monotonic() > deadline:
                server.stop()
                raise LocalStripeUnavailable(f"localstripe did not answer in {timeout:.0f} s")
            time.sleep(0.1)

    def log(self) -> str:
        path = self.workdir / "localstripe.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def register_webhook(
        self, url: str, *, events: list[str] | None = None, webhook_id: str | None = None
    ) -> str:
        """Have localstripe POST its events (signed with ``webhook_secret``) to ``url``."""
        webhook_id = webhook_id or "wh_" + secrets.token_hex(6)
        body: dict[str, Any] = {"url": url, "secret": self.webhook_secret}
        if events is not None:
            body["events"] = events
        reply = requests.post(f"{self.url}/_config/webhooks/{webhook_id}", json=body, timeout=5)
        reply.raise_for_status()
        return webhook_id

    def events(self, *, event_type: str | None = None) -> list[dict[str, Any]]:
        """The events localstripe has recorded, newest first (``GET /v1/events``)."""
        params = {"type": event_type} if event_type else {}
        reply = requests.get(
            f"{self.url}/v1/events",
            params=params,
            headers={"Authorization": f"Bearer {self.api_key}"},
            timeout=5,
        )
        reply.raise_for_status()
        return list(json.loads(reply.text)["data"])

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.workdir, ignore_errors=True)
