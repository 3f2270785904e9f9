"""The frame around every screen: title and back, offline banner, messages, tabs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kivy.lang import Builder
from kivy.properties import BooleanProperty, ListProperty, ObjectProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout

from mobile.i18n import translator

TITLES = {
    "signin": "app_title",
    "home": "home_title",
    "search": "search_title",
    "goals": "goals_title",
    "goal": "goals",
    "product": "product_title",
    "approvals": "approvals_title",
    "settings": "settings_title",
}
TAB_LABELS = {
    "home": "nav_home",
    "search": "nav_search",
    "goals": "nav_goals",
    "approvals": "nav_approvals",
    "settings": "nav_settings",
}


class Shell(BoxLayout):  # type: ignore[misc]
    nav = ObjectProperty()
    router = ObjectProperty()
    session = ObjectProperty()
    connectivity = ObjectProperty()
    #: the view-model of the screen showing (its error/notice fill the message bar)
    active_vm = ObjectProperty(None, allownone=True)
    title = StringProperty("")
    tabs = ListProperty([])
    #: the active view-model's error or notice, for the message bar
    message = StringProperty("")
    message_is_error = BooleanProperty(False)
    message_can_retry = BooleanProperty(False)

    def __init__(self, screens: list[Any], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        for screen in screens:
            self.ids.manager.add_widget(screen)
        self.nav.bind(current=self._show)
        self.session.bind(signed_in=self._update_tabs, role=self._update_tabs)
        translator.bind(lang=lambda *_: self._show(self.nav, self.nav.current))
        self._show(self.nav, self.nav.current)

    def _show(self, _nav: Any, name: str) -> None:
        manager = self.ids.manager
        manager.transition.direction = "left"
        manager.current = name
        vm = getattr(manager.current_screen, "vm", None)
        if vm is not self.active_vm:
            if self.active_vm is not None:
                self.active_vm.unbind(
                    error=self._message, notice=self._message, can_retry=self._message
                )
            if vm is not None:
                vm.bind(error=self._message, notice=self._message, can_retry=self._message)
            self.active_vm = vm
        self._message()
        self.title = translator.t(TITLES.get(name, "app_title"))
        self._update_tabs()

    def _message(self, *_args: Any) -> None:
        vm = self.active_vm
        error, notice = (vm.error, vm.notice) if vm is not None else ("", "")
        self.message = error or notice
        self.message_is_error = bool(error)
        self.message_can_retry = bool(error) and bool(getattr(vm, "can_retry", False))

    def retry(self) -> None:
        if self.active_vm is not None:
            self.active_vm.retry()

    def dismiss(self) -> None:
        if self.active_vm is not None:
            self.active_vm.dismiss()

    def _update_tabs(self, *_args: Any) -> None:
        self.tabs = [
            {"name": name, "label": translator.t(TAB_LABELS[name])} for name in self.router.tabs()
        ]

    def tab_label(self, index: int, tabs: list[dict[str, str]]) -> str:
        return tabs[index]["label"] if index < len(tabs) else ""


Builder.load_file(str(Path(__file__).with_name("shell.kv")))
