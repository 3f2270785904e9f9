"""Reads are cheap to revalidate (ETag → 304) and compressed on the wire."""

from __future__ import annotations

import gzip
import json

from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from learning_goals.faelles_maal import load_shipped_frameworks
from server.goals.operations import import_package


def test_etag_revalidation_gives_304_without_a_body(client: FlaskClient, session: Session) -> None:
    for package in load_shipped_frameworks():
        import_package(session, package)
    first = client.get("/api/v1/frameworks")
    assert first.status_code == 200
    etag = first.headers["ETag"]
    assert first.headers["Cache-Control"] == "public, no-cache"
    again = client.get("/api/v1/frameworks", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.data == b""
    other = client.get("/api/v1/frameworks?subject=Dansk", headers={"If-None-Match": etag})
    assert other.status_code == 200  # a different answer has a different tag


def test_large_answers_are_compressed(client: FlaskClient, session: Session) -> None:
    (package,) = [p for p in load_shipped_frameworks() if p.framework.subject == "Matematik"]
    import_package(session, package)
    plain = client.get(f"/api/v1/frameworks/{package.framework.id}")
    packed = client.get(
        f"/api/v1/frameworks/{package.framework.id}", headers={"Accept-Encoding": "gzip"}
    )
    assert packed.headers["Content-Encoding"] == "gzip"
    assert len(packed.data) < len(plain.data) / 3
    assert json.loads(gzip.decompress(packed.data)) == plain.get_json()


def test_errors_are_not_cached(client: FlaskClient) -> None:
    response = client.get("/api/v1/goals/00000000-0000-0000-0000-000000000001")
    assert response.status_code == 404
    assert "ETag" not in response.headers
