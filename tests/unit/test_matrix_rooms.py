"""What the Matrix transport knows about its rooms, without a homeserver."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from nio import MatrixRoom

from bot.config import MatrixSettings
from bot.db.engine import create_engine, create_sessionmaker
from bot.db.state import StateStore
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
