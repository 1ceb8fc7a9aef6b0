"""One person cannot flood the bot: the per-person command limit (bot/commands/limits.py).

Transcripts on a simulated clock (nothing sleeps), on SQLite and PostgreSQL:
one slow-down answer, then silence for the quiet period, while everyone else
is answered; the bucket refills; organizers and messages not for the bot are
not counted against anyone. The bucket itself is checked without a database.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from bot import metrics
from bot.commands.limits import Limits, Verdict
from bot.config import ConfigError, LimitSettings, RoomSettings, Settings, from_mapping
from bot.db.models import HandledEvent, OutboxMessage
from tests.chat import ORGANIZER, Chat

FLOODER = "@ana:uni.no"
# Hostile neighbours: ids that are prefixes or extensions of the flooder's.
NEIGHBOURS = ["@ana:uni.n", "@ana:uni.no2", "@an:uni.no", "@ana:uni.no.evil"]
NO_WORKSHOP = "No workshop is set up yet"
LIMITS = LimitSettings(commands_per_minute=6, burst=5, quiet_minutes=2)


@pytest.fixture
async def limited(tmp_path: Path, bot_database_url: str) -> Chat:
    chat = await Chat.open(tmp_path, url=bot_database_url, limits=LIMITS)
    try:
        yield chat  # type: ignore[misc]
    finally:
        await chat.close()


async def rows(chat: Chat, model: type[OutboxMessage] | type[HandledEvent]) -> int:
    async with chat.app.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


def held_back(kind: str) -> float:
    return metrics.HELD_BACK.labels(network="test", kind=kind)._value.get()


async def test_a_flood_gets_one_slow_down_then_silence_while_others_are_answered(
    limited: Chat,
) -> None:
    slowed, dropped = held_back("slowed_down"), held_back("dropped")
    answers = []
    for n in range(40):
        answers.append((await limited.say(FLOODER, "!rooms")).reply)
        if n % 10 == 0:  # the others, during the flood
            for other in NEIGHBOURS:
                assert NO_WORKSHOP in await limited.say(other, "!rooms")
    assert all(NO_WORKSHOP in a for a in answers[:5])
    assert answers[5] == (
        "Slow down, please: 6 commands in 1 s is more than I answer from one person. "
        "I will answer you again in 2 min; what you send until then is not read."
    )
    assert answers[6:] == [""] * 34
    assert held_back("slowed_down") == slowed + 1
    assert held_back("dropped") == dropped + 34
    # Nothing was written for a dropped message: not even its claim.
    assert await rows(limited, OutboxMessage) == 6 + 4 * 4
    assert await rows(limited, HandledEvent) == 6 + 4 * 4

    limited.clock.advance(timedelta(minutes=2) - timedelta(seconds=1))
    assert (await limited.say(FLOODER, "!rooms")).reply == ""
    limited.clock.advance(timedelta(seconds=1))
    again = [(await limited.say(FLOODER, "!rooms")).reply for _ in range(6)]
    assert all(NO_WORKSHOP in a for a in again[:5])  # a full bucket again
    assert again[5].startswith("Slow down, please: 6 commands in 1 s")


async def test_the_bucket_refills_at_its_pace(limited: Chat) -> None:
    """6 a minute: one every 10 s is never limited, however long it goes on; a
    burst spent, 10 s bring back exactly one command."""
    for _ in range(30):
        assert NO_WORKSHOP in await limited.say(FLOODER, "!rooms")
        limited.clock.advance(timedelta(seconds=10))
    for _ in range(5):
        assert NO_WORKSHOP in await limited.say(NEIGHBOURS[0], "!rooms")
    limited.clock.advance(timedelta(seconds=10))
    assert NO_WORKSHOP in await limited.say(NEIGHBOURS[0], "!rooms")
    limited.clock.advance(timedelta(seconds=9))
    assert "Slow down" in await limited.say(NEIGHBOURS[0], "!rooms")


async def test_messages_not_for_the_bot_are_not_counted(limited: Chat) -> None:
    for n in range(50):
        assert (await limited.say(FLOODER, f"chatting {n}, !rooms is a command")).reply == ""
        assert (await limited.say(FLOODER, "!!! wow")).reply == ""
    for _ in range(5):
        assert NO_WORKSHOP in await limited.say(FLOODER, "!rooms")


async def test_organizers_are_not_limited(limited: Chat) -> None:
    answers = [await limited.say(ORGANIZER, "!workshops") for _ in range(30)]
    assert all("Slow down" not in a and a.reply for a in answers)


async def test_answers_in_a_direct_chat_count_too(limited: Chat) -> None:
    answers = [(await limited.say(FLOODER, "what?", direct=True)).reply for _ in range(7)]
    assert all("I don't know the command" in a for a in answers[:5])
    assert answers[5].startswith("Slow down") and answers[6] == ""


async def test_a_redelivered_slow_down_is_not_said_twice(limited: Chat) -> None:
    for _ in range(5):
        await limited.say(FLOODER, "!rooms")
    assert "Slow down" in await limited.say(FLOODER, "!rooms", event_id="$slow")
    limited.clock.advance(timedelta(minutes=3))  # quiet over, a full bucket
    assert (await limited.say(FLOODER, "!rooms", event_id="$slow")).reply == ""


async def test_a_message_handed_again_is_judged_once(limited: Chat) -> None:
    """The transport hands a batch again when the database could not be reached: its
    messages take no second token, and a dropped one stays unanswered, also after
    the quiet period."""
    for n in range(5):
        assert NO_WORKSHOP in await limited.say(FLOODER, "!rooms", event_id=f"$e{n}")
    for _ in range(3):  # the same five again: no token taken, not answered twice (claims)
        for n in range(5):
            assert (await limited.say(FLOODER, "!rooms", event_id=f"$e{n}")).reply == ""
    assert "Slow down" in await limited.say(FLOODER, "!rooms", event_id="$slow")
    assert (await limited.say(FLOODER, "!rooms", event_id="$dropped")).reply == ""
    limited.clock.advance(timedelta(minutes=2))
    assert (await limited.say(FLOODER, "!rooms", event_id="$dropped")).reply == ""
    assert NO_WORKSHOP in await limited.say(FLOODER, "!rooms", event_id="$new")


async def test_the_defaults_let_a_form_and_a_pasted_list_through(chat: Chat) -> None:
    """The default bucket (30, refilling at 30 a minute) lets a host paste 25
    commands at once and, 40 s later, send 20 answers in a direct chat at once
    (two 10-question forms answered as fast as one can type)."""
    host = "@host:uni.no"
    for n in range(25):
        assert "Slow down" not in await chat.say(host, f"!room R{n}")
    chat.clock.advance(timedelta(seconds=40))  # 20 tokens back
    for n in range(20):
        assert "Slow down" not in await chat.say(host, f"answer {n}", direct=True)


async def test_zero_switches_the_limit_off(tmp_path: Path) -> None:
    chat = await Chat.open(tmp_path, limits=LimitSettings(commands_per_minute=0, burst=1))
    try:
        for _ in range(50):
            assert NO_WORKSHOP in await chat.say(FLOODER, "!rooms")
    finally:
        await chat.close()


async def never() -> bool:
    return False


async def verdicts_at(gaps: list[int]) -> list[tuple[datetime, Verdict]]:
    limits = Limits(Settings(limits=LIMITS), power_level=lambda _r, _u: never_level())
    now = datetime(2026, 3, 2, tzinfo=UTC)
    seen = []
    for gap in gaps:
        now += timedelta(milliseconds=gap)
        seen.append((now, (await limits.judge("test", FLOODER, now, never)).verdict))
    return seen


@settings(max_examples=200, deadline=None)
@given(gaps=st.lists(st.integers(min_value=0, max_value=30_000), min_size=1, max_size=80))
def test_the_bucket_never_answers_more_than_burst_plus_refill(gaps: list[int]) -> None:
    """For any pattern of message times (gaps in ms): the answered ones in any
    stretch are at most burst + rate x its length, exactly one slow-down starts each
    quiet period, and nothing is answered during one. 200 examples, about 1 s in CI."""
    seen = asyncio.run(verdicts_at(gaps))
    answered = [t for t, v in seen if v is Verdict.ANSWER]
    for i, start in enumerate(answered):
        for j in range(i, len(answered)):
            span = (answered[j] - start).total_seconds()
            assert j - i + 1 <= LIMITS.burst + span * LIMITS.commands_per_minute / 60 + 1e-9
    quiet_until = None
    for t, verdict in seen:
        if quiet_until is not None and t < quiet_until:
            assert verdict is Verdict.DROP
        else:
            assert verdict is not Verdict.DROP
            if verdict is Verdict.SLOW_DOWN:
                quiet_until = t + timedelta(minutes=LIMITS.quiet_minutes)


async def never_level() -> int | None:
    return None


async def test_buckets_are_per_network_and_forgotten_when_full() -> None:
    limits = Limits(Settings(limits=LIMITS), power_level=lambda _r, _u: never_level())
    now = datetime(2026, 3, 2, tzinfo=UTC)
    verdicts = [(await limits.judge("matrix", FLOODER, now, never)).verdict for _ in range(6)]
    assert verdicts[-1] is Verdict.SLOW_DOWN
    assert (await limits.judge("zulip", FLOODER, now, never)).verdict is Verdict.ANSWER
    assert len(limits) == 2
    # Kept for a second quiet period (it holds dropped events), then forgotten.
    assert (await limits.judge("test", "@someone:uni.no", now + timedelta(minutes=3),
                               never)).verdict is Verdict.ANSWER
    assert len(limits) == 2
    later = now + timedelta(minutes=5)
    assert (await limits.judge("test", "@other:uni.no", later, never)).verdict is Verdict.ANSWER
    assert len(limits) == 1


def test_the_configuration_checks_the_limits() -> None:
    with pytest.raises(ConfigError) as caught:
        from_mapping({"limits": {"burst": 0, "commands_per_minute": -1, "quiet_minutes": "5"},
                      "rooms": {"max_per_person": 2.5}})
    assert caught.value.problems == (
        "<mapping>: rooms.max_per_person = 2.5 is not accepted; expected a whole number",
        "<mapping>: limits.commands_per_minute = -1 is not accepted; expected a number of "
        "at least 0",
        "<mapping>: limits.burst = 0 is not accepted; expected a number of at least 1",
        "<mapping>: limits.quiet_minutes = '5' is not accepted; expected a number",
    )
    loaded = from_mapping({"limits": {"commands_per_minute": 0}, "rooms": {"max_per_person": 0}})
    assert loaded.limits == LimitSettings(commands_per_minute=0) and not loaded.rooms.max_per_person


async def test_no_room_limit_with_zero(tmp_path: Path, bot_database_url: str) -> None:
    chat = await Chat.open(tmp_path, url=bot_database_url, rooms=RoomSettings(max_per_person=0))
    try:
        await chat.say(ORGANIZER, "!workshop add ws title=W tz=UTC days=2026-03-17 "
                                  "time=10:00-15:00")
        for n in range(1, 6):
            added = await chat.say(FLOODER, f"!room add name=R{n} org=U mode=online "
                                            "capacity=5 public=no")
            assert f"Registered R{n}" in added
    finally:
        await chat.close()
