"""The Matrix transport's decisions, as pure functions: direct chats, whom to
accept invites from, which missed commands are too old to answer, power levels.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from datetime import UTC, datetime, timedelta


def server_of(user_id: str) -> str | None:
    """The server part of a user id (`@ana:uni.no` -> `uni.no`); None without one.

    Only for user ids: a room id's part after `:` names no server to trust (room
    version 12 ids have none at all, `!` and an opaque id)."""
    _, colon, server = user_id.partition(":")
    return server.lower() if colon and server else None


def invite_allowed(inviter: str | None, allowed: Collection[str]) -> bool:
    """Join when the inviter, or the inviter's server, is allowed.

    Entries are user ids (`@ana:uni.no`, compared exactly) or server names
    (`uni.no`, compared without regard to case). The room's id is not consulted:
    it is opaque (no server at all from room version 12 on), so an invite to a
    room whose old-style id ends in an allowed server is judged by its inviter too.
    """
    if inviter is None:
        return False
    if inviter in allowed:
        return True
    servers = {entry.lower() for entry in allowed if not entry.startswith("@")}
    return server_of(inviter) in servers


def is_direct_room(
    room_id: str,
    own_user_id: str,
    sender: str,
    direct: Mapping[str, Collection[str]],
) -> bool:
    """A direct chat with `sender`: Matrix marks it so (the bot's `m.direct`, which
    also holds the rooms the sender's invite marked `is_direct` and those the bot
    created as direct). How many members it has does not matter."""
    return sender != own_user_id and room_id in direct.get(sender, ())


def from_timestamp_ms(value: object) -> datetime | None:
    """An event's `origin_server_ts` as an aware instant; None when absent, not a
    number (a string, a boolean: events come from other people's servers) or absurd."""
    if not isinstance(value, int | float) or isinstance(value, bool):
        return None
    try:
        return datetime.fromtimestamp(value / 1000, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None


def too_old(sent_at: datetime | None, now: datetime, max_age: timedelta) -> bool:
    """A command older than `max_age` (sent while the bot was down) is left unanswered.

    An event without a usable timestamp is not judged old: the server always
    sets one, so this only happens with odd events, which are then answered.
    """
    return sent_at is not None and now - sent_at > max_age


# Room creators outrank every power level from room version 12 on (MSC4289):
# they are not listed in m.room.power_levels at all.
CREATOR_POWER_LEVEL = 2**53 - 1


def creators_outrank_everyone(room_version: str | None) -> bool:
    """Whether the room version gives its creators unlimited power (v12, and later)."""
    if room_version is None:
        return False
    if room_version.startswith("org.matrix.hydra."):
        return True
    return re.fullmatch(r"\d+", room_version) is not None and int(room_version) >= 12


def power_level_of(
    user: str,
    *,
    levels: Mapping[str, int],
    users_default: int,
    creators: Collection[str],
    room_version: str | None,
) -> int:
    """A user's power level in a room, creators of v12+ rooms included."""
    if user in creators and creators_outrank_everyone(room_version):
        return CREATOR_POWER_LEVEL
    return levels.get(user, users_default)
