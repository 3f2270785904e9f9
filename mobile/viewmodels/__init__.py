"""View-models: state as Kivy properties, intents as methods, no widgets (STYLE.md, Mobile).

Each takes the API client and a ``run_in_background(work, done)`` callable: ``work`` runs off
the UI thread, ``done(result, error)`` runs back on it. Tests pass a runner that calls both at
once, so everything here runs under pytest with no window.
"""

from mobile.viewmodels.base import Connectivity, Runner, ViewModel, run_now

__all__ = ["Connectivity", "Runner", "ViewModel", "run_now"]
