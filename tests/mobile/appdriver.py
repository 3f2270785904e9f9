"""The whole app (composition root and all) built offscreen against a server, driven the way
a user drives it: sign in, tap tabs, type, then screenshots and widget-tree checks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kivy.core.window import Window

from gui import pump
from liveserver import browser_for
from mobile import auth
from mobile.api import ApiClient, Tokens
from mobile.app import SkolehyldeApp
from mobile.i18n import translator
from mobile.viewmodels.base import run_now


class AppDriver:
    def __init__(self, base_url: str, data_dir: Path, transport: Any = None) -> None:
        translator.lang = "da"
        self.base_url = base_url
        self.username = ""
        self.opened: list[str] = []
        self.app = SkolehyldeApp(
            server_url=base_url,
            data_dir=str(data_dir),
            runner=run_now,
            token_store=auth.MemoryTokenStore(),
            open_url=self.opened.append,
            browser_sign_in=self._browser_sign_in,
        )
        self.root = self.app.build()
        self.app.root = self.root
        if transport is not None:
            self.app.api.transport = transport
        Window.add_widget(self.root)
        pump()

    @property
    def api(self) -> ApiClient:
        return self.app.api

    def vm(self, name: str) -> Any:
        return self.app.viewmodels[name]

    def screen(self, name: str) -> Any:
        return self.root.ids.manager.get_screen(name)

    def _browser_sign_in(self, api: ApiClient) -> Tokens:
        return auth.browser_sign_in(
            api, open_browser=browser_for(self.base_url, self.username), timeout=20
        )

    def sign_in(self, username: str) -> None:
        self.username = username
        self.app.session.sign_in_with_browser()
        pump()
        assert self.app.session.signed_in, self.app.session.error

    def sign_in_with_badge(self, code: str) -> None:
        screen = self.screen("signin")
        screen.ids.badge_code.text = code
        screen.ids.badge_button.dispatch("on_release")
        pump()

    def sign_out(self) -> None:
        self.app.session.sign_out()
        pump()

    def tab(self, name: str) -> None:
        self.app.router.tab(name)
        pump()

    def close(self) -> None:
        Window.remove_widget(self.root)
        self.app.on_stop()
