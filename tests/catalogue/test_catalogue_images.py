"""Screenshot uploads: type by content, size limits, hashes, thumbnails."""

from __future__ import annotations

import hashlib
import io
import struct
import zlib

import pytest
from catalogue_factories import image_bytes
from PIL import Image

from catalogue.errors import ImageRejected, ImageTooLarge
from catalogue.images import MAX_IMAGE_BYTES, ImageInfo, check_image, thumbnail
from catalogue.model import AssetRef


def rejection(data: bytes, declared: str) -> tuple[type[Exception], dict[str, list[str]]]:
    with pytest.raises(ImageRejected) as caught:
        check_image(data, declared)
    return type(caught.value), caught.value.errors


def png_header_only(width: int, height: int) -> bytes:
    """A PNG whose header claims ``width``×``height`` with a tiny body: a decompression bomb."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + chunk(b"IEND", b"")
    )


@pytest.mark.parametrize(
    ("fmt", "media_type"), [("PNG", "image/png"), ("JPEG", "image/jpeg"), ("WEBP", "image/webp")]
)
def test_accepted_images_are_measured_and_hashed(fmt: str, media_type: str) -> None:
    data = image_bytes(1200, 800, fmt)
    info = check_image(data, media_type)
    assert info == ImageInfo(
        sha256=hashlib.sha256(data).hexdigest(),
        media_type=media_type,
        width=1200,
        height=800,
        size_bytes=len(data),
    )
    assert info.asset_ref("Forsiden") == AssetRef(info.sha256, media_type, 1200, 800, "Forsiden")


def test_declared_type_is_read_leniently_but_must_match() -> None:
    png = image_bytes(32, 32)
    assert check_image(png, "Image/PNG; charset=binary").media_type == "image/png"
    assert check_image(image_bytes(32, 32, "JPEG"), "image/jpg").media_type == "image/jpeg"
    assert rejection(image_bytes(32, 32, "JPEG"), "image/png") == (
        ImageRejected,
        {"file": ["declared as image/png but the content is a JPEG image"]},
    )
    assert rejection(png, "image/webp") == (
        ImageRejected,
        {"file": ["declared as image/webp but the content is a PNG image"]},
    )


def test_a_text_file_claiming_to_be_png_is_refused() -> None:
    assert rejection(b"Hello, I am totally a PNG\n", "image/png") == (
        ImageRejected,
        {"file": ["declared as image/png but the content is not a PNG, JPEG or WebP image"]},
    )
    html = b"<html><script>alert(1)</script></html>"
    assert rejection(html, "image/webp")[1] == {
        "file": ["declared as image/webp but the content is not a PNG, JPEG or WebP image"]
    }


def test_other_types_and_empty_files_are_refused() -> None:
    gif = io.BytesIO()
    Image.new("RGB", (32, 32)).save(gif, format="GIF")
    assert rejection(gif.getvalue(), "image/gif") == (
        ImageRejected,
        {"file": ["'image/gif' is not an accepted image type; accepted: image/png, image/jpeg, "
                  "image/webp"]},
    )  # fmt: skip
    assert rejection(gif.getvalue(), "image/png")[1] == {
        "file": ["declared as image/png but the content is not a PNG, JPEG or WebP image"]
    }
    assert rejection(b"", "image/png") == (ImageRejected, {"file": ["the file is empty"]})


def test_oversize_files_are_refused_before_decoding() -> None:
    data = image_bytes(32, 32) + b"\x00" * (MAX_IMAGE_BYTES + 1)
    assert rejection(data, "image/png") == (
        ImageTooLarge,
        {"file": [f"the file is {len(data):,} bytes; the limit is 5,242,880 bytes (5 MiB)"]},
    )
    exactly = b"\x89PNG\r\n\x1a\n" + b"\x00" * (MAX_IMAGE_BYTES - 8)
    assert rejection(exactly, "image/png")[0] is ImageRejected  # at the limit: judged on content


@pytest.mark.parametrize(("width", "height"), [(4001, 16), (16, 4001)])
def test_more_than_4000_px_a_side_is_too_large(width: int, height: int) -> None:
    assert rejection(image_bytes(width, height), "image/png") == (
        ImageTooLarge,
        {"file": [f"the image is {width}×{height} px; the limit is 4000 px per side"]},
    )
    assert check_image(image_bytes(4000, 16), "image/png").width == 4000


@pytest.mark.parametrize("side", [10_000, 100_000])
def test_decompression_bombs_are_too_large(side: int) -> None:
    bomb = png_header_only(side, side)
    assert len(bomb) < 200
    assert rejection(bomb, "image/png") == (
        ImageTooLarge,
        {"file": ["the image has too many pixels; the limit is 4000 px per side"]},
    )


def test_damaged_tiny_and_animated_images_are_refused() -> None:
    png = image_bytes(200, 200)
    assert rejection(png[: len(png) // 2], "image/png")[1] == {
        "file": [
            "the file is damaged and cannot be decoded as a PNG image (image file is truncated)"
        ]
    }
    assert rejection(b"\x89PNG\r\n\x1a\n" + b"junk" * 10, "image/png")[1]["file"][0].startswith(
        "the file is damaged and cannot be read as a PNG image ("
    )
    assert rejection(image_bytes(15, 100), "image/png")[1] == {
        "file": ["the image is 15×100 px; at least 16 px per side"]
    }
    frames = [Image.new("RGB", (32, 32), colour) for colour in ("red", "blue")]
    animated = io.BytesIO()
    frames[0].save(animated, format="WEBP", save_all=True, append_images=frames[1:])
    assert rejection(animated.getvalue(), "image/webp")[1] == {
        "file": ["animated images are not accepted; upload a still image"]
    }


def test_exif_rotation_gives_the_displayed_dimensions() -> None:
    image = Image.new("RGB", (40, 20))
    exif = image.getexif()
    exif[0x0112] = 6  # rotate 90° clockwise to display
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    info = check_image(out.getvalue(), "image/jpeg")
    assert (info.width, info.height) == (20, 40)
    small = Image.open(io.BytesIO(thumbnail(out.getvalue(), max_px=400)))
    assert small.size == (20, 40)


def open_thumbnail(data: bytes) -> Image.Image:
    return Image.open(io.BytesIO(data))


def test_thumbnails_fit_max_px_keep_aspect_and_are_webp_by_default() -> None:
    thumb = thumbnail(image_bytes(1200, 800))
    assert thumb[:4] == b"RIFF" and thumb[8:12] == b"WEBP"
    image = open_thumbnail(thumb)
    assert (image.format, image.size) == ("WEBP", (400, 267))
    portrait = open_thumbnail(thumbnail(image_bytes(800, 1200, "JPEG"), output="png"))
    assert (portrait.format, portrait.size) == ("PNG", (267, 400))
    wide = open_thumbnail(thumbnail(image_bytes(1000, 333, "WEBP"), max_px=100))
    assert wide.size == (100, 33)


def test_thumbnails_never_enlarge_and_keep_transparency() -> None:
    small = open_thumbnail(thumbnail(image_bytes(100, 50)))
    assert small.size == (100, 50)
    clear = open_thumbnail(thumbnail(image_bytes(64, 64, mode="RGBA"), output="png"))
    assert clear.mode == "RGBA" and clear.getpixel((0, 0)) == (0, 0, 0, 0)


def test_thumbnail_refuses_what_check_image_refuses() -> None:
    with pytest.raises(ImageRejected) as caught:
        thumbnail(b"not an image at all")
    assert caught.value.errors == {
        "file": ["'application/octet-stream' is not an accepted image type; accepted: "
                 "image/png, image/jpeg, image/webp"]
    }  # fmt: skip
    with pytest.raises(ImageRejected):
        thumbnail(image_bytes(32, 32, "JPEG"), declared_type="image/png")
    with pytest.raises(ImageTooLarge):
        thumbnail(png_header_only(100_000, 100_000))
    with pytest.raises(ValueError, match="max_px must be 1–1000, not 0"):
        thumbnail(image_bytes(32, 32), max_px=0)
