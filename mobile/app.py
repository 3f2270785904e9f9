"""The composition root: ``SkolehyldeApp.build()`` makes every object once and wires them.

``python -m mobile`` (or ``make app``) runs it. ``SKOLEHYLDE_URL`` names the server
(default ``http://127.0.0.1:8000``, what ``make run`` serves).
"""

from __future__ import annotations

import os
import threading
import webbrowser
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from kivy.app import App
from kivy.clock import Clock
from kivy.core.text import LabelBase
from kivy.core.window import Window

from mobile import auth
from mobile.api import ApiClient, Tokens
from mobile.cache import OfflineCache
from mobile.i18n import translator
from mobile.router import Router
from mobile.screens.approvals import ApprovalsScreen
from mobile.screens.goal import GoalScreen
from mobile.screens.goals import GoalsScreen
from mobile.screens.home import HomeScreen
from mobile.screens.product import ProductScreen
from mobile.screens.search import SearchScreen
from mobile.screens.settings import SettingsScreen
from mobile.screens.shell import Shell
from mobile.screens.signin import SignInScreen
from mobile.theme import theme
from mobile.viewmodels.approvals import ApprovalsViewModel
from mobile.viewmodels.base import Connectivity, Done
from mobile.viewmodels.goals import GoalDetailViewModel, GoalTreeViewModel
from mobile.viewmodels.home import PupilHomeViewModel
from mobile.viewmodels.navigation import NavigationViewModel
from mobile.viewmodels.product import ProductViewModel
from mobile.viewmodels.search import SearchViewModel
from mobile.viewmodels.session import SessionViewModel
from mobile.viewmodels.settings import SettingsViewModel

DEFAULT_SERVER = "http://127.0.0.1:8000"
SYMBOL_FONTS = ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",)


def register_fonts() -> None:
    """Kivy's Roboto has æ, ø, å; stars and ✓/✕ come from DejaVu Sans where it is installed
    (``fonts-dejavu-core``), else from Roboto (then they show as boxes, nothing worse)."""
    for path in SYMBOL_FONTS:
        if Path(path).exists():
            LabelBase.register("DejaVuSans", path)
            return
    LabelBase.register("DejaVuSans", "data/fonts/Roboto-Regular.ttf")


class BackgroundRunner:
    """``run_in_background`` for the app: a small thread pool; ``done`` on the UI thread."""

    def __init__(self, workers: int = 4) -> None:
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="skolehylde")

    def __call__(self, work: Callable[[], Any], done: Done) -> None:
        def job() -> None:
            try:
                result = work()
            except BaseException as error:  # handed to the view-model
                failure = error  # ``error`` is unbound after the except block
                Clock.schedule_once(lambda _dt: done(None, failure))
                return
            Clock.schedule_once(lambda _dt: done(result, None))

        self._pool.submit(job)

    def shutdown(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


def on_ui_thread(callback: Callable[[], None]) -> Callable[[], None]:
    def call() -> None:
        if threading.current_thread() is threading.main_thread():
            callback()
        else:
            Clock.schedule_once(lambda _dt: callback())

    return call


class SkolehyldeApp(App):  # type: ignore[misc]
    title = "Skolehylde"

    def __init__(
        self,
        *,
        server_url: str | None = None,
        data_dir: str | None = None,
        runner: Callable[[Callable[[], Any], Done], None] | None = None,
        token_store: auth.TokenStore | None = None,
        open_url: Callable[[str], object] = webbrowser.open,
        browser_sign_in: Callable[[ApiClient], Tokens] | None = None,
        scanner: auth.BadgeScanner | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.server_url = server_url or os.environ.get("SKOLEHYLDE_URL", DEFAULT_SERVER)
        self._data_dir = data_dir
        self._runner = runner
        self._token_store = token_store
        self._open_url = open_url
        self._browser_sign_in = browser_sign_in
        self._scanner = scanner

    def build(self) -> Shell:
        register_fonts()
        data = Path(self._data_dir or self.user_data_dir)
        cache = OfflineCache(data / "cache")
        runner = self._runner or BackgroundRunner()
        self.runner = runner
        api = ApiClient(self.server_url)
        self.api = api
        connectivity = Connectivity(api, runner, Clock)
        self.settings_vm = SettingsViewModel(cache=cache, translator=translator, theme=theme)
        store = self._token_store or auth.secure_token_store(data)
        session = SessionViewModel(
            api, runner, cache=cache, token_store=store, scanner=self._scanner,
            browser_sign_in=self._browser_sign_in or (
                lambda client: auth.platform_sign_in(client, self._open_url)
            ),
            connectivity=connectivity,
        )  # fmt: skip
        api.on_tokens = store.save
        api.on_signed_out = on_ui_thread(session.signed_out_by_server)
        home = PupilHomeViewModel(
            api, runner, cache=cache, open_url=self._open_url, connectivity=connectivity
        )
        search = SearchViewModel(api, runner, clock=Clock, connectivity=connectivity)
        goals = GoalTreeViewModel(api, runner, cache=cache, connectivity=connectivity)
        goal = GoalDetailViewModel(api, runner, cache=cache, connectivity=connectivity)
        product = ProductViewModel(
            api, runner, cache=cache, classes=lambda: list(session.classes),
            open_url=self._open_url, connectivity=connectivity,
        )  # fmt: skip
        approvals = ApprovalsViewModel(api, runner, connectivity=connectivity)
        nav = NavigationViewModel()
        router = Router(
            nav=nav, session=session, home=home, search=search, goals=goals, goal=goal,
            product=product, approvals=approvals,
        )  # fmt: skip
        self.session, self.router, self.nav = session, router, nav
        self.viewmodels = {
            "signin": session, "home": home, "search": search, "goals": goals, "goal": goal,
            "product": product, "approvals": approvals, "settings": self.settings_vm,
        }  # fmt: skip
        screens = [
            SignInScreen(vm=session, router=router),
            HomeScreen(vm=home, router=router),
            SearchScreen(vm=search, router=router),
            GoalsScreen(vm=goals, router=router),
            GoalScreen(vm=goal, router=router),
            ProductScreen(vm=product, router=router),
            ApprovalsScreen(vm=approvals, router=router),
            SettingsScreen(vm=self.settings_vm, router=router),
        ]
        shell = Shell(screens, nav=nav, router=router, session=session, connectivity=connectivity)
        Window.bind(on_keyboard=self._on_key)
        session.restore()
        return shell

    def _on_key(self, _window: Any, key: int, *_args: Any) -> bool:
        if key == 27:  # Esc / Android back: back a screen, else let Kivy close the app
            return bool(self.nav.back())
        return False

    def on_stop(self) -> None:
        shutdown = getattr(self.runner, "shutdown", None)
        if shutdown is not None:
            shutdown()


def main() -> None:
    SkolehyldeApp().run()
