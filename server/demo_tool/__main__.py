"""``python -m server.demo_tool [--host H] [--port P]``: serve the demo LTI tool (not in
production). ``skolehylde serve`` starts it beside the marketplace."""

from __future__ import annotations

import argparse
import contextlib
import sys

from werkzeug.serving import make_server

from server.config import settings_from_env
from server.demo_tool import (
    TOOL_BASE_URL,
    create_tool_app,
    demo_clients,
    demo_product_keys,
    tool_key,
)
from server.oauth.keys import load_keys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    args = parser.parse_args(argv)
    settings = settings_from_env()
    if settings["SKOLEHYLDE_ENV"] == "production":
        print("the demo tool does not run in production", file=sys.stderr)
        return 2
    platform_keys = {"keys": [dict(k.as_dict(private=False)) for k in load_keys(settings)]}
    app = create_tool_app(
        {
            "PLATFORM_ISSUER": settings["PUBLIC_BASE_URL"],
            "PLATFORM_KEY_SET": platform_keys,
            "TOOL_KEY": tool_key(settings["VAR_DIR"]),
            "CLIENTS": demo_clients(demo_product_keys()),
            "TOOL_BASE_URL": f"http://{args.host}:{args.port}"
            if args.port != 8001
            else TOOL_BASE_URL,
        }
    )
    server = make_server(args.host, args.port, app, threaded=True)
    print(f"demo LTI tool on http://{args.host}:{args.port}", file=sys.stderr)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
