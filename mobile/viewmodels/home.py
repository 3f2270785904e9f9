"""The pupil's home: big tiles for what the teacher assigned and what I may open."""

from __future__ import annotations

import webbrowser
from collections.abc import Callable
from typing import Any

from kivy.properties import ListProperty, StringProperty

from mobile.api import ApiClient, NotFoundError
from mobile.cache import OfflineCache
from mobile.i18n import translator
from mobile.viewmodels.base import Connectivity, Runner, ViewModel, run_now

TILE_COLOURS = ("#2E7D32", "#1565C0", "#AD1457", "#EF6C00", "#6A1B9A", "#00838F")


class PupilHomeViewModel(ViewModel):
    #: {"product_id", "title", "subtitle", "assignment_id", "school_class_id", "colour"}
    tiles = ListProperty([])
    empty_text = StringProperty("")
    last_launch_url = StringProperty("")

    def __init__(
        self,
        api: ApiClient,
        run_in_background: Runner = run_now,
        *,
        cache: OfflineCache,
        open_url: Callable[[str], object] = webbrowser.open,
        connectivity: Connectivity | None = None,
    ) -> None:
        super().__init__(api, run_in_background, connectivity=connectivity)
        self.cache = cache
        self.open_url = open_url
        self.connectivity.bind(online=lambda _c, online: self.load() if online else None)

    def load(self) -> None:
        def fetch() -> dict[str, Any]:
            return {
                "assignments": _optional(self.api.my_assignments),
                "materials": _optional(self.api.my_materials),
            }

        def ok(lists: dict[str, Any]) -> None:
            self.cache.put("assignments", lists["assignments"])
            self.cache.put("materials", lists["materials"])
            self._show(lists["assignments"], lists["materials"])

        def offline() -> bool:
            assignments, materials = self.cache.get("assignments"), self.cache.get("materials")
            if assignments is None and materials is None:
                return False
            self._show(assignments or [], materials or [])
            return True

        self._run(fetch, ok, retry=self.load, offline=offline)

    def open_tile(self, index: int) -> None:
        tile = self.tiles[index]

        def launch() -> dict[str, Any]:
            return self.api.launch(
                tile["product_id"],
                school_class_id=tile.get("school_class_id") or None,
                assignment_id=tile.get("assignment_id") or None,
            )

        def ok(answer: dict[str, Any]) -> None:
            self.last_launch_url = str(answer["url"])
            self.open_url(self.last_launch_url)
            self.notice = translator.t("opened", title=tile["title"])

        self._run(launch, ok, retry=lambda: self.open_tile(index))

    def _show(self, assignments: list[dict[str, Any]], materials: list[dict[str, Any]]) -> None:
        tiles: list[dict[str, Any]] = []
        seen: set[str] = set()
        for item in assignments:
            seen.add(str(item["product_id"]))
            tiles.append(
                {
                    "product_id": str(item["product_id"]),
                    "title": item["title"],
                    "subtitle": item.get("lesson_title") or translator.t("home_assigned"),
                    "assignment_id": str(item["id"]),
                    "school_class_id": str(item.get("school_class_id") or ""),
                }
            )
        for item in materials:
            if str(item["product_id"]) in seen:
                continue
            tiles.append(
                {
                    "product_id": str(item["product_id"]),
                    "title": item["title"],
                    "subtitle": translator.t("home_mine"),
                    "assignment_id": "",
                    "school_class_id": "",
                }
            )
        for number, tile in enumerate(tiles):
            tile["index"] = number
            tile["colour"] = TILE_COLOURS[number % len(TILE_COLOURS)]
        self.tiles = tiles
        self.empty_text = "" if tiles else translator.t("home_empty")


def _optional(fetch: Callable[[], list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """A list endpoint the server does not have (an older server) reads as empty."""
    try:
        return fetch()
    except NotFoundError:
        return []
