"""Chart images of feedback distributions (PNG), drawn with matplotlib.

matplotlib is imported inside `distributions` only, so starting the bot does not
load it: the first chart pays for the import (docs/performance.md).

The chart is laid out here rather than by matplotlib: one row per choice, its
label written over a light bar and its count at the right. Nothing is measured
before drawing (no constrained layout, no axes, no ticks), so a chart is
drawn once (~25 ms) instead of laid out, drawn twice and measured (~150-250 ms).
"""

from __future__ import annotations

import io
import re
import textwrap
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from bot.forms.definitions import Kind

if TYPE_CHECKING:
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


WIDTH = 7.0  # inches
ROW = 0.28  # inches per choice, and per question title
TOP = 0.5  # inches for the chart's title
DPI = 100
LEFT = 0.03  # margins, as a share of the width
SPAN = 0.83  # the longest bar, as a share of the width
BAR = "#a9c6ef"
INK = "#1a1a1a"


def charted(tallies: list[Tally]) -> list[Tally]:
    """The questions a chart shows: those with choices or a scale, answered at least once."""
    kinds = (Kind.CHOICE, Kind.MULTI, Kind.SCALE)
    return [t for t in tallies if t.question.kind in kinds and t.answered]


def distributions(title: str, tallies: list[Tally]) -> bytes | None:
    """One horizontal bar chart per question, stacked; None when nothing is charted."""
    shown = charted(tallies)
    if not shown:
        return None
    from matplotlib.figure import Figure
    from matplotlib.patches import Rectangle

    rows = sum(1 + len(t.counts) for t in shown) + 0.5 * (len(shown) - 1)
    height = TOP + ROW * rows + 0.15
    figure = Figure(figsize=(WIDTH, height), dpi=DPI, facecolor="white")

    def at(inches: float) -> float:  # from the top, in inches -> figure coordinates
        return 1 - inches / height

    figure.text(0.5, at(TOP / 2), textwrap.shorten(title, 90), ha="center", va="center",
                fontsize=12, color=INK)
    y = TOP
    for t in shown:
        figure.text(LEFT, at(y + ROW / 2), textwrap.shorten(t.question.text, 90),
                    va="center", fontsize=10, fontweight="bold", color=INK)
        y += ROW
        most = max(t.counts.values()) or 1
        for label, count in t.counts.items():
            figure.add_artist(Rectangle(
                (LEFT, at(y + ROW - 0.04)), SPAN * count / most, (ROW - 0.08) / height,
                transform=figure.transFigure, color=BAR, linewidth=0))
            figure.text(LEFT + 0.01, at(y + ROW / 2), textwrap.shorten(label, 70),
                        va="center", fontsize=9, color=INK)
            figure.text(1 - LEFT, at(y + ROW / 2), str(count), ha="right", va="center",
                        fontsize=9, color=INK)
            y += ROW
        y += ROW / 2
    out = io.BytesIO()
    figure.savefig(out, format="png", pil_kwargs={"compress_level": 1})
    return out.getvalue()
