"""The suite's own rules hold: warnings are errors, markers strict, network loopback-only."""

from __future__ import annotations

import warnings

import pytest


def test_network_is_limited_to_loopback(request: pytest.FixtureRequest) -> None:
    assert request.config.getoption("allow_hosts") == "127.0.0.1,::1,localhost"


def test_warnings_are_errors() -> None:
    with pytest.raises(DeprecationWarning):
        warnings.warn("a deprecated call", DeprecationWarning, stacklevel=1)


def test_markers_are_strict(request: pytest.FixtureRequest) -> None:
    assert request.config.getoption("strict_markers") is True
