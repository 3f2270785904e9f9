"""The Fælles Mål tree by subject and grade band, and one goal with its materials."""

from __future__ import annotations

from typing import Any

from kivy.properties import DictProperty, ListProperty, NumericProperty, StringProperty

from mobile.api import ApiClient
from mobile.cache import OfflineCache
from mobile.i18n import translator
from mobile.viewmodels.base import Connectivity, Runner, ViewModel, run_now
from mobile.viewmodels.format import product_row

MATERIALS_PER_GOAL = 20


class GoalTreeViewModel(ViewModel):
    #: {"id", "title", "subject"}
    frameworks = ListProperty([])
    subject_index = NumericProperty(0)
    subjects = ListProperty([])
    #: grade bands of the chosen framework ("efter 3. klassetrin" …), "" = all
    bands = ListProperty([])
    band = StringProperty("")
    #: visible rows: {"goal_id", "text", "code", "depth", "has_children", "expanded"}
    rows = ListProperty([])
    tree = DictProperty({})

    def __init__(
        self,
        api: ApiClient,
        run_in_background: Runner = run_now,
        *,
        cache: OfflineCache,
        connectivity: Connectivity | None = None,
    ) -> None:
        super().__init__(api, run_in_background, connectivity=connectivity)
        self.cache = cache
        self._expanded: set[str] = set()

    def load(self) -> None:
        def fetch() -> dict[str, Any]:
            frameworks = self.api.frameworks()
            trees = {f["id"]: self.api.framework_tree(str(f["id"])) for f in frameworks}
            return {"frameworks": frameworks, "trees": trees}

        def ok(data: dict[str, Any]) -> None:
            self.cache.put("goal-trees", data)
            self._show(data)

        def offline() -> bool:
            data = self.cache.get("goal-trees")
            if not isinstance(data, dict):
                return False
            self._show(data)
            return True

        self._run(fetch, ok, retry=self.load, offline=offline)

    def choose_subject(self, index: int) -> None:
        self.subject_index = index
        self.band = ""
        self._expanded.clear()
        self._rebuild()

    def choose_band(self, band: str) -> None:
        self.band = band
        self._rebuild()

    def toggle(self, goal_id: str) -> None:
        if goal_id in self._expanded:
            self._expanded.discard(goal_id)
        else:
            self._expanded.add(goal_id)
        self._rebuild()

    def _show(self, data: dict[str, Any]) -> None:
        self.frameworks = [
            {"id": str(f["id"]), "title": f["title"], "subject": f.get("subject") or f["title"]}
            for f in data["frameworks"]
        ]
        self.subjects = [f["subject"] for f in self.frameworks]
        self.tree = {str(k): v for k, v in data["trees"].items()}
        if self.subject_index >= len(self.frameworks):
            self.subject_index = 0
        self._rebuild()

    def _rebuild(self) -> None:
        if not self.frameworks:
            self.rows, self.bands = [], []
            return
        framework = self.frameworks[int(self.subject_index)]
        goals = self.tree.get(framework["id"], {}).get("goals", [])
        bands: set[str] = set()
        _collect_bands(goals, bands)
        self.bands = ["", *sorted(bands, key=_band_order)]
        rows: list[dict[str, Any]] = []
        self._flatten(goals, 0, rows)
        self.rows = rows

    def _flatten(self, goals: list[dict[str, Any]], depth: int, rows: list[dict[str, Any]]) -> None:
        for goal in goals:
            band = goal.get("grade_band")
            if self.band and band and band != self.band:
                continue
            goal_id = str(goal["id"])
            children = goal.get("children", [])
            if self.band and not band and children and not _has_band(children, self.band):
                continue
            expanded = goal_id in self._expanded
            code = goal.get("human_code") or ""
            rows.append(
                {
                    "goal_id": goal_id,
                    "text": goal["full_statement"],
                    "code": code,
                    "band_text": band or "",
                    "depth": depth,
                    "has_children": bool(children),
                    "expanded": expanded,
                    "marker": ("−" if expanded else "+") if children else "",
                }
            )
            if expanded:
                self._flatten(children, depth + 1, rows)


def _collect_bands(goals: list[dict[str, Any]], bands: set[str]) -> None:
    for goal in goals:
        if goal.get("grade_band"):
            bands.add(goal["grade_band"])
        _collect_bands(goal.get("children", []), bands)


def _has_band(goals: list[dict[str, Any]], band: str) -> bool:
    return any(g.get("grade_band") == band or _has_band(g.get("children", []), band) for g in goals)


def _band_order(band: str) -> int:
    digits = "".join(ch for ch in band if ch.isdigit())
    return int(digits) if digits else 99


class GoalDetailViewModel(ViewModel):
    goal_id = StringProperty("")
    statement = StringProperty("")
    code = StringProperty("")
    framework_title = StringProperty("")
    band_text = StringProperty("")
    breadcrumb = StringProperty("")
    #: {"goal_id", "text", "code"}
    children = ListProperty([])
    #: product rows (``format.product_row``): tagged to the goal or any goal below it
    materials = ListProperty([])
    materials_text = StringProperty("")

    def __init__(
        self,
        api: ApiClient,
        run_in_background: Runner = run_now,
        *,
        cache: OfflineCache,
        connectivity: Connectivity | None = None,
    ) -> None:
        super().__init__(api, run_in_background, connectivity=connectivity)
        self.cache = cache

    def load(self, goal_id: str) -> None:
        self.goal_id = goal_id

        def fetch() -> dict[str, Any]:
            detail = self.api.goal(goal_id)
            page = self.api.search_products(
                [("goal", goal_id), ("limit", MATERIALS_PER_GOAL), ("facets", "subject")]
            )
            return {"detail": detail, "materials": page}

        def ok(data: dict[str, Any]) -> None:
            self.cache.put(f"goal-{goal_id}", data)
            self._show(data)

        def offline() -> bool:
            data = self.cache.get(f"goal-{goal_id}")
            if not isinstance(data, dict):
                return False
            self._show(data)
            return True

        self._run(fetch, ok, retry=lambda: self.load(goal_id), offline=offline)

    def _show(self, data: dict[str, Any]) -> None:
        detail, page = data["detail"], data["materials"]
        goal = detail["goal"]
        self.statement = goal["full_statement"]
        self.code = goal.get("human_code") or ""
        self.band_text = goal.get("grade_band") or ""
        self.framework_title = detail["framework"]["title"]
        self.breadcrumb = " › ".join(a["full_statement"] for a in detail.get("ancestors", []))
        self.children = [
            {
                "goal_id": str(c["id"]),
                "text": c["full_statement"],
                "code": c.get("human_code") or "",
            }
            for c in detail.get("children", [])
        ]
        self.materials = [product_row(hit) for hit in page["items"]]
        total = int(page["total"])
        self.materials_text = (
            translator.t("goal_none")
            if total == 0
            else translator.t("search_one_result")
            if total == 1
            else translator.t("search_results", count=total)
        )
