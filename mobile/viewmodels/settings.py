"""Language, text size and contrast; kept on the device."""

from __future__ import annotations

from typing import Any

from kivy.event import EventDispatcher
from kivy.properties import BooleanProperty, NumericProperty, OptionProperty, StringProperty

from mobile.cache import OfflineCache
from mobile.i18n import Translator
from mobile.theme import Theme

TEXT_SIZES = (1.0, 1.25, 1.5)


class SettingsViewModel(EventDispatcher):  # type: ignore[misc]
    lang = OptionProperty("da", options=["da", "en"])
    text_scale = NumericProperty(1.0)
    high_contrast = BooleanProperty(False)
    # the message bar's contract (settings never fail)
    error = StringProperty("")
    notice = StringProperty("")
    can_retry = BooleanProperty(False)

    def __init__(self, *, cache: OfflineCache, translator: Translator, theme: Theme) -> None:
        super().__init__()
        self.cache = cache
        self.translator = translator
        self.theme = theme
        saved = cache.get("settings")
        if isinstance(saved, dict):
            self.lang = saved.get("lang", "da") if saved.get("lang") in ("da", "en") else "da"
            scale = saved.get("text_scale", 1.0)
            self.text_scale = scale if scale in TEXT_SIZES else 1.0
            self.high_contrast = bool(saved.get("high_contrast", False))
        self._apply()

    def set_language(self, lang: str) -> None:
        self.lang = lang
        self._save()

    def set_text_scale(self, scale: float) -> None:
        self.text_scale = scale if scale in TEXT_SIZES else 1.0
        self._save()

    def set_high_contrast(self, on: bool) -> None:
        self.high_contrast = bool(on)
        self._save()

    def retry(self) -> None:
        pass

    def dismiss(self) -> None:
        self.error = self.notice = ""

    def _save(self) -> None:
        data: dict[str, Any] = {
            "lang": self.lang,
            "text_scale": self.text_scale,
            "high_contrast": self.high_contrast,
        }
        self.cache.put("settings", data)
        self._apply()

    def _apply(self) -> None:
        self.translator.lang = self.lang
        self.theme.scale = self.text_scale
        self.theme.high_contrast = self.high_contrast
