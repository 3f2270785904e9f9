"""Small, cacheable reads for phones on school Wi-Fi: ETags, revalidation, compression.

Every successful JSON GET gets a strong ETag of its body and ``Cache-Control: no-cache`` —
clients keep the copy and revalidate with ``If-None-Match``; an unchanged answer is a 304
with no body. Answers to signed-in requests are ``private`` (never in a shared cache).
Bodies are compressed (gzip/brotli/deflate as the client accepts) by Flask-Compress.
"""

from __future__ import annotations

from flask import Flask, Response, request
from flask_compress import Compress

compress = Compress()


def init_app(app: Flask) -> None:
    app.config.setdefault("COMPRESS_MIN_SIZE", 1000)
    app.config.setdefault("COMPRESS_MIMETYPES", ["application/json", "text/html", "text/css",
                                                 "application/javascript", "text/csv"])  # fmt: skip
    compress.init_app(app)

    @app.after_request
    def _revalidate(response: Response) -> Response:
        if (
            request.method in {"GET", "HEAD"}
            and response.status_code == 200
            and response.mimetype == "application/json"
            and not response.direct_passthrough
        ):
            if "Cache-Control" not in response.headers:
                scope = "private" if request.authorization else "public"
                response.headers["Cache-Control"] = f"{scope}, no-cache"
            if request.authorization:
                response.vary.add("Authorization")
            response.add_etag()
            response.make_conditional(request)
        return response
