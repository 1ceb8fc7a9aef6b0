"""What the Matrix transport knows about its rooms, without a homeserver."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from nio import MatrixRoom

from bot.clock import SystemClock
from bot.config import MatrixSettings
from bot.db.engine import create_engine, create_sessionmaker
from bot.db.state import StateStore
from bot.transport.base import Outgoing
from bot.transport.matrix import MatrixTransport
from bot.transport.matrix_rooms import MatrixRooms
from bot.transport.matrix_session import MatrixSession

BOT, ANA = "@bot:uni.no", "@ana:uni.no"
ROOM = "!organizers:uni.no"


@pytest.fixture
async def rooms() -> AsyncIterator[MatrixRooms]:
    settings = MatrixSettings(homeserver="http://127.0.0.1:9", user_id=BOT)
    engine = create_engine("sqlite+aiosqlite://")  # not connected: no login here
    session = MatrixSession(settings, StateStore(create_sessionmaker(engine), "matrix"))
    known = MatrixRooms(session, ())
    room = MatrixRoom(ROOM, BOT)
    room.power_levels.users[ANA] = 50
    session.client.rooms[ROOM] = room
    yield known
    await session.client.close()
    await engine.dispose()


async def test_power_levels_come_from_rooms_the_bot_is_in(rooms: MatrixRooms) -> None:
    assert rooms.power_level(ROOM, ANA) == 50
    assert rooms.power_level("!unknown:uni.no", ANA) is None


async def test_a_room_the_bot_left_is_no_longer_consulted(rooms: MatrixRooms) -> None:
    rooms.note_left(ROOM)
    assert rooms.power_level(ROOM, ANA) is None
    rooms.note_joined(ROOM)  # invited and joined again
    assert rooms.power_level(ROOM, ANA) == 50


async def test_a_direct_chat_is_one_marked_for_that_person(rooms: MatrixRooms) -> None:
    rooms.note_direct({ANA: [ROOM], "@bo:uni.no": "not a list"})
    assert rooms.is_direct(ROOM, ANA)
    assert not rooms.is_direct(ROOM, "@bo:uni.no")
    rooms.note_left(ROOM)
    assert not rooms.is_direct(ROOM, ANA)


async def test_a_message_to_a_person_waits_for_the_first_sync() -> None:
    """Before the first sync the bot knows no direct chat: sending then would open a new
    one for every person with a reminder pending at start (found by bench/fanout.py)."""
    settings = MatrixSettings(homeserver="http://127.0.0.1:9", user_id=BOT)
    engine = create_engine("sqlite+aiosqlite://")
    transport = MatrixTransport(settings, StateStore(create_sessionmaker(engine), "matrix"),
                                SystemClock())
    sent: list[Outgoing] = []

    async def deliver(message: Outgoing) -> str:
        sent.append(message)
        return "$sent"

    transport.sender.deliver = deliver  # type: ignore[method-assign]
    transport.session.logged_in.set()
    try:
        assert await transport.deliver(Outgoing(text="to the room", room=ROOM)) == "$sent"
        to_ana = asyncio.create_task(transport.deliver(Outgoing(text="hi", user=ANA)))
        await asyncio.sleep(0.05)  # what it would need to go out without waiting
        assert [m.text for m in sent] == ["to the room"] and not to_ana.done()
        transport.ready.set()  # the first sync is done
        assert await asyncio.wait_for(to_ana, 5) == "$sent"
        assert [m.text for m in sent] == ["to the room", "hi"]
    finally:
        await transport.client.close()
        await engine.dispose()
