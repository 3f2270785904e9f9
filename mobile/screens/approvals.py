from __future__ import annotations

from typing import Any

from mobile.screens import widgets  # noqa: F401
from mobile.screens.base import AppScreen, load_kv


class ApprovalsScreen(AppScreen):
    def on_vm(self, _screen: Any, vm: Any) -> None:
        vm.bind(
            requests=lambda _vm, items: self.fill("requests", "RequestRowView", items, owner=vm)
        )


load_kv(__file__)
