"""Driving the real app offscreen: build it, resize the window, pump frames, screenshot,
and check the widget tree (text present, touch targets, nothing outside the window)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from kivy.base import EventLoop
from kivy.clock import Clock
from kivy.core.window import Window
from kivy.metrics import dp
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.label import Label
from kivy.uix.textinput import TextInput
from kivy.uix.widget import Widget

PHONE = (360, 640)
TABLET = (1280, 800)
SIZES = {"phone": PHONE, "tablet": TABLET}


def pump(frames: int = 6) -> None:
    for _ in range(frames):
        Clock.tick()
        EventLoop.idle()


def resize(size: tuple[int, int]) -> None:
    Window.size = size
    pump(8)


def screenshot(target: Path) -> Path:
    """``Window.screenshot`` appends a counter to the name; move the file where we want it."""
    target.parent.mkdir(parents=True, exist_ok=True)
    pump(4)
    written = Window.screenshot(str(target.with_name(target.stem + "-tmp.png")))
    shutil.move(written, target)
    return target


def walk(widget: Widget) -> Iterator[Widget]:
    yield widget
    for child in widget.children:
        yield from walk(child)


def shown(widget: Widget) -> bool:
    """On screen for the user: every ancestor visible, not disabled, not zero-sized."""
    node: Any = widget
    while node is not None and node is not Window:
        if getattr(node, "opacity", 1) == 0 or node.width <= 0 or node.height <= 0:
            return False
        if getattr(node, "disabled", False):
            return False
        node = node.parent
    return True


def texts(root: Widget) -> list[str]:
    return [w.text for w in walk(root) if isinstance(w, Label | TextInput) and shown(w) and w.text]


def small_targets(root: Widget) -> list[str]:
    """What the user can touch (buttons, rows, fields) that is smaller than 48 × 48 dp."""
    found = []
    for widget in walk(root):
        if not isinstance(widget, ButtonBehavior | TextInput) or not shown(widget):
            continue
        if widget.height < dp(48) - 0.5 or widget.width < dp(48) - 0.5:
            label = getattr(widget, "text", "")
            found.append(f"{type(widget).__name__}({label!r}) {tuple(widget.size)}")
    return found


def outside_window(root: Widget) -> list[str]:
    """Shown widgets whose box leaves the window (not counting scrolled content)."""
    from kivy.uix.scrollview import ScrollView

    found = []

    def visit(widget: Widget, clipped: bool) -> None:
        if not shown(widget):
            return
        if not clipped:
            x, y = widget.to_window(widget.x, widget.y)
            right, top = x + widget.width, y + widget.height
            if x < -1 or y < -1 or right > Window.width + 1 or top > Window.height + 1:
                found.append(f"{type(widget).__name__} at {(x, y, right, top)}")
        for child in widget.children:
            visit(child, clipped or isinstance(widget, ScrollView))

    visit(root, False)
    return found
