"""The GL context GUI tests need: probed once in a subprocess (Kivy exits on failure)."""

from __future__ import annotations

import functools

from conftest import missing_component
from kivyenv import gl_probe


@functools.cache
def _probe() -> str | None:
    return gl_probe()


def require_gl() -> None:
    reason = _probe()
    if reason is not None:
        missing_component(reason)
