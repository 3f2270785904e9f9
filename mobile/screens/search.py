from __future__ import annotations

from typing import Any

from kivy.properties import BooleanProperty

from mobile.screens import widgets
from mobile.screens.base import AppScreen, load_kv


class SearchScreen(AppScreen):
    #: phone only: the filter list is showing instead of the results
    show_filters = BooleanProperty(False)

    def row_tapped(self, row: Any) -> None:
        if isinstance(row, widgets.FacetRowView):
            if row.kind == "value":
                self.vm.toggle_filter(row.facet, row.value)
            return
        self.router.open_product(row.product_id)


load_kv(__file__)
