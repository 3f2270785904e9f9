"""The real server with its embedded defaults (SQLite, tantivy) and the demo data, served on
127.0.0.1 and a free port from a thread: what the app talks to in the e2e test and the bench."""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from apiflask import APIFlask
from werkzeug.serving import BaseWSGIServer, make_server

from server import database
from server.app import create_app
from server.demo import load_demo
from server.extensions import db


@dataclass
class LiveServer:
    base_url: str
    app: APIFlask
    server: BaseWSGIServer
    thread: threading.Thread

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)
        with self.app.app_context():
            db.engine.dispose()


def free_port() -> int:
    probe = make_server("127.0.0.1", 0, lambda env, start: [])
    port = int(probe.server_port)
    probe.server_close()
    return port


def start_demo_server(var_dir: Path, **config: Any) -> LiveServer:
    os.environ.setdefault("SKOLEHYLDE_VAR_DIR", str(var_dir))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    app = create_app(
        {
            "SKOLEHYLDE_ENV": "development",
            "SECRET_KEY": "live-test-secret-not-for-production",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{var_dir / 'skolehylde.db'}",
            "SEARCH_BACKEND": "tantivy",
            "SEARCH_INDEX_DIR": str(var_dir / "search"),
            "ASSET_DIR": str(var_dir / "assets"),
            "PUBLIC_BASE_URL": base,
            **config,
        }
    )
    database.upgrade(app)
    with app.app_context():
        for _line in load_demo(db.session(), environment="development"):
            pass
        db.session.remove()
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return LiveServer(base, app, server, thread)
