"""App tests: Kivy is set up headless before anything imports it."""

from __future__ import annotations

from kivyenv import set_kivy_env

set_kivy_env()
