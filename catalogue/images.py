"""Screenshot and preview uploads: checked by content, measured, hashed, thumbnailed.

The declared type (from the upload's Content-Type or file name) must agree with what the
bytes are; we never trust a name. Only PNG, JPEG and WebP are decoded, and Pillow is told
so (``formats=``), so no other decoder (PSD, EPS, …) ever sees an upload. Dimensions are read
from the header and checked before the image is decoded; then it is decoded in full, so a
truncated file is refused here rather than served broken.
"""

from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass
from typing import Literal

from PIL import Image, ImageOps, UnidentifiedImageError

from catalogue.errors import ImageRejected, ImageTooLarge
from catalogue.model import AssetRef

MAX_IMAGE_BYTES = 5 * 1024 * 1024  # 5 MiB
MAX_IMAGE_PX = 4000  # per side
MIN_IMAGE_PX = 16  # per side; smaller is no screenshot
MAX_THUMBNAIL_PX = 1000

#: media type → Pillow format name
IMAGE_TYPES: dict[str, str] = {"image/png": "PNG", "image/jpeg": "JPEG", "image/webp": "WEBP"}
_TYPE_BY_FORMAT = {fmt: media_type for media_type, fmt in IMAGE_TYPES.items()}
_NAMES = {"PNG": "a PNG image", "JPEG": "a JPEG image", "WEBP": "a WebP image"}


@dataclass(frozen=True, slots=True)
class ImageInfo:
    sha256: str  # of the bytes as uploaded, lower-case hex: the content address
    media_type: str
    width: int  # as displayed (EXIF orientation applied)
    height: int
    size_bytes: int

    def asset_ref(self, alt_text: str = "") -> AssetRef:
        return AssetRef(self.sha256, self.media_type, self.width, self.height, alt_text)


def _sniff(data: bytes) -> str | None:
    """The format the first bytes announce, or None."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if data.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    return None


def _reject(message: str, field: str) -> ImageRejected:
    return ImageRejected({field: [message]})


def _open(data: bytes, fmt: str, field: str) -> Image.Image:
    """Open (header only) with just the one decoder, treating decompression bombs as too large."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            return Image.open(io.BytesIO(data), formats=[fmt])
    except (Image.DecompressionBombWarning, Image.DecompressionBombError):
        raise ImageTooLarge(
            {field: [f"the image has too many pixels; the limit is {MAX_IMAGE_PX} px per side"]}
        ) from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as error:
        message = f"the file is damaged and cannot be read as {_NAMES[fmt]} ({error})"
        raise _reject(message, field) from None


def check_image(data: bytes, declared_type: str, *, field: str = "file") -> ImageInfo:
    """Verify an uploaded screenshot: a PNG, JPEG or WebP by content, of the declared type,
    at most 5 MiB and 4000 px per side, not animated; its hash and displayed dimensions.

    Raises ``ImageTooLarge`` (bytes or pixels over the limit) or ``ImageRejected``
    (anything else), each with ``errors[field]`` saying what is wrong.
    """
    media_type = declared_type.split(";", 1)[0].strip().lower()
    if media_type == "image/jpg":
        media_type = "image/jpeg"
    if media_type not in IMAGE_TYPES:
        raise _reject(
            f"{declared_type!r} is not an accepted image type; accepted: {', '.join(IMAGE_TYPES)}",
            field,
        )
    if len(data) > MAX_IMAGE_BYTES:
        raise ImageTooLarge(
            {
                field: [
                    f"the file is {len(data):,} bytes; the limit is {MAX_IMAGE_BYTES:,} bytes "
                    "(5 MiB)"
                ]
            }
        )
    if not data:
        raise _reject("the file is empty", field)
    actual = _sniff(data)
    if actual is None:
        raise _reject(
            f"declared as {media_type} but the content is not a PNG, JPEG or WebP image", field
        )
    if actual != IMAGE_TYPES[media_type]:
        raise _reject(f"declared as {media_type} but the content is {_NAMES[actual]}", field)
    image = _open(data, actual, field)
    with image:
        width, height = image.size
        if width > MAX_IMAGE_PX or height > MAX_IMAGE_PX:
            raise ImageTooLarge(
                {
                    field: [
                        f"the image is {width}×{height} px; the limit is {MAX_IMAGE_PX} px per side"
                    ]
                }
            )
        if width < MIN_IMAGE_PX or height < MIN_IMAGE_PX:
            raise _reject(
                f"the image is {width}×{height} px; at least {MIN_IMAGE_PX} px per side", field
            )
        if getattr(image, "n_frames", 1) > 1:
            raise _reject("animated images are not accepted; upload a still image", field)
        try:
            image.load()
        except (OSError, ValueError, SyntaxError) as error:
            raise _reject(
                f"the file is damaged and cannot be decoded as {_NAMES[actual]} ({error})",
                field,
            ) from None
        orientation = image.getexif().get(0x0112, 1)  # EXIF Orientation
    if orientation in (5, 6, 7, 8):  # rotated a quarter turn: displayed the other way round
        width, height = height, width
    return ImageInfo(
        sha256=hashlib.sha256(data).hexdigest(),
        media_type=_TYPE_BY_FORMAT[actual],
        width=width,
        height=height,
        size_bytes=len(data),
    )


def thumbnail(
    data: bytes,
    max_px: int = 400,
    *,
    output: Literal["webp", "png"] = "webp",
    declared_type: str | None = None,
) -> bytes:
    """A thumbnail whose longer side is at most ``max_px`` (never enlarged), as WebP or PNG.

    The image is checked first (``check_image``, with the sniffed type when ``declared_type``
    is not given); EXIF orientation is applied so the thumbnail stands the right way up.
    """
    if not 1 <= max_px <= MAX_THUMBNAIL_PX:
        raise ValueError(f"max_px must be 1–{MAX_THUMBNAIL_PX}, not {max_px}")
    sniffed = _sniff(data)
    if declared_type is None:
        declared_type = _TYPE_BY_FORMAT[sniffed] if sniffed else "application/octet-stream"
    info = check_image(data, declared_type)
    with _open(data, IMAGE_TYPES[info.media_type], "file") as image:
        upright = ImageOps.exif_transpose(image)
        has_alpha = upright.mode in ("RGBA", "LA", "PA") or "transparency" in upright.info
        small = upright.convert("RGBA" if has_alpha else "RGB")
        small.thumbnail((max_px, max_px), Image.Resampling.LANCZOS)
        out = io.BytesIO()
        if output == "webp":
            small.save(out, format="WEBP", quality=80, method=4)
        else:
            small.save(out, format="PNG", optimize=True)
        return out.getvalue()
