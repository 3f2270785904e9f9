from __future__ import annotations

from mobile.screens import widgets  # noqa: F401  # the shared kv rules
from mobile.screens.base import AppScreen, load_kv


class SignInScreen(AppScreen):
    pass


load_kv(__file__)
