from __future__ import annotations

from mobile.screens import widgets  # noqa: F401
from mobile.screens.base import AppScreen, load_kv


class SettingsScreen(AppScreen):
    pass


load_kv(__file__)
