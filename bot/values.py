"""Parsing the values people type: zones, dates, times, room ids, user ids.

Each parser raises ValueError with a message saying what was wrong and what is
accepted; the command framework turns that into a usage answer.
"""

from __future__ import annotations

import difflib
import functools
import re
from dataclasses import dataclass
from datetime import date, time
from typing import Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from bot.text import clip


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
        f"{clip(text)!r} is not a time zone I know. Use an IANA name in Area/City form, "
        f"such as Europe/Oslo, America/New_York or Asia/Kolkata (or UTC).{hint}"
    )


def parse_date(text: str) -> date:
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            return date.fromisoformat(text)
    except ValueError:
        pass
    raise ValueError(f"{clip(text)!r} is not a date; use YYYY-MM-DD, for example 2026-03-17")


def parse_time(text: str) -> time:
    match = re.fullmatch(r"(\d{1,2}):(\d{2})", text)
    if match and int(match[1]) < 24 and int(match[2]) < 60:
        return time(int(match[1]), int(match[2]))
    raise ValueError(f"{clip(text)!r} is not a time; use HH:MM on the 24-hour clock, e.g. 14:00")


def parse_int(text: str, minimum: int | None = None, maximum: int | None = None) -> int:
    if not re.fullmatch(r"[+-]?\d{1,9}", text):
        raise ValueError(f"{clip(text)!r} is not a whole number")
    value = int(text)
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
    raise ValueError(f"{clip(text)!r} is not yes or no")


@dataclass(frozen=True)
class RoomCode:
    """A local room's short id as people see it: `R7`."""

    number: int
    metavar = "R7"

    @classmethod
    def parse(cls, text: str) -> Self:
        match = re.fullmatch(r"[Rr]?(\d{1,9})", text.strip())
        if not match:
            raise ValueError(f"{clip(text)!r} is not a room id; room ids look like R7")
        return cls(int(match[1]))

    def __str__(self) -> str:
        return f"R{self.number}"


class UserId(str):
    """A chat user id such as `@ana:uni.no`."""

    metavar = "@user:server"

    @classmethod
    def parse(cls, text: str) -> Self:
        text = text.strip()
        if not re.fullmatch(r"@[a-z0-9._=/+-]+:[A-Za-z0-9.-]+(:\d{1,5})?", text):
            raise ValueError(
                f"{clip(text)!r} is not a user id; user ids look like @ana:example.org"
            )
        return cls(text)
