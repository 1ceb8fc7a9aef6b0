"""Chart images of feedback distributions (PNG), drawn with matplotlib.

matplotlib is imported inside `distributions` only, with the Agg backend (no
display), so starting the bot does not load it: only drawing a chart does.
"""

from __future__ import annotations

import io
import textwrap
from typing import TYPE_CHECKING

from bot.forms.definitions import Kind

if TYPE_CHECKING:
    from bot.services.summary import Tally


def charted(tallies: list[Tally]) -> list[Tally]:
    """The questions a chart shows: those with choices or a scale, answered at least once."""
    kinds = (Kind.CHOICE, Kind.MULTI, Kind.SCALE)
    return [t for t in tallies if t.question.kind in kinds and t.answered]


def distributions(title: str, tallies: list[Tally]) -> bytes | None:
    """One horizontal bar chart per question, stacked; None when nothing is charted."""
    shown = charted(tallies)
    if not shown:
        return None
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    heights = [0.6 + 0.35 * len(t.counts) for t in shown]
    figure = Figure(figsize=(8, sum(heights) + 0.6), layout="constrained")
    figure.suptitle(title)
    axes = figure.subplots(len(shown), 1, squeeze=False, height_ratios=heights)
    for ax, t in zip(axes[:, 0], shown, strict=True):
        labels = [textwrap.shorten(label, 40) for label in t.counts]
        counts = list(t.counts.values())
        ax.barh(range(len(counts)), counts, color="#3b7dd8")
        ax.set_yticks(range(len(counts)), labels)
        ax.invert_yaxis()
        ax.set_title(textwrap.shorten(t.question.text, 80), fontsize=10, loc="left")
        ax.xaxis.get_major_locator().set_params(integer=True)
        for y, count in enumerate(counts):
            ax.text(count, y, f" {count}", va="center", fontsize=8)
    out = io.BytesIO()
    figure.savefig(out, format="png", dpi=100)
    return out.getvalue()
