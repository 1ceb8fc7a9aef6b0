"""Building reply text: Markdown escaping and times shown in a person's zone."""

from __future__ import annotations

import functools
import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

# Characters that open inline syntax wherever they stand: CommonMark's emphasis,
# code spans, links, autolinks and HTML, character references (`&#10;` would
# become a line break) and the backslash itself; Zulip's strikethrough, tables
# and `$$math$$`. A backslash before any ASCII punctuation is valid CommonMark,
# so escaping one character too many costs nothing but a backslash in the source.
_INLINE = re.compile(r"([\\`*_\[\]<>~|&$])")
# A colon that opens Zulip's `:emoji:`, and the one in a `zulip:12` the Zulip
# formatter would turn into a mention; other colons (`10:00`, `@ana:uni.no`,
# `https://`) need nothing.
_COLON = re.compile(r":(?=[\w+-]+:)|(?<=zulip):(?=\d)")
# What opens a block at the start of a line (or of a list item's content): an ATX
# heading, a list item, a thematic break or setext underline (`---`, `===`), an
# ordered item (`1.`, `1)`), Zulip's `/me`. Fences, quotes and tables begin with
# characters _INLINE already escapes.
_BLOCK_START = re.compile(r"^(?:([#+\-=/])|(\d+)([.)]))")
# Every line break a person's device may send, CRLF counted once.
_LINE_BREAK = re.compile("\r\n|[\n\r\v\f\x85\u2028\u2029]")


# Text none of the rules above would change (most names and places): no character
# _INLINE, _COLON or _LINE_BREAK looks at, nothing _BLOCK_START matches first, no
# spaces at either end. `escape` returns it as it is, without splitting it.
_PLAIN = re.compile(r"(?![\s#+\-=/\d])[^\\`*_\[\]<>~|&$:\r\n\v\f\x85\u2028\u2029]*(?<!\s)")


def escape(text: str) -> str:
    """User text as Markdown that shows exactly that text, wherever it is placed.

    Valid anywhere in a line, also where a block could begin (the start of a
    line or of a list item's content): no emphasis, code, link, HTML, heading,
    list, quote, rule, fence, table or indented code of the text's making, no
    character reference decoded (`&#10;` stays those five characters), and the
    spaces at either end kept (as `&#32;`, which CommonMark does not strip).

    Text of several lines keeps its line breaks inside the block it stands in
    (a hard break, the next line indented so it stays in a list item), each line
    escaped on its own; breaks at the very end show nothing and are dropped.
    Which breaks count: CR, LF, CRLF, VT, FF, NEL, U+2028 and U+2029.
    Networks that do not read backslash escapes (Zulip) get them rewritten by
    their formatter.
    """
    if _PLAIN.fullmatch(text):
        return text
    return _escaped(text)


def _escaped(text: str) -> str:
    lines = _LINE_BREAK.split(text)
    while len(lines) > 1 and not lines[-1]:
        lines.pop()
    return "\\\n  ".join(_escape_line(line) for line in lines)


def _escape_line(line: str) -> str:
    core = line.strip()
    if not core:
        return _references(line)
    start = len(line) - len(line.lstrip())
    body = _COLON.sub(r"\\:", _INLINE.sub(r"\\\1", core))
    body = _BLOCK_START.sub(lambda m: f"\\{m[1]}" if m[1] else f"{m[2]}\\{m[3]}", body)
    return _references(line[:start]) + body + _references(line[start + len(core):])


def _references(spaces: str) -> str:
    """Whitespace as numeric character references: CommonMark keeps those."""
    return "".join(f"&#{ord(c)};" for c in spaces)


def quoted(text: str, limit: int = 80) -> str:
    """What someone typed, quoted back in an answer: clipped, in quotes, literal."""
    return escape(repr(clip(text, limit)))


def link(url: str) -> str:
    """A validated web address as a Markdown autolink (no escapes apply inside)."""
    return f"<{url}>"


def code(text: str) -> str:
    """An inline code span that survives any backticks inside `text`.

    Line breaks become spaces, as a code span shows them anyway: a break inside
    one could otherwise start a block (`# x` on the next line) before the span
    is read.
    """
    text = _LINE_BREAK.sub(" ", text)
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


_UNITS = (("day", 86_400), ("hour", 3_600), ("minute", 60), ("second", 1))


def ahead(offset: timedelta) -> str:
    """How far ahead something is, as a reminder that far ahead says it: `tomorrow`,
    `in one hour`, `in 30 minutes`, `in 25 hours`, `in 90 seconds`. Reminders of one
    kind at several offsets (24 h and 1 h before a session) then say which they are.

    The largest unit the offset is a whole number of; a count past a few of a
    smaller unit (1d1m would be 1441 minutes) is rounded to the larger one, "about".
    """
    seconds = int(offset.total_seconds())
    if seconds <= 0:
        return "now"
    if seconds == 86_400:
        return "tomorrow"
    for index, (unit, size) in enumerate(_UNITS):
        if seconds % size:
            continue
        count = seconds // size
        larger, larger_size = _UNITS[index - 1] if index else (unit, size)
        if count > 3 * (larger_size // size) and larger_size > size:
            rounded = round(seconds / larger_size)
            return f"in about {rounded} {larger}{'s' if rounded != 1 else ''}"
        return f"in {'one' if count == 1 else count} {unit}{'s' if count != 1 else ''}"
    raise AssertionError("a whole number of seconds is always found")  # pragma: no cover
