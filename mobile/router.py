"""Moves between screens and starts the loads that go with them (no widgets here)."""

from __future__ import annotations

from typing import Any

from mobile.viewmodels.approvals import ApprovalsViewModel
from mobile.viewmodels.goals import GoalDetailViewModel, GoalTreeViewModel
from mobile.viewmodels.home import PupilHomeViewModel
from mobile.viewmodels.navigation import NavigationViewModel
from mobile.viewmodels.product import ProductViewModel
from mobile.viewmodels.search import SearchViewModel
from mobile.viewmodels.session import SessionViewModel


class Router:
    def __init__(
        self,
        *,
        nav: NavigationViewModel,
        session: SessionViewModel,
        home: PupilHomeViewModel,
        search: SearchViewModel,
        goals: GoalTreeViewModel,
        goal: GoalDetailViewModel,
        product: ProductViewModel,
        approvals: ApprovalsViewModel,
    ) -> None:
        self.nav, self.session, self.home, self.search = nav, session, home, search
        self.goals, self.goal, self.product, self.approvals = goals, goal, product, approvals
        session.bind(signed_in=self._signed_in_changed)

    def start_tab(self) -> str:
        if self.session.can_approve:
            return "approvals"
        if self.session.is_pupil:
            return "home"
        return "search"

    def tabs(self) -> list[str]:
        if not self.session.signed_in:
            return []
        if self.session.is_pupil:
            return ["home", "goals", "settings"]
        if self.session.can_approve:
            return ["approvals", "search", "goals", "settings"]
        return ["search", "goals", "home", "settings"]

    def tab(self, name: str) -> None:
        self.nav.tab(name)
        if name == "home":
            self.home.load()
        elif name == "goals" and not self.goals.frameworks:
            self.goals.load()
        elif name == "search" and not self.search.results:
            self.search.submit_search()
        elif name == "approvals":
            self.approvals.load(
                self.session.school_id, self.session.municipality_code, self.session.role
            )

    def open_product(self, product_id: str) -> None:
        self.product.load(product_id)
        self.nav.go("product")

    def open_goal(self, goal_id: str) -> None:
        self.goal.load(goal_id)
        self.nav.go("goal")

    def search_for_goal(self, goal_id: str, label: str) -> None:
        self.search.set_goal(goal_id, label)
        self.nav.tab("search")

    def back(self) -> None:
        self.nav.back()

    def _signed_in_changed(self, _session: Any, signed_in: bool) -> None:
        if signed_in:
            self.tab(self.start_tab())
        else:
            self.nav.tab("signin")
