from __future__ import annotations

from typing import Any

from mobile.screens import widgets  # noqa: F401
from mobile.screens.base import AppScreen, load_kv


class GoalScreen(AppScreen):
    def on_vm(self, _screen: Any, vm: Any) -> None:
        vm.bind(children=lambda _vm, items: self.fill("children", "ChildGoalButton", [
            {"goal_id": c["goal_id"], "text": (c["code"] + "  " if c["code"] else "") + c["text"]}
            for c in items
        ], screen=self))  # fmt: skip

    def row_tapped(self, row: Any) -> None:
        self.router.open_product(row.product_id)

    def find_materials(self) -> None:
        self.router.search_for_goal(self.vm.goal_id, self.vm.code or self.vm.statement[:30])

    def open_child(self, goal_id: str) -> None:
        self.router.open_goal(goal_id)


load_kv(__file__)
