"""Parsing the values people type: zones, dates, times, room ids, user ids.

Each parser raises ValueError with a message saying what was wrong and what is
accepted; the command framework turns that into a usage answer.
"""

from __future__ import annotations

import difflib
import functools
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, time
from typing import Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

import pycountry

from bot import networks
from bot.text import clip, escape, quoted

# Phones type en and em dashes (and minus signs) in ranges: `10:00–15:00`, `days=1–3`.
_DASHES = str.maketrans(dict.fromkeys("‐‑‒–—―−", "-"))
# Invisible characters that can disguise a name: bidi overrides and isolates, marks,
# zero-width spaces and joiners, the byte order mark.
_INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\u061c\u180e]")
_LINE_BREAKS = re.compile("[\n\r\v\f\x85\u2028\u2029]")


def whole_characters(text: str) -> str:
    """Lone surrogates (a JSON `\\ud800` escape decodes to one) as U+FFFD: no database
    driver can store them, and a message is text to answer, not to fail on."""
    return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


def dashes(text: str) -> str:
    """Typographic dashes as plain hyphens, as a phone types them (`in—person`, `1–3`).

    Every parser of a value whose form has a hyphen applies it: dates and date lists,
    slugs, time and day ranges, choices (`mode=in-person`), countries, languages, and
    command names (`!forget—me`). Free text and addresses keep what was typed.
    """
    return text.translate(_DASHES)


def clean_line(text: str) -> str:
    """One line of text as people mean it: invisible characters removed, tabs as spaces.

    ValueError for line breaks and other control characters.
    """
    text = _INVISIBLE.sub("", text).replace("\t", " ")
    if _LINE_BREAKS.search(text):
        raise ValueError("must be on one line (no line breaks)")
    if any(unicodedata.category(c) == "Cc" for c in text):
        raise ValueError("must not contain control characters")
    return text


def clean_text(text: str) -> str:
    """Free text of several lines: ValueError for control characters other than breaks."""
    if any(unicodedata.category(c) == "Cc" and c not in "\n\r\t" for c in text):
        raise ValueError("must not contain control characters")
    return text


# Letters that carry their accent in the letter itself, so no decomposition removes it.
_PLAIN_LETTERS = str.maketrans(
    {"ø": "o", "æ": "ae", "œ": "oe", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "ı": "i"}
)


def fold(text: str) -> str:
    """Text for matching: no accents, no case (`Café` and `cafe`, `Tromsø` and `tromso` match)."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return plain.translate(_PLAIN_LETTERS)


@functools.cache
def _zone_names() -> dict[str, str]:
    return {name.lower(): name for name in available_timezones()}


def parse_zone(text: str) -> ZoneInfo:
    """An IANA zone, case-insensitive (`europe/oslo` -> Europe/Oslo)."""
    name = _zone_names().get(text.strip().lower())
    if name is not None:
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            pass
    close = difflib.get_close_matches(text.lower(), _zone_names(), n=2, cutoff=0.75)
    hint = " Did you mean " + " or ".join(_zone_names()[c] for c in close) + "?" if close else ""
    raise ValueError(
        f"{quoted(text)} is not a time zone I know. Use an IANA name in Area/City form, "
        f"such as Europe/Oslo, America/New_York or Asia/Kolkata (or UTC).{hint}"
    )


def parse_date(text: str) -> date:
    text = dashes(text)
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            return date.fromisoformat(text)
    except ValueError:
        pass
    raise ValueError(f"{quoted(text)} is not a date; use YYYY-MM-DD, for example 2026-03-17")


def parse_time(text: str) -> time:
    match = re.fullmatch(r"(\d{1,2}):(\d{2})", text)
    if match and int(match[1]) < 24 and int(match[2]) < 60:
        return time(int(match[1]), int(match[2]))
    raise ValueError(f"{quoted(text)} is not a time; use HH:MM on the 24-hour clock, e.g. 14:00")


def parse_int(text: str, minimum: int | None = None, maximum: int | None = None) -> int:
    match = re.fullmatch(r"([+-]?)0*(\d+)", text.strip())
    if not match:
        raise ValueError(f"{quoted(text)} is not a whole number")
    if len(match[2]) > 9:  # do not turn a pasted megabyte of digits into a number
        sign, shown = match[1] == "-", escape(clip(text, 20))  # `-1…` must not start a list
        if sign and minimum is not None:
            raise ValueError(f"{shown} is too small; the least accepted is {minimum}")
        if not sign and maximum is not None:
            raise ValueError(f"{shown} is too large; the most accepted is {maximum}")
        raise ValueError(f"{shown} is too large a number")
    value = int(match[1] + match[2])
    if minimum is not None and value < minimum:
        raise ValueError(f"{value} is too small; the least accepted is {minimum}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{value} is too large; the most accepted is {maximum}")
    return value


def parse_bool(text: str) -> bool:
    lowered = text.lower()
    if lowered in ("yes", "y", "true", "on", "1"):
        return True
    if lowered in ("no", "n", "false", "off", "0"):
        return False
    raise ValueError(f"{quoted(text)} is not yes or no")


@dataclass(frozen=True)
class RoomCode:
    """A local room's short id as people see it: `R7`."""

    number: int
    metavar = "R7"
    what = "the room id"

    @classmethod
    def parse(cls, text: str) -> Self:
        match = re.fullmatch(r"[Rr]?(\d{1,9})", text.strip())
        if not match:
            raise ValueError(f"{quoted(text)} is not a room id; room ids look like R7")
        return cls(int(match[1]))

    def __str__(self) -> str:
        return f"R{self.number}"


class UserId(str):
    """A chat user id, in the form of some registered network (bot/networks.py),
    as its transport hands it (a transport that reads mentions turns one into the
    id). In a usage line, a person as the asker's network writes one."""

    metavar = networks.PERSON
    what = "the person"

    def fits(self, network: str) -> bool:
        """Whether the id can name a person on `network` (each network's people are
        its own: an id of one names nobody on another)."""
        return networks.get(network).fits(self)

    @classmethod
    def parse(cls, text: str) -> Self:
        text = text.strip()
        # 255 characters at most, as the column holds (and the longest network allows).
        if len(text) > 255 or networks.owner_of(text) is None:
            raise ValueError(f"{quoted(text)} does not name a person")
        return cls(text)


# Words that follow a command's name (`!workshop add`, `!rooms export`): a slug
# spelled like one would make `!workshop add` mean two things. tests/unit/test_framework.py
# checks that every such word of the registered commands is here.
COMMAND_WORDS = frozenset(
    {"add", "edit", "use", "remove", "withdraw", "roster", "lead", "host", "export",
     "step-down", "join", "leave", "list", "show", "help", "all", "current", "summary",
     "ics", "pending", "missed", "archive", "reset"}
)


class Slug(str):
    """A workshop's short name: `2026-spring`."""

    metavar = "slug"
    what = "the workshop's slug"

    @classmethod
    def parse(cls, text: str) -> Self:
        text = dashes(text)
        if not re.fullmatch(r"[a-z0-9][a-z0-9-]{1,39}", text):
            raise ValueError(
                f"{quoted(text)} is not a workshop slug; use 2-40 lowercase letters, digits "
                "and dashes, e.g. 2026-spring"
            )
        if text in COMMAND_WORDS:
            raise ValueError(f"{quoted(text)} is a word the commands use, so it cannot be a slug")
        return cls(text)


class Url(str):
    """A web address people click: http(s) only."""

    metavar = "https://…"

    @classmethod
    def parse(cls, text: str) -> Self:
        if not re.fullmatch(r"https?://[^\s<>\"]{1,490}", text):
            raise ValueError(f"{quoted(text)} is not a web address starting with https://")
        return cls(text)


@dataclass(frozen=True)
class DateList:
    """Workshop days: `2026-03-17,2026-03-18` (in order, no repeats)."""

    dates: tuple[date, ...]
    metavar = "YYYY-MM-DD,…"

    @classmethod
    def parse(cls, text: str) -> Self:
        dates = tuple(parse_date(part.strip()) for part in text.split(",") if part.strip())
        if not dates:
            raise ValueError("give at least one date, e.g. 2026-03-17,2026-03-18")
        if len(dates) > 31:
            raise ValueError("a workshop has at most 31 days")
        if list(dates) != sorted(set(dates)):
            raise ValueError("list the dates in order, each once")
        return cls(dates)


@dataclass(frozen=True)
class TimeRange:
    """A day's local teaching hours: `10:00-15:00`."""

    start: time
    end: time
    metavar = "HH:MM-HH:MM"

    @classmethod
    def parse(cls, text: str) -> Self:
        parts = dashes(text).split("-")
        if len(parts) != 2:
            raise ValueError(
                f"{quoted(text)} is not a time range; use HH:MM-HH:MM, e.g. 10:00-15:00"
            )
        start, end = parse_time(parts[0].strip()), parse_time(parts[1].strip())
        if end == start:
            raise ValueError(f"the range {start:%H:%M}-{end:%H:%M} is empty; the end must be later")
        if end < start:
            raise ValueError(
                f"the range {start:%H:%M}-{end:%H:%M} is reversed; "
                f"did you mean {end:%H:%M}-{start:%H:%M}?"
            )
        return cls(start, end)


@dataclass(frozen=True)
class DaySet:
    """The workshop days a room covers, by number: `1-6`, `1,3,5` or `all`."""

    numbers: frozenset[int] | None  # None: all days
    metavar = "1-6"

    @classmethod
    def parse(cls, text: str) -> Self:
        text = dashes(text)
        if text.strip().lower() == "all":
            return cls(None)
        numbers: set[int] = set()
        for part in text.split(","):
            match = re.fullmatch(r"\s*(\d{1,2})\s*(?:-\s*(\d{1,2})\s*)?", part)
            if not match:
                raise ValueError(
                    f"{quoted(text)} is not a list of days; use e.g. 1-6, 1,3,5 or all"
                )
            first, last = int(match[1]), int(match[2] or match[1])
            if first < 1:
                raise ValueError(f"{quoted(part.strip())} is not a day range; days count from 1")
            if last < first:
                raise ValueError(
                    f"the day range {first}-{last} is reversed; did you mean {last}-{first}?"
                )
            numbers.update(range(first, last + 1))
        return cls(frozenset(numbers))

    def resolve(self, day_count: int) -> frozenset[int]:
        """The covered days of a workshop with `day_count` days; ValueError if outside."""
        if self.numbers is None:
            return frozenset(range(1, day_count + 1))
        outside = sorted(n for n in self.numbers if n > day_count)
        if outside:
            raise ValueError(
                f"day {outside[0]} is not a workshop day; this workshop has days 1-{day_count}"
            )
        return self.numbers


def format_days(numbers: frozenset[int] | set[int]) -> str:
    """`1-3,5`: day numbers as compact ranges."""
    runs: list[list[int]] = []
    for n in sorted(numbers):
        if runs and n == runs[-1][1] + 1:
            runs[-1][1] = n
        else:
            runs.append([n, n])
    return ",".join(f"{a}" if a == b else f"{a}-{b}" for a, b in runs)


def parse_days(stored: str) -> frozenset[int]:
    """Day numbers from their stored compact form."""
    found = DaySet.parse(stored).numbers
    assert found is not None
    return found


class Language(str):
    """A language as its ISO 639-1 code (`de`), also given by its English name (`German`)."""

    metavar = "en"
    what = "the language"

    @classmethod
    def parse(cls, text: str) -> Self:
        cleaned = dashes(text).strip()
        found = None
        if re.fullmatch(r"[A-Za-z]{2}", cleaned):
            found = pycountry.languages.get(alpha_2=cleaned.lower())
        elif re.fullmatch(r"[A-Za-z ()-]{3,40}", cleaned):
            try:
                found = pycountry.languages.lookup(cleaned)
            except LookupError:
                found = None
        code = getattr(found, "alpha_2", None)
        if code is None:
            raise ValueError(
                f"{quoted(text)} is not an ISO 639-1 language code; use two letters, "
                "e.g. en, de, fi, no or es"
            )
        return cls(code)


def language_name(code: str) -> str:
    """`German (de)`: a stored language code with its English name, when it is known."""
    found = pycountry.languages.get(alpha_2=code) if re.fullmatch(r"[a-z]{2}", code) else None
    name = getattr(found, "name", None)
    return f"{name} ({code})" if name else code
