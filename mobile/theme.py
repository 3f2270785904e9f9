"""Colours and sizes the kv files bind to; high contrast and text size change them live."""

from __future__ import annotations

from kivy.event import EventDispatcher
from kivy.metrics import dp, sp
from kivy.properties import BooleanProperty, ColorProperty, NumericProperty
from kivy.utils import get_color_from_hex as hex_colour

NORMAL = {
    "background": "#F7F5F0",
    "surface": "#FFFFFF",
    "text": "#1F2328",
    "muted": "#57606A",
    "primary": "#0B5CAD",
    "primary_text": "#FFFFFF",
    "accent": "#2E7D32",
    "danger": "#B3261E",
    "banner": "#FFF4CE",
    "line": "#D0D7DE",
}
CONTRAST = {
    "background": "#000000",
    "surface": "#000000",
    "text": "#FFFFFF",
    "muted": "#FFFFFF",
    "primary": "#FFD400",
    "primary_text": "#000000",
    "accent": "#FFD400",
    "danger": "#FF6B6B",
    "banner": "#333300",
    "line": "#FFFFFF",
}

TOUCH_DP = 48  # the smallest touch target (dp: converted when used, once a window exists)


class Theme(EventDispatcher):  # type: ignore[misc]
    scale = NumericProperty(1.0)
    high_contrast = BooleanProperty(False)
    background = ColorProperty(hex_colour(NORMAL["background"]))
    surface = ColorProperty(hex_colour(NORMAL["surface"]))
    text = ColorProperty(hex_colour(NORMAL["text"]))
    muted = ColorProperty(hex_colour(NORMAL["muted"]))
    primary = ColorProperty(hex_colour(NORMAL["primary"]))
    primary_text = ColorProperty(hex_colour(NORMAL["primary_text"]))
    accent = ColorProperty(hex_colour(NORMAL["accent"]))
    danger = ColorProperty(hex_colour(NORMAL["danger"]))
    banner = ColorProperty(hex_colour(NORMAL["banner"]))
    line = ColorProperty(hex_colour(NORMAL["line"]))

    def on_high_contrast(self, _instance: object, value: bool) -> None:
        for name, colour in (CONTRAST if value else NORMAL).items():
            setattr(self, name, hex_colour(colour))

    def font(self, size: float, scale: float) -> float:
        """``font_size: theme.font(16, theme.scale)`` binds to the text-size setting."""
        return float(sp(size) * scale)

    def tap(self, scale: float) -> float:
        """A touch-target height that grows with the text: at least 48 dp."""
        return float(max(dp(TOUCH_DP), dp(TOUCH_DP) * scale))


theme = Theme()
