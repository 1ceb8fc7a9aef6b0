"""The Matrix transport's decisions: retry delays, direct chats, invites, old commands,
power levels."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.retry import backoff_delay
from bot.transport.matrix_policy import (
    CREATOR_POWER_LEVEL,
    creators_outrank_everyone,
    from_timestamp_ms,
    invite_allowed,
    is_direct_room,
    power_level_of,
    server_of,
    too_old,
)

# -- backoff ---------------------------------------------------------------------


@pytest.mark.parametrize("rand", [0.0, 0.5, 0.999999])
def test_backoff_is_never_zero_and_never_above_the_cap(rand: float) -> None:
    for attempt in range(1, 200):
        delay = backoff_delay(attempt, base=0.25, cap=2.0, rand=lambda: rand)
        assert 0.125 <= delay <= 2.0


def test_backoff_doubles_until_the_cap() -> None:
    ceilings = [backoff_delay(n, base=0.25, cap=2.0, rand=lambda: 1.0) for n in range(1, 7)]
    assert ceilings == [0.25, 0.5, 1.0, 2.0, 2.0, 2.0]
    floors = [backoff_delay(n, base=0.25, cap=2.0, rand=lambda: 0.0) for n in range(1, 7)]
    assert floors == [0.125, 0.25, 0.5, 1.0, 1.0, 1.0]


def test_backoff_jitter_spreads_retries() -> None:
    low = backoff_delay(10, base=0.25, cap=2.0, rand=lambda: 0.0)
    high = backoff_delay(10, base=0.25, cap=2.0, rand=lambda: 0.99)
    assert high - low > 0.9


def test_backoff_survives_absurd_attempt_numbers() -> None:
    assert backoff_delay(10**9, base=0.25, cap=2.0, rand=lambda: 1.0) == 2.0
    assert backoff_delay(0, base=0.25, cap=2.0, rand=lambda: 1.0) == 0.25


# -- direct chats ----------------------------------------------------------------

BOT, ANA, BO = "@bot:uni.no", "@ana:uni.no", "@bo:uni.no"


@pytest.mark.parametrize(
    ("marked", "direct"),
    [
        ({}, False),  # just the two of them in a room is not enough
        ({ANA: ["!r"]}, True),  # marked as a direct chat with the sender
        ({ANA: ["!other"], BO: ["!r"]}, False),  # a direct chat, but with someone else
        ({ANA: ["!other", "!r"]}, True),
    ],
)
def test_a_direct_chat_is_what_m_direct_says(
    marked: dict[str, list[str]], direct: bool
) -> None:
    assert is_direct_room("!r", BOT, ANA, marked) is direct


def test_the_bot_is_not_in_a_direct_chat_with_itself() -> None:
    assert is_direct_room("!r", BOT, BOT, {BOT: ["!r"]}) is False


# -- invites -----------------------------------------------------------------------


def test_server_of_a_user_id() -> None:
    assert server_of("@ana:Uni.NO") == "uni.no"
    assert server_of("@ana:uni.no:8448") == "uni.no:8448"
    assert server_of("@ana") is None
    assert server_of("@ana:") is None


@pytest.mark.parametrize(
    ("inviter", "allowed", "joins"),
    [
        ("@ana:uni.no", ("@ana:uni.no",), True),
        ("@ana:uni.no", ("uni.no",), True),  # the inviter's server
        ("@ana:UNI.no", ("uni.NO",), True),  # server names ignore case
        ("@eve:evil.org", ("uni.no",), False),
        ("@eve:evil.org", ("@ana:uni.no",), False),
        ("@eve:uni.no", ("@ana:uni.no",), False),  # a user entry is not a server
        ("@ana:uni.no", (), False),
        (None, ("uni.no",), False),
        ("@ana:uni.no.evil.org", ("uni.no",), False),
    ],
)
def test_invites_are_accepted_from_allowed_users_and_servers(
    inviter: str | None, allowed: tuple[str, ...], joins: bool
) -> None:
    """The room's id is never read for a server: opaque, and without one from room
    version 12 on (an invite by @eve:evil.org to `!r:uni.no` was accepted before)."""
    assert invite_allowed(inviter, allowed) is joins


# -- old commands ------------------------------------------------------------------

NOW = datetime(2026, 3, 17, 10, 0, tzinfo=UTC)


def test_commands_older_than_the_limit_are_too_old() -> None:
    limit = timedelta(minutes=10)
    assert too_old(NOW - timedelta(minutes=10, seconds=1), NOW, limit)
    assert not too_old(NOW - timedelta(minutes=9, seconds=59), NOW, limit)
    assert not too_old(NOW + timedelta(seconds=30), NOW, limit)  # server clock ahead
    assert not too_old(None, NOW, limit)
    assert too_old(NOW - timedelta(seconds=1), NOW, timedelta(0))


def test_timestamps_become_aware_instants_or_nothing() -> None:
    assert from_timestamp_ms(1_773_741_600_000) == NOW
    assert from_timestamp_ms(None) is None
    assert from_timestamp_ms(10**30) is None


# -- power levels ---------------------------------------------------------------------


def test_power_levels_from_the_room_state() -> None:
    levels = {ANA: 100, BO: 50}
    assert power_level_of(BO, levels=levels, users_default=0, creators=(ANA,),
                          room_version="10") == 50
    assert power_level_of(BOT, levels=levels, users_default=5, creators=(ANA,),
                          room_version="10") == 5


def test_creators_of_version_12_rooms_outrank_everyone() -> None:
    assert power_level_of(ANA, levels={}, users_default=0, creators=(ANA,),
                          room_version="12") == CREATOR_POWER_LEVEL
    assert power_level_of(ANA, levels={}, users_default=0, creators=(ANA,),
                          room_version="11") == 0
    assert creators_outrank_everyone("13")
    assert creators_outrank_everyone("org.matrix.hydra.11")
    assert not creators_outrank_everyone("org.matrix.msc2176")
    assert not creators_outrank_everyone(None)
