from __future__ import annotations

from typing import Any

from mobile.screens import widgets  # noqa: F401
from mobile.screens.base import AppScreen, load_kv


class HomeScreen(AppScreen):
    session = None

    def row_tapped(self, row: Any) -> None:
        self.vm.open_tile(int(row.index))


load_kv(__file__)
