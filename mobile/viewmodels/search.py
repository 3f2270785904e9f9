"""Search as you type (debounced), facet filters, a goal filter, infinite scroll."""

from __future__ import annotations

from typing import Any

from kivy.properties import (
    BooleanProperty,
    DictProperty,
    ListProperty,
    NumericProperty,
    StringProperty,
)

from mobile.api import ApiClient
from mobile.i18n import translator
from mobile.viewmodels.base import Connectivity, Runner, Scheduler, ViewModel, run_now
from mobile.viewmodels.format import product_row

DEBOUNCE_SECONDS = 0.15  # a pause in typing; short enough for p95 <= 300 ms end to end
PAGE_SIZE = 20
#: the facets the app offers, in this order (names of ``GET /api/v1/products`` parameters)
FACETS = (
    "subject",
    "grade",
    "competence_area",
    "media_type",
    "platform",
    "accessibility",
    "price_band",
    "trial",
)


class SearchViewModel(ViewModel):
    query = StringProperty("")
    #: the query the results shown are for (it lags ``query`` while the user types)
    shown_query = StringProperty("")
    #: rows for the RecycleView: see ``format.product_row``
    results = ListProperty([])
    total = NumericProperty(0)
    summary = StringProperty("")
    #: "no materials match …" when the search found nothing, else ""
    empty_text = StringProperty("")
    has_more = BooleanProperty(False)
    #: facet → [{"value", "label", "count", "selected"}], in ``FACETS`` order
    facets = DictProperty({})
    #: rows for the filter list: a header per facet, then its values
    facet_rows = ListProperty([])
    #: facet → selected values
    filters = DictProperty({})
    goal_id = StringProperty("")
    goal_label = StringProperty("")
    active_filter_count = NumericProperty(0)

    def __init__(
        self,
        api: ApiClient,
        run_in_background: Runner = run_now,
        *,
        clock: Scheduler,
        connectivity: Connectivity | None = None,
        debounce: float = DEBOUNCE_SECONDS,
    ) -> None:
        super().__init__(api, run_in_background, connectivity=connectivity)
        self.clock = clock
        self.debounce = debounce
        self._pending: Any = None
        self._generation = 0
        self._loading_more = False

    # -- intents ----------------------------------------------------------------------------

    def type_text(self, text: str) -> None:
        """A keystroke: search once the user pauses for ``debounce`` seconds."""
        if text == self.query and self._pending is None and self.results:
            return
        self.query = text
        self._generation += 1  # an answer still on its way is for an older text: not shown
        if self._pending is not None:
            self._pending.cancel()
        self._pending = self.clock.schedule_once(lambda _dt: self.submit_search(), self.debounce)

    def submit_search(self) -> None:
        """Search now (from the debounce, a filter change, or "Prøv igen")."""
        if self._pending is not None:
            self._pending.cancel()
            self._pending = None
        self._generation += 1
        generation = self._generation
        params = self._params(offset=0)
        asked = self.query

        def ok(page: dict[str, Any]) -> None:
            if generation != self._generation:
                return  # an older answer arriving after a newer one: drop it
            self.results = [product_row(hit) for hit in page["items"]]
            self.shown_query = asked
            self._page_done(page)
            self._set_facets(page.get("facets", {}))

        self._run(lambda: self.api.search_products(params), ok, retry=self.submit_search)

    def load_more(self) -> None:
        """The end of the list came into view: the next page, once."""
        if not self.has_more or self.busy or self._loading_more:
            return
        self._loading_more = True
        generation = self._generation
        params = self._params(offset=len(self.results))

        def ok(page: dict[str, Any]) -> None:
            self._loading_more = False
            if generation != self._generation:
                return
            self.results = [*self.results, *(product_row(hit) for hit in page["items"])]
            self._page_done(page)

        def failed(_error: Any) -> None:
            self._loading_more = False

        self._run(
            lambda: self.api.search_products(params), ok, retry=self.load_more, on_error=failed
        )

    def toggle_filter(self, facet: str, value: str) -> None:
        chosen = list(self.filters.get(facet, []))
        if value in chosen:
            chosen.remove(value)
        else:
            chosen.append(value)
        filters = dict(self.filters)
        if chosen:
            filters[facet] = chosen
        else:
            filters.pop(facet, None)
        self.filters = filters
        self._count_filters()
        self.submit_search()

    def set_goal(self, goal_id: str, label: str) -> None:
        self.goal_id, self.goal_label = goal_id, label
        self._count_filters()
        self.submit_search()

    def clear_filters(self) -> None:
        self.filters = {}
        self.goal_id = self.goal_label = ""
        self._count_filters()
        self.submit_search()

    # -- helpers ----------------------------------------------------------------------------

    def _params(self, offset: int) -> list[tuple[str, Any]]:
        params: list[tuple[str, Any]] = [
            ("q", self.query.strip()),
            ("limit", PAGE_SIZE),
            ("offset", offset),
            ("lang", translator.lang),
        ]
        if offset == 0:
            params.extend(("facets", facet) for facet in FACETS)
        else:
            params.append(("facets", "subject"))  # facets were counted with the first page
        if self.goal_id:
            params.append(("goal", self.goal_id))
        for facet in FACETS:
            for value in self.filters.get(facet, []):
                params.append((facet, value))
        return params

    def _page_done(self, page: dict[str, Any]) -> None:
        self.total = int(page["total"])
        self.has_more = len(self.results) < self.total and bool(page["items"])
        self.empty_text = translator.t("search_none") if self.total == 0 else ""
        if self.total == 0:
            self.summary = translator.t("search_results", count=0)
        elif self.total == 1:
            self.summary = translator.t("search_one_result")
        else:
            self.summary = translator.t("search_results", count=self.total)

    def _set_facets(self, facets: dict[str, list[dict[str, Any]]]) -> None:
        shown: dict[str, list[dict[str, Any]]] = {}
        rows: list[dict[str, Any]] = []
        for facet in FACETS:
            chosen = set(self.filters.get(facet, []))
            values = [
                {**value, "selected": value["value"] in chosen} for value in facets.get(facet, [])
            ]
            if facet == "grade":
                values.sort(key=lambda v: int(v["value"]) if v["value"].isdigit() else 99)
            if not values:
                continue
            shown[facet] = values
            rows.append({"kind": "header", "facet": facet, "value": "", "selected": False,
                         "label": translator.t(f"facet_{facet}")})  # fmt: skip
            rows.extend(
                {
                    "kind": "value",
                    "facet": facet,
                    "value": v["value"],
                    "selected": v["selected"],
                    "label": f"{v['label']} ({v['count']})",
                }
                for v in values
            )
        self.facets = shown
        self.facet_rows = rows

    def _count_filters(self) -> None:
        self.active_filter_count = sum(len(v) for v in self.filters.values()) + bool(self.goal_id)
