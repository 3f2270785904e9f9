"""Who is signed in: sign-in (browser, badge), restore from storage, sign-out."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kivy.properties import BooleanProperty, ListProperty, StringProperty

from mobile import auth
from mobile.api import ApiClient, SignInRequired, Tokens
from mobile.cache import OfflineCache
from mobile.i18n import translator
from mobile.viewmodels.base import Connectivity, Runner, ViewModel, run_now

TEACHING_ROLES = frozenset({"teacher", "school_leader"})
APPROVING_ROLES = frozenset({"school_leader", "municipal_buyer"})


class SessionViewModel(ViewModel):
    signed_in = BooleanProperty(False)
    waiting_for_browser = BooleanProperty(False)
    display_name = StringProperty("")
    role = StringProperty("")  # the main role: pupil, teacher, school_leader, municipal_buyer…
    is_pupil = BooleanProperty(False)
    is_teacher = BooleanProperty(False)
    can_approve = BooleanProperty(False)
    school_id = StringProperty("")
    municipality_code = StringProperty("")
    class_id = StringProperty("")
    #: the classes a teacher may choose for a trial or a purchase: {"id", "name"}
    classes = ListProperty([])
    camera_available = BooleanProperty(False)

    def __init__(
        self,
        api: ApiClient,
        run_in_background: Runner = run_now,
        *,
        cache: OfflineCache,
        token_store: auth.TokenStore,
        scanner: auth.BadgeScanner | None = None,
        browser_sign_in: Callable[[ApiClient], Tokens] = auth.browser_sign_in,
        connectivity: Connectivity | None = None,
    ) -> None:
        super().__init__(api, run_in_background, connectivity=connectivity)
        self.cache = cache
        self.token_store = token_store
        self.scanner = scanner or auth.NoCamera()
        self.camera_available = bool(self.scanner.available)
        self._browser_sign_in = browser_sign_in

    # -- intents ----------------------------------------------------------------------------

    def restore(self) -> None:
        """At start: tokens from storage → who am I (cached when offline)."""
        tokens = self.token_store.load()
        if tokens is None:
            return
        self.api.tokens = tokens
        cached = self.cache.get("me")
        if isinstance(cached, dict):
            self._apply_me(cached)  # the app opens at once, also offline
        self._load_me()

    def sign_in_with_browser(self) -> None:
        self.waiting_for_browser = True

        def failed(_error: Any) -> None:
            self.waiting_for_browser = False

        self._run(
            lambda: self._fetch_me_after(lambda: self._browser_sign_in(self.api)),
            self._signed_in,
            retry=self.sign_in_with_browser,
            on_error=failed,
        )

    def sign_in_with_badge(self, code: str) -> None:
        code = code.strip()
        if not code:
            self.error = translator.t("signin_badge_empty")
            return
        self._run(
            lambda: self._fetch_me_after(lambda: auth.badge_sign_in(self.api, code)),
            self._signed_in,
        )

    def scan_badge(self) -> None:
        self.scanner.scan(self.sign_in_with_badge)

    def sign_out(self) -> None:
        def done(_result: Any, _error: BaseException | None) -> None:
            pass

        tokens = self.api.tokens
        self.api.tokens = None  # at once: nothing else is sent with them from now on
        self.run_in_background(lambda: self.api.revoke(tokens), done)
        self.token_store.save(None)
        self.cache.clear_personal()
        self._clear()

    def signed_out_by_server(self) -> None:
        """The API could not renew the session: back to sign-in with a message."""
        self.token_store.save(None)
        self._clear()
        self.error = translator.t("err_signed_out")

    # -- helpers ----------------------------------------------------------------------------

    def _fetch_me_after(self, sign_in: Callable[[], Tokens]) -> dict[str, Any]:
        sign_in()
        return self._fetch_me()

    def _fetch_me(self) -> dict[str, Any]:
        me = self.api.me()
        roles = (me.get("user") or {}).get("roles", [])
        schools = {r["school_id"] for r in roles if r.get("school_id") and r["role"] == "teacher"}
        classes: list[dict[str, Any]] = []
        for school_id in sorted(schools):
            classes.extend(
                {"id": str(c["id"]), "name": c["name"]}
                for c in self.api.school_classes(school_id)
                if c.get("active", True)
            )
        me["classes"] = classes
        return me

    def _load_me(self) -> None:
        def offline() -> bool:
            return isinstance(self.cache.get("me"), dict)

        def refused(error: Any) -> None:
            if isinstance(error, SignInRequired):
                self.signed_out_by_server()

        self._run(self._fetch_me, self._signed_in, offline=offline, on_error=refused)

    def _signed_in(self, me: dict[str, Any]) -> None:
        self.waiting_for_browser = False
        self.cache.put("me", me)
        self._apply_me(me)

    def _apply_me(self, me: dict[str, Any]) -> None:
        user = me.get("user") or {}
        roles = [r["role"] for r in user.get("roles", [])]
        main = next((r for r in user.get("roles", []) if r["role"] != "pupil"), None)
        first = main or (user.get("roles") or [{}])[0]
        self.display_name = str(user.get("display_name", ""))
        self.role = str(first.get("role", ""))
        self.is_pupil = roles == ["pupil"] or (bool(roles) and set(roles) == {"pupil"})
        self.is_teacher = bool(TEACHING_ROLES & set(roles))
        self.can_approve = bool(APPROVING_ROLES & set(roles))
        self.school_id = str(first.get("school_id") or "")
        self.municipality_code = str(first.get("municipality_code") or "")
        self.class_id = str(first.get("class_id") or "")
        self.classes = list(me.get("classes", []))
        self.token_store.save(self.api.tokens)
        self.signed_in = True

    def _clear(self) -> None:
        self.signed_in = False
        self.waiting_for_browser = False
        self.display_name = self.role = self.school_id = ""
        self.municipality_code = self.class_id = ""
        self.is_pupil = self.is_teacher = self.can_approve = False
        self.classes = []
