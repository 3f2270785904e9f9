"""The Kivy client (built in a later issue)."""
