"""Screenshot uploads: checked by content, stored once by content hash, with a thumbnail,
served with immutable cache headers; wrong types 422, oversized 413, nothing stored."""

from __future__ import annotations

import hashlib
import io
import os
from pathlib import Path
from typing import Any

import pytest
from apiflask import APIFlask
from catalogue_http import Shop, TokenFor, open_shop, png, product_body
from flask.testing import FlaskClient
from PIL import Image
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.catalogue.models import AssetRow


@pytest.fixture
def shop(
    app: APIFlask, client: FlaskClient, session: Session, token_for: TokenFor, tmp_path: Path
) -> Shop:
    app.config["ASSET_DIR"] = str(tmp_path / "assets")
    return open_shop(client, session, token_for)


BOUNDARY = "skolehylde-test-boundary"


def upload(shop: Shop, pid: str, data: bytes, name: str, content_type: str) -> Any:
    """POST the image as a multipart form (encoded here: the test client would spool a big
    body to a temporary file that it does not close when the app answers early)."""
    body = (
        (
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
            f"Content-Type: {content_type}\r\n\r\n"
        ).encode()
        + data
        + f"\r\n--{BOUNDARY}--\r\n".encode()
    )
    return shop.client.post(
        f"/api/v1/products/{pid}/assets",
        data=body,
        headers=shop.pub,
        content_type=f"multipart/form-data; boundary={BOUNDARY}",
    )


def stored_files(app: APIFlask) -> list[str]:
    root = Path(app.config["ASSET_DIR"])
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def asset_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(AssetRow)) or 0


def test_a_png_is_stored_by_hash_with_a_thumbnail(app: APIFlask, shop: Shop) -> None:
    pid = shop.create()["id"]
    data = png(800, 600)
    digest = hashlib.sha256(data).hexdigest()
    response = upload(shop, pid, data, "skaermbillede.png", "image/png")
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["sha256"] == digest
    assert (body["media_type"], body["width"], body["height"]) == ("image/png", 800, 600)
    assert body["size_bytes"] == len(data)
    assert body["url"] == f"/api/v1/assets/{digest}"
    assert stored_files(app) == [f"{digest[:2]}/{digest}", f"{digest[:2]}/{digest}.thumb.webp"]

    with shop.client.get(body["url"]) as image:
        assert image.status_code == 200
        assert image.data == data
        assert image.mimetype == "image/png"
        assert image.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    with shop.client.get(body["thumbnail_url"]) as thumb:
        assert thumb.status_code == 200
        assert thumb.mimetype == "image/webp"
        with Image.open(io.BytesIO(thumb.data)) as small:
            assert small.size == (400, 300)

    # the listing uses it as a screenshot
    shot = {**body["screenshot"], "alt_text": "En opgave med brøker"}
    edited = shop.client.put(
        f"/api/v1/products/{pid}", json=product_body(screenshots=[shot]), headers=shop.pub
    )
    assert edited.status_code == 200, edited.get_json()
    assert edited.get_json()["screenshots"][0]["url"] == body["url"]
    assert edited.get_json()["screenshots"][0]["alt_text"] == "En opgave med brøker"


def test_the_same_image_twice_is_one_asset_and_one_file(app: APIFlask, shop: Shop) -> None:
    pid = shop.create()["id"]
    data = png(120, 90)
    first = upload(shop, pid, data, "a.png", "image/png")
    second = upload(shop, pid, data, "b.png", "image/png")
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.get_json()["sha256"] == second.get_json()["sha256"]
    assert asset_count(shop.session) == 1
    assert len(stored_files(app)) == 2  # the image and its thumbnail


def test_a_text_file_named_png_is_refused(app: APIFlask, shop: Shop) -> None:
    pid = shop.create()["id"]
    response = upload(shop, pid, b"hello, not an image\n" * 10, "evil.png", "image/png")
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "image_rejected"
    assert error["details"] == {
        "files": {
            "file": ["declared as image/png but the content is not a PNG, JPEG or WebP image"]
        }
    }
    assert asset_count(shop.session) == 0
    assert stored_files(app) == []


def test_an_oversized_upload_is_413(app: APIFlask, shop: Shop) -> None:
    pid = shop.create()["id"]
    big = png(64, 64) + os.urandom(6 * 1024 * 1024)
    response = upload(shop, pid, big, "stor.png", "image/png")
    assert response.status_code == 413
    assert set(response.get_json()) == {"error"}
    assert asset_count(shop.session) == 0
    assert stored_files(app) == []


def test_a_screenshot_must_be_an_uploaded_image(shop: Shop) -> None:
    pid = shop.create()["id"]
    shot = {"sha256": "ab" * 32, "media_type": "image/png", "width": 100, "height": 100}
    response = shop.client.put(
        f"/api/v1/products/{pid}", json=product_body(screenshots=[shot]), headers=shop.pub
    )
    assert response.status_code == 422
    assert list(response.get_json()["error"]["details"]["json"]) == ["screenshots[0].sha256"]


def test_unknown_asset_is_404(shop: Shop) -> None:
    assert shop.client.get(f"/api/v1/assets/{'cd' * 32}").status_code == 404
    assert shop.client.get(f"/api/v1/assets/{'cd' * 32}/thumbnail").status_code == 404
