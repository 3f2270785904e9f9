"""Widgets the kv files share (rules in ``widgets.kv``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kivy.lang import Builder
from kivy.properties import BooleanProperty, NumericProperty, ObjectProperty, StringProperty
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.recycleview import RecycleView


class RowList(RecycleView):  # type: ignore[misc]
    """A RecycleView of plain dicts whose rows report taps to ``owner.row_tapped(row)``."""

    owner = ObjectProperty(None, allownone=True)
    #: called with no arguments when the end of the list comes into view
    end_reached = ObjectProperty(None, allownone=True)

    def on_scroll_y(self, _instance: Any, value: float) -> None:
        if value <= 0.02 and self.end_reached is not None and self.data:
            self.end_reached()


class Row(ButtonBehavior, BoxLayout):  # type: ignore[misc]
    """Base of tappable list rows; the dict keys of the data become these properties."""

    index = NumericProperty(0)

    def on_release(self) -> None:
        owner = self._owner()
        if owner is not None:
            owner.row_tapped(self)

    def _owner(self) -> Any:
        widget = self.parent
        while widget is not None and not isinstance(widget, RowList):
            widget = widget.parent
        return widget.owner if widget is not None else None


class ProductRowView(Row):
    product_id = StringProperty("")
    title = StringProperty("")
    subtitle = StringProperty("")
    price_text = StringProperty("")
    rating_text = StringProperty("")
    trial_text = StringProperty("")


class GoalRowView(Row):
    goal_id = StringProperty("")
    text = StringProperty("")
    code = StringProperty("")
    band_text = StringProperty("")
    depth = NumericProperty(0)
    has_children = BooleanProperty(False)
    expanded = BooleanProperty(False)
    marker = StringProperty("")

    def open_detail(self) -> None:
        owner = self._owner()
        if owner is not None:
            owner.open_goal(self.goal_id)


class FacetRowView(Row):
    kind = StringProperty("value")
    facet = StringProperty("")
    value = StringProperty("")
    label = StringProperty("")
    selected = BooleanProperty(False)


class TileView(Row):
    product_id = StringProperty("")
    title = StringProperty("")
    subtitle = StringProperty("")
    colour = StringProperty("#1565C0")
    assignment_id = StringProperty("")
    school_class_id = StringProperty("")


class RequestRowView(BoxLayout):  # type: ignore[misc]
    request_id = StringProperty("")
    text = StringProperty("")
    reason = StringProperty("")
    owner = ObjectProperty(None, allownone=True)


Builder.load_file(str(Path(__file__).with_name("widgets.kv")))
