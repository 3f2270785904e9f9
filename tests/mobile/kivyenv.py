"""Kivy headless: the environment must be set before the first ``import kivy``."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile

KIVY_ENV = {
    "SDL_VIDEODRIVER": "offscreen",
    "KIVY_NO_ARGS": "1",
    "KIVY_NO_FILELOG": "1",
    "KIVY_NO_CONSOLELOG": "1",
    "KIVY_LOG_MODE": "PYTHON",
    "KIVY_CLIPBOARD": "sdl2",
}


def set_kivy_env() -> None:
    for key, value in KIVY_ENV.items():
        os.environ.setdefault(key, value)
    os.environ.setdefault("KIVY_HOME", tempfile.mkdtemp(prefix="skolehylde-kivy-"))
    # Offscreen SDL keeps the first window's height for the GL viewport: start at the
    # largest size we render (the tablet) and shrink from there, never grow.
    from kivy.config import Config

    Config.set("graphics", "width", "1280")
    Config.set("graphics", "height", "800")


def gl_probe() -> str | None:
    """None when an offscreen GL window opens; else why not. In a subprocess, because a
    failed GL init makes Kivy exit the whole process (code 102)."""
    set_kivy_env()
    code = "from kivy.core.window import Window; Window.size = (64, 64); print('ok')"
    try:
        done = subprocess.run(
            [sys.executable, "-c", code],
            env=dict(os.environ),
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return "opening an offscreen Kivy window timed out"
    if done.returncode == 0 and "ok" in done.stdout:
        return None
    tail = (done.stderr or done.stdout).strip().splitlines()[-1:]
    return f"no GL context for Kivy offscreen (exit {done.returncode}): {' '.join(tail)}"


set_kivy_env()  # importing this module is the set-up: test modules import it first
