"""Chart images of feedback distributions (PNG), drawn with Pillow.

One row per choice: its label written over a light bar as long as its share of the
question's largest count, its count at the right; the questions stacked under the
chart's title. The layout is this module's (a few rectangles and texts, no axes), so
Pillow draws it directly, in a few milliseconds (matplotlib took 50-100 ms for the
same picture, nearly all of it laying out text: docs/performance.md).

The font is DejaVu Sans, shipped in bot/fonts/ (its licence beside it): Pillow's own
font has no å, ø or ä. Pillow is imported inside `distributions` only, so starting
the bot does not load it.
"""

from __future__ import annotations

import functools
import io
import re
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from bot.forms.definitions import Kind

if TYPE_CHECKING:
    from PIL.ImageFont import FreeTypeFont

    from bot.services.counted import Tally

UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")  # replaced in each part of a file name
NAMED_ROOMS = 3  # a chart of more rooms says how many


def file_name(slug: str, form: str, day: int | None, rooms: Sequence[str], at: datetime
              ) -> str:
    """A chart's own file name, from what it shows and when it was made (UTC, to the
    minute): `feedback-spring-daily-day2-R7-20270316T1530Z.png`. Letters, digits, `_`
    and `-` only, so it is a file name on every system (no `:`, `/` or space), and
    charts saved from one chat do not replace each other."""
    shown = list(rooms) if len(rooms) <= NAMED_ROOMS else [f"{len(rooms)}rooms"]
    parts = ["feedback", slug, form, *([f"day{day}"] if day else []), *shown,
             at.astimezone(UTC).strftime("%Y%m%dT%H%MZ")]
    return "-".join(UNSAFE.sub("_", part).strip("_-") or "_" for part in parts) + ".png"


# The picture, in pixels.
WIDTH = 700
ROW = 28  # per choice, and per question title; half a row between questions
TOP = 50  # the chart's title
BOTTOM = 15
MARGIN = 21  # left and right
SPAN = 581  # the longest bar
PAD = 7  # from a bar's start to its label, and from a label to its count
INSET = 4  # a bar's space above and below, inside its row
SIZES = {"title": 17, "question": 14, "label": 13}  # pixels
BAR = (169, 198, 239)
INK = (26, 26, 26)
FONTS = Path(__file__).resolve().parent.parent / "fonts"
ELLIPSIS = "…"


@functools.cache
def font(part: str) -> FreeTypeFont:
    """The font of one part of a chart: bold for question titles."""
    from PIL import ImageFont

    name = "DejaVuSans-Bold.ttf" if part == "question" else "DejaVuSans.ttf"
    return ImageFont.truetype(str(FONTS / name), SIZES[part])


def fitted(text: str, face: FreeTypeFont, width: float) -> str:
    """`text` on one line, cut short with an ellipsis to fit `width` pixels."""
    line = " ".join(text.split())
    if face.getlength(line) <= width:
        return line
    short, long = 0, len(line)  # the longest start that fits with the ellipsis
    while short < long:
        middle = (short + long + 1) // 2
        if face.getlength(line[:middle].rstrip() + ELLIPSIS) <= width:
            short = middle
        else:
            long = middle - 1
    return line[:short].rstrip() + ELLIPSIS


def charted(tallies: list[Tally]) -> list[Tally]:
    """The questions a chart shows: those with choices or a scale, answered at least once."""
    kinds = (Kind.CHOICE, Kind.MULTI, Kind.SCALE)
    return [t for t in tallies if t.question.kind in kinds and t.answered]


def height(shown: list[Tally]) -> int:
    """The picture's height: the title, a row per question and per choice, half a row
    between questions."""
    rows = sum(1 + len(t.counts) for t in shown)
    return TOP + ROW * rows + ROW // 2 * (len(shown) - 1) + BOTTOM


def distributions(title: str, tallies: list[Tally]) -> bytes | None:
    """One horizontal bar chart per question, stacked; None when nothing is charted."""
    shown = charted(tallies)
    if not shown:
        return None
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (WIDTH, height(shown)), "white")
    draw = ImageDraw.Draw(image)
    inner = WIDTH - 2 * MARGIN
    draw.text((WIDTH // 2, TOP // 2), fitted(title, font("title"), inner), fill=INK,
              font=font("title"), anchor="mm")
    y = TOP
    for t in shown:
        draw.text((MARGIN, y + ROW // 2), fitted(t.question.text, font("question"), inner),
                  fill=INK, font=font("question"), anchor="lm")
        y += ROW
        most = max(t.counts.values()) or 1
        for label, count in t.counts.items():
            if count:
                draw.rectangle((MARGIN, y + INSET, MARGIN + round(SPAN * count / most) - 1,
                                y + ROW - INSET - 1), fill=BAR)
            number = str(count)
            room = inner - PAD - font("label").getlength(number) - PAD
            draw.text((MARGIN + PAD, y + ROW // 2), fitted(label, font("label"), room),
                      fill=INK, font=font("label"), anchor="lm")
            draw.text((WIDTH - MARGIN, y + ROW // 2), number, fill=INK, font=font("label"),
                      anchor="rm")
            y += ROW
        y += ROW // 2
    out = io.BytesIO()
    image.save(out, format="PNG", compress_level=6)
    return out.getvalue()
