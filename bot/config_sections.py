"""The sections of a configuration file: frozen dataclasses, one per TOML table.

The loader (`bot.config`) walks their fields, so these dataclasses are the one
description of what a configuration may hold: a field's type is what is
accepted, its default the default, its metadata how each value is checked
(`each`), its lower bound (`min`) or its choices (`choices`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any


@dataclass(frozen=True)
class BotSettings:
    prefix: str = field(default="!", metadata={"doc": "command prefix (optional in direct chats)"})
    organizers: tuple[str, ...] = field(
        default=(), metadata={"doc": "user ids with organizer rights", "each": "user id"}
    )
    organizers_room: str | None = field(default=None, metadata={"each": "room id"})
    organizers_power_level: int = 50
    default_timezone: str = field(default="UTC", metadata={"each": "time zone"})
    log_level: str = field(default="INFO", metadata={"choices": ("DEBUG", "INFO", "WARNING")})
    # Every other library's loggers (aiosqlite, SQLAlchemy, network clients): bot/logs.py.
    library_log_level: str = field(
        default="WARNING", metadata={"choices": ("DEBUG", "INFO", "WARNING", "ERROR")}
    )


@dataclass(frozen=True)
class DatabaseSettings:
    url: str = field(
        default="sqlite+aiosqlite:///classroom-bot.db", metadata={"each": "database url"}
    )
    auto_migrate: bool = True
    # SQLite: how long a command waits for a lock another program holds.
    busy_timeout_seconds: float = field(default=30.0, metadata={"min": 0.1})


@dataclass(frozen=True)
class FeedbackSettings:
    enabled: bool = field(default=True, metadata={"doc": "feedback forms, summaries, exports"})
    # The pseudonym key: `run` refuses to start without it while feedback is on.
    key: str | None = None
    forms_file: str | None = field(
        default=None, metadata={"doc": "TOML file of forms replacing or adding to the defaults"}
    )
    min_responses_for_leads: int = field(default=5, metadata={"min": 1})
    # How long after its day ends a daily form is answerable (../shared/PRODUCT.md 12).
    daily_window: str = field(default="36h", metadata={"each": "duration"})
    # How long after the last day ends final, debrief (any form not about a day) are.
    final_window: str = field(default="7d", metadata={"each": "duration"})


@dataclass(frozen=True)
class ConversationSettings:
    """Conversations in a direct chat (bot/conversations/): a form lasts until its
    window closes; a confirmation this many minutes."""

    confirm_minutes: int = field(default=10, metadata={"min": 1})


@dataclass(frozen=True)
class HttpSettings:
    listen: str | None = field(default=None, metadata={"each": "listen address"})
    sync_max_age_seconds: int = field(default=300, metadata={"min": 1})


@dataclass(frozen=True)
class ReminderSettings:
    """Offsets of the reminder schedule (../shared/PRODUCT.md section 4), as durations
    like `24h`, `30m`, `1d` or `90s`."""

    enabled: bool = True
    onboarding_before: tuple[str, ...] = field(default=("24h", "1h"), metadata={"each": "duration"})
    pick_session_days_before: int = field(default=7, metadata={"min": 0})
    learner_day_before: str = field(default="1d", metadata={"each": "duration"})
    day_start_before: str = field(default="30m", metadata={"each": "duration"})
    day_end_after: str = field(default="0m", metadata={"each": "duration"})
    final_after: str = field(default="1h", metadata={"each": "duration"})
    # Before a form's window closes, one reminder to each person asked it who has not
    # saved it; "0" (any zero duration) or "" sends none.
    form_closing_before: str = field(default="12h", metadata={"each": "duration or off"})
    grace: str = field(default="6h", metadata={"each": "duration"})


@dataclass(frozen=True)
class RoomSettings:
    # Rooms one person may register (be host of) in one workshop, withdrawn ones not
    # counted; organizers may register any number. 0: no limit.
    max_per_person: int = field(default=3, metadata={"min": 0})


@dataclass(frozen=True)
class LimitSettings:
    """How many commands one person may send (a token bucket per person and network,
    bot/commands/limits.py); organizers are not limited."""

    # The bucket refills at this pace; 0 switches the limit off.
    commands_per_minute: int = field(default=30, metadata={"min": 0})
    # Commands one person may send at once, with nothing sent before.
    burst: int = field(default=30, metadata={"min": 1})
    # Past the limit: one "slow down" answer, then nothing for this long.
    quiet_minutes: int = field(default=5, metadata={"min": 1})


@dataclass(frozen=True)
class StatusSettings:
    """The live status board (`!status`): one message per workshop day in the board
    room or channel each network's section names, edited in place."""

    # The least time between two edits of one board: changes in between are
    # coalesced into the next edit.
    edit_interval_seconds: float = field(default=3.0, metadata={"min": 0.0})


@dataclass(frozen=True)
class ChatSettings:
    """A chat room per local room, made and kept by the bot (bot/services/chats.py,
    docs/chats.md). Off unless turned on: it creates rooms and invites people, which
    the bot's account needs the network's rights for."""

    enabled: bool = field(
        default=False, metadata={"doc": "default for `workshop edit SLUG chats=yes|no`"}
    )
    # Days after the workshop's last day when its chats become read-only for all but
    # their leads and leave the workshop's listing.
    archive_after: int = field(default=14, metadata={"min": 0})
    # A learner who leaves the local room: removed from its chat, or left in it.
    on_leave: str = field(default="remove", metadata={"choices": ("remove", "keep")})


# Keys an earlier version read, and what replaced them (the loader names both).
RETIRED = {
    "feedback.idle_minutes": "a form now lasts until its window closes "
    "(feedback.daily_window, feedback.final_window), however long the pause; remove it",
}

_DURATION = re.compile(r"^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$")


def parse_optional_duration(text: str) -> timedelta | None:
    """A duration that may be switched off: `""`, `0` or a zero duration -> None."""
    if text.strip() in ("", "0"):
        return None
    return parse_duration(text) or None


def parse_duration(text: str) -> timedelta:
    """`2d3h`, `30m`, `90s` -> a timedelta; ValueError otherwise."""
    match = _DURATION.match(text.strip())
    if not text.strip() or match is None:
        raise ValueError(f"{text!r} is not a duration like 1d, 2h30m or 45m")
    days, hours, minutes, seconds = (int(part or 0) for part in match.groups())
    return timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)


@dataclass(frozen=True)
class Settings:
    bot: BotSettings = BotSettings()
    database: DatabaseSettings = DatabaseSettings()
    feedback: FeedbackSettings = FeedbackSettings()
    conversations: ConversationSettings = ConversationSettings()
    http: HttpSettings = HttpSettings()
    reminders: ReminderSettings = ReminderSettings()
    rooms: RoomSettings = RoomSettings()
    limits: LimitSettings = LimitSettings()
    status: StatusSettings = StatusSettings()
    chats: ChatSettings = ChatSettings()
    # The chat networks' sections (`[NAME]` in the file) by network name: each network's
    # registration (bot/networks.py) says what its section holds.
    networks: Mapping[str, Any] = field(default_factory=dict, metadata={"internal": True})
    source: str = field(default="<defaults>", compare=False, metadata={"internal": True})

    def network(self, name: str) -> Any | None:
        """The section of the network named `name`; None when the file has none."""
        return self.networks.get(name)
