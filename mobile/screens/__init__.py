"""Screens: ``<name>.py`` (the class and small glue) + ``<name>.kv`` (layout and bindings)."""
