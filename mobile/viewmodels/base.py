"""What every view-model shares: busy/error state, the background runner, connectivity."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, Protocol

from kivy.event import EventDispatcher
from kivy.properties import BooleanProperty, StringProperty

from mobile.api import ApiClient, ApiError, Offline, SignInRequired, TimedOut
from mobile.i18n import translator

log = logging.getLogger(__name__)

Done = Callable[[Any, BaseException | None], None]
Runner = Callable[[Callable[[], Any], Done], None]

PROBE_SECONDS = 10.0


def run_now(work: Callable[[], Any], done: Done) -> None:
    """The runner for tests and scripts: work and callback at once, on this thread."""
    try:
        result = work()
    except BaseException as error:  # handed to ``done``, as a thread would
        done(None, error)
        return
    done(result, None)


class ClockEvent(Protocol):
    def cancel(self) -> None: ...


class Scheduler(Protocol):
    """Kivy's ``Clock`` fits; tests pass a fake they advance by hand (no sleeping)."""

    def schedule_once(self, callback: Callable[[float], Any], timeout: float = 0) -> Any: ...

    def schedule_interval(self, callback: Callable[[float], Any], timeout: float) -> Any: ...


class Connectivity(EventDispatcher):  # type: ignore[misc]
    """Online or not, as the last call found; while offline it probes ``/health`` and, when
    the server answers again, sets ``online`` (view-models bound to it refresh: the sync)."""

    online = BooleanProperty(True)

    def __init__(
        self, api: ApiClient | None = None, run_in_background: Runner = run_now, clock: Any = None
    ) -> None:
        super().__init__()
        self.api = api
        self.run_in_background = run_in_background
        self.clock = clock
        self._probe: Any = None

    def report_offline(self) -> None:
        if self.online:
            self.online = False
        if self._probe is None and self.clock is not None and self.api is not None:
            self._probe = self.clock.schedule_interval(lambda _dt: self.probe(), PROBE_SECONDS)

    def report_online(self) -> None:
        if self._probe is not None:
            self._probe.cancel()
            self._probe = None
        if not self.online:
            self.online = True

    def probe(self) -> None:
        api = self.api
        if api is None:
            return

        def done(_result: Any, error: BaseException | None) -> None:
            if error is None:
                self.report_online()

        self.run_in_background(api.health, done)


class ViewModel(EventDispatcher):  # type: ignore[misc]
    busy = BooleanProperty(False)
    #: a Danish message for the user; "" when all is well
    error = StringProperty("")
    #: the error has a way on: "Prøv igen" repeats the last intent
    can_retry = BooleanProperty(False)
    #: a short confirmation ("Prøveperioden er startet …")
    notice = StringProperty("")
    #: showing cached data because the server cannot be reached
    showing_cached = BooleanProperty(False)

    def __init__(
        self,
        api: ApiClient,
        run_in_background: Runner = run_now,
        *,
        connectivity: Connectivity | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.api = api
        self.run_in_background = run_in_background
        self.connectivity = connectivity or Connectivity()
        self._retry: Callable[[], None] | None = None

    def _run(
        self,
        work: Callable[[], Any],
        on_ok: Callable[[Any], None],
        *,
        retry: Callable[[], None] | None = None,
        offline: Callable[[], bool] | None = None,
        on_error: Callable[[ApiError], None] | None = None,
    ) -> None:
        """Run ``work`` in the background; errors become ``error`` (Danish), never raise.

        ``offline`` is tried when the server cannot be reached: it shows cached data and
        returns True when it had some (then the banner says offline and no error is shown).
        """
        self.busy = True
        self.error = ""
        self.notice = ""
        self._retry = retry

        def done(result: Any, error: BaseException | None) -> None:
            self.busy = False
            if error is None:
                self.connectivity.report_online()
                self.showing_cached = False
                self.can_retry = False
                on_ok(result)
                return
            if isinstance(error, Offline | TimedOut):
                self.connectivity.report_offline()
                if offline is not None and offline():
                    self.showing_cached = True
                    return
            if isinstance(error, ApiError):
                if on_error is not None:
                    on_error(error)
                self.error = error.message
                self.can_retry = retry is not None and not isinstance(error, SignInRequired)
                return
            log.exception("unexpected error in a view-model", exc_info=error)
            self.error = translator.t("err_unexpected")
            self.can_retry = retry is not None

        self.run_in_background(work, done)

    def retry(self) -> None:
        if self._retry is not None:
            self._retry()

    def dismiss(self) -> None:
        self.error = ""
        self.notice = ""
