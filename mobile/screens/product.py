from __future__ import annotations

from typing import Any

from mobile.screens import widgets  # noqa: F401
from mobile.screens.base import AppScreen, load_kv


class ProductScreen(AppScreen):
    def on_vm(self, _screen: Any, vm: Any) -> None:
        vm.bind(
            goals=lambda _vm, items: self.fill("goals", "GoalLink", [
                {"goal_id": g["goal_id"], "text": f"{g['code']}  {g['text']}".strip()}
                for g in items
            ], screen=self),
            offers=lambda _vm, items: self.fill(
                "offers", "InfoLine", [{"text": o["text"]} for o in items]
            ),
            reviews=lambda _vm, items: self.fill(
                "reviews", "ReviewLine", [{"stars": r["stars"], "body": r["text"]} for r in items]
            ),
            screenshots=lambda _vm, items: self.fill(
                "screenshots", "Shot", [{"source": s["source"]} for s in items]
            ),
        )  # fmt: skip

    def open_goal(self, goal_id: str) -> None:
        self.router.open_goal(goal_id)

    def class_names(self, classes: list[dict[str, str]]) -> list[str]:
        return [c["name"] for c in classes]

    def offer_names(self, offers: list[dict[str, Any]]) -> list[str]:
        return [o["text"] for o in offers]

    def choose(self, prop: str, values: list[str], text: str) -> None:
        if text in values:
            setattr(self.vm, prop, values.index(text))

    def request_purchase(self, reason: str) -> None:
        """The goal the teacher searched by goes with the request (why this material)."""
        goal_id = self.router.search.goal_id
        self.vm.request_purchase(reason, [goal_id] if goal_id else [])

    def set_quantity(self, text: str) -> None:
        self.vm.quantity = int(text) if text.isdigit() and int(text) > 0 else 1


load_kv(__file__)
