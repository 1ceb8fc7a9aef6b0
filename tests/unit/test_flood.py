"""A stranger's flood, with the default configuration: at most `rooms.max_per_person`
rooms per person and workshop, and one slow-down answer past the command limit.

Only defaults here (no new setting is named), so on a bot without the limits these
tests fail on what the bot does, not on an import. SQLite and PostgreSQL; on
PostgreSQL two `!room add` of one person really run side by side.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import func, select

from bot.db.models import LocalRoom
from tests.chat import ORGANIZER, Chat

STRANGER = "@stranger:else.org"
# A co-host whose id extends the stranger's: their rooms are not the stranger's.
OTHER = "@stranger:else.org.uk"


def room_add(n: int, mode: str = "online") -> str:
    return f'!room add name="Room {n}" org="Org {n}" mode={mode} capacity=10 public=yes'


async def workshop(chat: Chat, slug: str = "2026-spring") -> None:
    answer = await chat.say(ORGANIZER, f"!workshop add {slug} title=Spring tz=Europe/Oslo "
                                       "days=2026-03-17,2026-03-18 time=10:00-15:00")
    assert "created" in answer, answer.reply


async def room_ids(chat: Chat) -> list[int]:
    async with chat.app.sessions() as session:
        return list(await session.scalars(select(LocalRoom.id).order_by(LocalRoom.id)))


async def test_a_stranger_registering_rooms_fast_stops_at_three(chat: Chat) -> None:
    await workshop(chat)
    answers = []
    for n in range(1, 11):
        answers.append(await chat.say(STRANGER, room_add(n)))
        chat.clock.advance(timedelta(seconds=3))  # under the command limit: rooms only
    assert [a.reply.startswith("Registered") for a in answers] == [True] * 3 + [False] * 7
    assert answers[3].reply == (
        "You host 3 rooms in `2026-spring` already (R1, R2, R3), the most one person may "
        "register, so no room was added. Withdraw one first (`!room withdraw R1`), or ask "
        "an organizer to register it."
    )
    assert await room_ids(chat) == [1, 2, 3]
    # Someone else (whose id starts like the stranger's) still registers theirs.
    assert "Registered R4" in await chat.say(OTHER, room_add(4))
    # A co-led room is not one the stranger registered.
    assert "is now a team lead of R4" in await chat.say(OTHER, f"!room lead add R4 {STRANGER}")
    assert "You host 3 rooms" in await chat.say(STRANGER, room_add(11))
    # A withdrawn room does not count.
    assert "R2 is withdrawn" in await chat.say(STRANGER, "!room withdraw R2")
    assert "Registered R5" in await chat.say(STRANGER, room_add(12))
    assert "You host 3 rooms in `2026-spring` already (R1, R3, R5)" in await chat.say(
        STRANGER, room_add(13))


async def test_the_limit_is_per_workshop_and_organizers_are_exempt(chat: Chat) -> None:
    await workshop(chat)
    for n in range(6):
        assert "Registered" in await chat.say(ORGANIZER, room_add(n))
    for n in range(3):
        assert "Registered" in await chat.say(STRANGER, room_add(n))
    await workshop(chat, "2026-autumn")
    assert "The current workshop is now `2026-autumn`" in await chat.say(
        ORGANIZER, "!workshop use 2026-autumn")
    for n in range(3):
        assert "Registered" in await chat.say(STRANGER, room_add(n))
    assert "You host 3 rooms in `2026-autumn` already" in await chat.say(STRANGER, room_add(9))
    assert len(await room_ids(chat)) == 12


async def test_two_room_adds_at_once_do_not_both_pass_the_limit(chat: Chat) -> None:
    await workshop(chat)
    for n in range(2):
        assert "Registered" in await chat.say(STRANGER, room_add(n))
    for attempt in range(5):
        answers = await asyncio.gather(*(chat.say(STRANGER, room_add(10 + n)) for n in range(4)))
        registered = [a for a in answers if a.reply.startswith("Registered")]
        assert len(registered) == (1 if attempt == 0 else 0), [a.reply for a in answers]
        assert all("You host 3 rooms" in a for a in answers if a not in registered)
        chat.clock.advance(timedelta(minutes=1))
    async with chat.app.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(LocalRoom)) == 3


async def test_a_flood_of_commands_gets_one_slow_down_and_others_are_answered(
    chat: Chat,
) -> None:
    answers = [(await chat.say(STRANGER, "!rooms")).reply for _ in range(100)]
    assert "Slow down" not in answers[0]
    assert sum(1 for a in answers if a.startswith("Slow down")) == 1
    assert sum(1 for a in answers if a) == 31  # the default burst, and the slow-down
    assert "No workshop is set up yet" in await chat.say(OTHER, "!rooms")
