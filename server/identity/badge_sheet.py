"""A printable A4 sheet of QR badges for a class (PNG or multi-page PDF), drawn with Pillow.

Each card holds the QR code, the pupil's first name in large type, the class and school, and
a short instruction in Danish. Cards are laid out 3 × 4 per page with dashed cut lines.

Text needs a font with æ, ø and å. Pillow's built-in font has none, so a TrueType font is
looked up in the usual system places (DejaVu Sans, Liberation Sans, FreeSans, Arial); on a
machine with none of them the built-in font is used and Danish letters are written out
(æ → ae, ø → oe, å → aa) rather than printed as boxes.
"""

from __future__ import annotations

import io
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path

import segno
from PIL import Image, ImageDraw, ImageFont

DPI = 200
PAGE_WIDTH, PAGE_HEIGHT = 1654, 2339  # A4 at 200 dpi
MARGIN = 80
HEADER = 110
FOOTER = 80
COLUMNS, ROWS = 3, 4
PER_PAGE = COLUMNS * ROWS
CARD_PADDING = 22
QR_SCALE = 7
QR_BORDER = 2  # modules; the white card margin around it completes the quiet zone
INSTRUCTION = "Scan på tabletten for at logge ind"

INK = (20, 20, 20)
GREY = (110, 110, 110)
CUT = (160, 160, 160)

FONT_CANDIDATES = {
    True: (  # bold
        "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
        "/usr/share/fonts/dejavu/DejaVuSans-Bold.ttf",
        "/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf",
        "/usr/share/fonts/liberation/LiberationSans-Bold.ttf",
        "/usr/share/fonts/truetype/freefont/FreeSansBold.ttf",
        "/Library/Fonts/Arial Bold.ttf",
        "C:/Windows/Fonts/arialbd.ttf",
    ),
    False: (
        "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
        "/usr/share/fonts/dejavu/DejaVuSans.ttf",
        "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
        "/usr/share/fonts/liberation/LiberationSans-Regular.ttf",
        "/usr/share/fonts/truetype/freefont/FreeSans.ttf",
        "/Library/Fonts/Arial.ttf",
        "C:/Windows/Fonts/arial.ttf",
    ),
}
_DANISH = str.maketrans({"æ": "ae", "ø": "oe", "å": "aa", "Æ": "Ae", "Ø": "Oe", "Å": "Aa"})
_DANISH_MONTHS = ("januar", "februar", "marts", "april", "maj", "juni", "juli", "august",
                  "september", "oktober", "november", "december")  # fmt: skip

Font = ImageFont.FreeTypeFont | ImageFont.ImageFont


@dataclass(frozen=True, slots=True)
class BadgeCard:
    code: str
    first_name: str
    class_name: str
    school_name: str


@cache
def _font_path(bold: bool) -> str | None:
    return next((path for path in FONT_CANDIDATES[bold] if Path(path).is_file()), None)


@cache
def _font(size: int, bold: bool) -> Font:
    path = _font_path(bold) or _font_path(not bold)
    if path is not None:
        return ImageFont.truetype(path, size)
    return ImageFont.load_default(size=size)


def has_danish_letters() -> bool:
    """Whether the sheet prints æ, ø and å (a TrueType font was found)."""
    return _font_path(True) is not None or _font_path(False) is not None


def _text(value: str) -> str:
    if has_danish_letters():
        return value
    plain = unicodedata.normalize("NFKD", value.translate(_DANISH))
    return "".join(c for c in plain if ord(c) < 128)


def first_names(display_names: Sequence[str]) -> list[str]:
    """First names for the cards; where two pupils share one, the last name's initial too."""
    firsts = [(name.split() or [""])[0] for name in display_names]
    result = []
    for name, first in zip(display_names, firsts, strict=True):
        parts = name.split()
        if firsts.count(first) > 1 and len(parts) > 1:
            result.append(f"{first} {parts[-1][0]}.")
        else:
            result.append(first)
    return result


def render_pages(
    cards: Sequence[BadgeCard], *, title: str, issued_on: date | None = None
) -> list[Image.Image]:
    """The sheet's pages (at least one), as RGB images of A4 at ``DPI``."""
    issued_on = issued_on or date.today()
    chunks = [cards[i : i + PER_PAGE] for i in range(0, len(cards), PER_PAGE)] or [[]]
    return [
        _page(chunk, title=title, page=n, pages=len(chunks), issued_on=issued_on)
        for n, chunk in enumerate(chunks, start=1)
    ]


def sheet_png(cards: Sequence[BadgeCard], *, title: str, issued_on: date | None = None) -> bytes:
    """One PNG: every page, one under the other."""
    pages = render_pages(cards, title=title, issued_on=issued_on)
    gap = 40
    sheet = Image.new(
        "RGB", (PAGE_WIDTH, PAGE_HEIGHT * len(pages) + gap * (len(pages) - 1)), (200, 200, 200)
    )
    for n, page in enumerate(pages):
        sheet.paste(page, (0, n * (PAGE_HEIGHT + gap)))
    out = io.BytesIO()
    sheet.save(out, "PNG", dpi=(DPI, DPI), optimize=True)
    return out.getvalue()


def sheet_pdf(cards: Sequence[BadgeCard], *, title: str, issued_on: date | None = None) -> bytes:
    """A PDF with one A4 page per 12 cards."""
    pages = render_pages(cards, title=title, issued_on=issued_on)
    out = io.BytesIO()
    pages[0].save(
        out, "PDF", save_all=True, append_images=pages[1:], resolution=float(DPI), title=title
    )
    return out.getvalue()


def _page(
    cards: Sequence[BadgeCard], *, title: str, page: int, pages: int, issued_on: date
) -> Image.Image:
    image = Image.new("RGB", (PAGE_WIDTH, PAGE_HEIGHT), "white")
    draw = ImageDraw.Draw(image)
    heading = _font(44, True)
    small = _font(28, False)
    room = PAGE_WIDTH - 2 * MARGIN - 280  # leave the page number its place
    heading = _fit(title, heading, room, 28, bold=True)
    draw.text((MARGIN, MARGIN), _text(_ellipsize(title, heading, room)), font=heading, fill=INK)
    draw.text(
        (PAGE_WIDTH - MARGIN, MARGIN + 8), _text(f"Side {page} af {pages}"),
        font=small, fill=GREY, anchor="ra",
    )  # fmt: skip
    when = f"{issued_on.day}. {_DANISH_MONTHS[issued_on.month - 1]} {issued_on.year}"
    footer = (
        f"Udstedt {when}. Kort udstedt før denne dato virker ikke længere. Klip langs stregerne."
    )
    draw.text(
        (MARGIN, PAGE_HEIGHT - MARGIN - 30), _text(footer), font=_fit(footer, small,
        PAGE_WIDTH - 2 * MARGIN, 20, bold=False), fill=GREY,
    )  # fmt: skip
    width = (PAGE_WIDTH - 2 * MARGIN) // COLUMNS
    height = (PAGE_HEIGHT - 2 * MARGIN - HEADER - FOOTER) // ROWS
    top = MARGIN + HEADER
    for index, card in enumerate(cards):
        x = MARGIN + (index % COLUMNS) * width
        y = top + (index // COLUMNS) * height
        _card(image, draw, card, x, y, width, height)
    return image


def _card(
    image: Image.Image,
    draw: ImageDraw.ImageDraw,
    card: BadgeCard,
    x: int,
    y: int,
    width: int,
    height: int,
) -> None:
    """One card: QR, first name, class, school, instruction, centred in a dashed box."""
    _dashed_rectangle(draw, x, y, x + width, y + height)
    inner = width - 2 * CARD_PADDING
    qr = _qr_image(card.code)
    lines = [
        (card.first_name, _fit(card.first_name, _font(64, True), inner, 34, bold=True), INK),
        (card.class_name, _fit(card.class_name, _font(44, True), inner, 28, bold=True), INK),
        (card.school_name, _fit(card.school_name, _font(30, False), inner, 22, bold=False), INK),
        (INSTRUCTION, _fit(INSTRUCTION, _font(26, False), inner, 18, bold=False), GREY),
    ]
    gap = 6
    content = qr.height + gap + sum(_line_height(font) + gap for _, font, _ in lines)
    line_y = y + max(CARD_PADDING // 2, (height - content) // 2)
    image.paste(qr, (x + (width - qr.width) // 2, line_y))
    line_y += qr.height + gap
    centre = x + width // 2
    for text, font, colour in lines:
        draw.text(
            (centre, line_y), _text(_ellipsize(text, font, inner)), font=font, fill=colour,
            anchor="ma",
        )  # fmt: skip
        line_y += _line_height(font) + gap


def _qr_image(code: str) -> Image.Image:
    """The code as a QR symbol (error correction Q: a worn or scribbled card still scans).

    Not cached: the codes are secrets and should not outlive the request that prints them.
    """
    qr = segno.make_qr(code, error="q", boost_error=False)
    out = io.BytesIO()
    qr.save(out, kind="png", scale=QR_SCALE, border=QR_BORDER)
    out.seek(0)
    with Image.open(out) as opened:
        return opened.convert("RGB")


def _fit(text: str, font: Font, width: int, min_size: int, *, bold: bool) -> Font:
    """``font``, or a smaller size of it, so that ``text`` fits in ``width`` pixels."""
    size = int(getattr(font, "size", min_size))
    while size > min_size and _width(text, font) > width:
        size -= 2
        font = _font(size, bold)
    return font


def _ellipsize(text: str, font: Font, width: int) -> str:
    if _width(text, font) <= width:
        return text
    while text and _width(text + "…", font) > width:
        text = text[:-1]
    return text.rstrip() + "…"


def _width(text: str, font: Font) -> float:
    left, _, right, _ = font.getbbox(_text(text))
    return right - left


def _line_height(font: Font) -> int:
    _, top, _, bottom = font.getbbox("ÅÆgjy")
    return int(bottom - top) + 4


def _dashed_rectangle(draw: ImageDraw.ImageDraw, x0: int, y0: int, x1: int, y1: int) -> None:
    dash, gap = 14, 10
    for start in range(x0, x1, dash + gap):
        end = min(start + dash, x1)
        draw.line([(start, y0), (end, y0)], fill=CUT, width=2)
        draw.line([(start, y1), (end, y1)], fill=CUT, width=2)
    for start in range(y0, y1, dash + gap):
        end = min(start + dash, y1)
        draw.line([(x0, start), (x0, end)], fill=CUT, width=2)
        draw.line([(x1, start), (x1, end)], fill=CUT, width=2)
