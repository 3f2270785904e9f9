"""Fixtures of the launch tests (defined in ``launch_world``)."""

from launch_world import tool_key, world  # noqa: F401
