from __future__ import annotations

from typing import Any

from mobile.screens import widgets  # noqa: F401
from mobile.screens.base import AppScreen, load_kv


class GoalsScreen(AppScreen):
    def row_tapped(self, row: Any) -> None:
        if row.has_children:
            self.vm.toggle(row.goal_id)
        else:
            self.router.open_goal(row.goal_id)

    def open_goal(self, goal_id: str) -> None:
        self.router.open_goal(goal_id)

    def band_label(self, band: str, _lang: str) -> str:
        from mobile.i18n import translator

        return band or translator.t("goals_band_all")


load_kv(__file__)
