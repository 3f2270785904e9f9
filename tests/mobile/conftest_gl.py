"""The GL context GUI tests need: probed once in a subprocess (Kivy exits on failure).

Same rule as ``missing_component`` in ``tests/conftest.py`` (skip on a laptop, fail with
``CI=true``), stated here because several folders now have a ``conftest`` module and which
one ``import conftest`` finds depends on collection order.
"""

from __future__ import annotations

import functools
import os

import pytest

from kivyenv import gl_probe


@functools.cache
def _probe() -> str | None:
    return gl_probe()


def require_gl() -> None:
    """Call at the top of a GUI test module, before anything imports Kivy's ``Window``:
    without GL, importing it ends the whole pytest process (exit 102)."""
    reason = _probe()
    if reason is None:
        return
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI=true and a component is missing: {reason}", pytrace=False)
    pytest.skip(reason, allow_module_level=True)
