"""Building reply text: Markdown escaping and times shown in a person's zone."""

from __future__ import annotations

import functools
import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

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
    return f"{local:%a} {local.day} {local:%b %H:%M} {zone_label(local)}"


def span(start: datetime, end: datetime, zone: ZoneInfo) -> str:
    """`Tue 17 Mar 10:00–15:00 CET`, or both ends in full when the dates or zones differ."""
    local_start, local_end = start.astimezone(zone), end.astimezone(zone)
    if local_start.date() == local_end.date() and local_start.tzname() == local_end.tzname():
        return (
            f"{local_start:%a} {local_start.day} {local_start:%b %H:%M}"
            f"–{local_end:%H:%M} {zone_label(local_end)}"
        )
    return f"{when(start, zone)} – {when(end, zone)}"


def default_zone_note(zone: ZoneInfo, prefix: str) -> str:
    """Said under times shown to someone who has not set their zone."""
    return (
        f"Times are in {zone.key}, the default zone, as you have not set yours: "
        f"set it with {code(prefix + 'tz Area/City')}."
    )


def zone_label(local: datetime) -> str:
    """The zone of an aware local time as people read it.

    `CET`; `IST (UTC+05:30)` when the abbreviation means several offsets in the
    tz database (IST is Indian, Irish and Israeli time); `UTC+03:00` where the
    zone has no abbreviation of its own (zoneinfo says `+03`).
    """
    name, offset = local.tzname() or "", local.utcoffset()
    if offset is None:  # only for a naive or offset-less time, never from a ZoneInfo
        return name
    if not name or name[0] in "+-":
        return utc_offset(offset)
    if name in _ambiguous_abbreviations():
        return f"{name} ({utc_offset(offset)})"
    return name


def utc_offset(offset: timedelta) -> str:
    """`UTC+05:30`, `UTC-03:00`, `UTC+00:00`."""
    sign = "-" if offset < timedelta(0) else "+"
    minutes = abs(offset) // timedelta(minutes=1)
    return f"UTC{sign}{minutes // 60:02d}:{minutes % 60:02d}"


@functools.cache
def _ambiguous_abbreviations() -> frozenset[str]:
    """Abbreviations that stand for more than one UTC offset in the tz database.

    Derived from the installed tz data by sampling every zone four times a year
    over years around the present (a fixed range, so the answer does not drift
    with the clock); about 0.2 s, once per process.
    """
    offsets: dict[str, set[timedelta | None]] = {}
    samples = [
        datetime(year, month, 1, tzinfo=UTC)
        for year in range(_SAMPLED_YEARS[0], _SAMPLED_YEARS[1] + 1)
        for month in (1, 4, 7, 10)
    ]
    for key in available_timezones():
        try:
            zone = ZoneInfo(key)
        except (ZoneInfoNotFoundError, ValueError):
            continue
        for instant in samples:
            local = instant.astimezone(zone)
            offsets.setdefault(local.tzname() or "", set()).add(local.utcoffset())
    return frozenset(name for name, found in offsets.items() if len(found) > 1)


_SAMPLED_YEARS = (2015, 2040)


def clip(text: str, limit: int = 80) -> str:
    """Shorten text quoted back to a person so a huge message is not echoed whole."""
    return text if len(text) <= limit else text[: limit - 1] + "…"
