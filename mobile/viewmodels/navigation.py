"""Which screen is showing, and the way back."""

from __future__ import annotations

from kivy.event import EventDispatcher
from kivy.properties import ListProperty, StringProperty


class NavigationViewModel(EventDispatcher):  # type: ignore[misc]
    current = StringProperty("signin")
    history = ListProperty([])

    def go(self, name: str) -> None:
        if name != self.current:
            self.history = [*self.history, self.current]
            self.current = name

    def tab(self, name: str) -> None:
        """A top-level tab: no way back past it."""
        self.history = []
        self.current = name

    def back(self) -> bool:
        if not self.history:
            return False
        *rest, last = self.history
        self.history = rest
        self.current = last
        return True
