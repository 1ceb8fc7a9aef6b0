"""Building reply text: Markdown escaping and times shown in a person's zone."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

# Enough to keep user text literal (no emphasis, links, code, HTML or tables) while
# leaving ordinary punctuation readable in the console, which shows Markdown as is.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>~|])")


def escape(text: str) -> str:
    """Make user-supplied text literal inside Markdown (no links, emphasis or HTML)."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def link(url: str) -> str:
    """A validated web address as a Markdown autolink (no escapes apply inside)."""
    return f"<{url}>"


def code(text: str) -> str:
    """An inline code span that survives any backticks inside `text`."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") or not text.strip() else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def when(instant: datetime, zone: ZoneInfo) -> str:
    """`Tue 17 Mar 10:00 CET`: an instant in a person's zone, the zone named."""
    local = instant.astimezone(zone)
    return f"{local:%a} {local.day} {local:%b %H:%M} {local.tzname()}"


def span(start: datetime, end: datetime, zone: ZoneInfo) -> str:
    """`Tue 17 Mar 10:00–15:00 CET`, or both ends in full when the dates differ."""
    local_start, local_end = start.astimezone(zone), end.astimezone(zone)
    if local_start.date() == local_end.date() and local_start.tzname() == local_end.tzname():
        return (
            f"{local_start:%a} {local_start.day} {local_start:%b %H:%M}"
            f"–{local_end:%H:%M} {local_end.tzname()}"
        )
    return f"{when(start, zone)} – {when(end, zone)}"


def clip(text: str, limit: int = 80) -> str:
    """Shorten text quoted back to a person so a huge message is not echoed whole."""
    return text if len(text) <= limit else text[: limit - 1] + "…"
