"""What every screen has: its view-model and the router (given by the composition root)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from kivy.factory import Factory
from kivy.lang import Builder
from kivy.properties import ObjectProperty
from kivy.uix.screenmanager import Screen


class AppScreen(Screen):  # type: ignore[misc]
    vm = ObjectProperty()
    router = ObjectProperty()

    def fill(self, container_id: str, rule: str, items: list[dict[str, Any]], **extra: Any) -> None:
        """Short, non-scrolling lists inside a page (goals, offers): one kv rule per item.
        Long lists are RecycleViews of plain dicts instead."""
        container = self.ids[container_id]
        container.clear_widgets()
        make: Callable[..., Any] = getattr(Factory, rule)
        for item in items:
            widget = make()  # kv dynamic classes take their own properties only after init
            for key, value in {**item, **extra}.items():
                setattr(widget, key, value)
            container.add_widget(widget)


def load_kv(module_file: str) -> None:
    """Load ``<name>.kv`` beside ``<name>.py`` once."""
    path = str(Path(module_file).with_suffix(".kv"))
    if path not in Builder.files:
        Builder.load_file(path)
