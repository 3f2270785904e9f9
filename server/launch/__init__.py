"""Opening materials: LTI 1.3 platform, signed URL launches, Deep Linking assignments, the
publisher's licence check, and the pseudonymous launch events behind the use reports.

``init_app(app)`` registers the API and the browser pages, the launch-event recorder and
the entitlement check (purchasing's ``check_entitlement``; tests may replace it in
``app.extensions["skolehylde.entitlements"]``).
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from server.launch import events, pages, views
    from server.licensing.entitlements import check_entitlement

    app.extensions["skolehylde.entitlements"] = check_entitlement
    events.init_app(app)
    app.register_blueprint(views.bp)
    app.register_blueprint(pages.bp)
