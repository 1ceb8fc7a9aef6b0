"""What the Matrix transport knows about its rooms, without a homeserver."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from nio import MatrixRoom, RoomMemberEvent

from bot.clock import SystemClock
from bot.db.engine import create_engine, create_sessionmaker
from bot.db.state import StateStore
from bot.messages import Outgoing
from bot.transport.matrix import MatrixTransport
from bot.transport.matrix_network import MatrixSettings
from bot.transport.matrix_rooms import MatrixRooms
from bot.transport.matrix_session import MatrixSession

BOT, ANA = "@bot:uni.no", "@ana:uni.no"
# Hostile: ids that are prefixes of one another, one of them never in the room.
BO, BOB, BOBBY = "@bo:uni.no", "@bob:uni.no", "@bobby:uni.no"
ROOM = "!organizers:uni.no"


@pytest.fixture
async def rooms() -> AsyncIterator[MatrixRooms]:
    settings = MatrixSettings(homeserver="http://127.0.0.1:9", user_id=BOT)
    engine = create_engine("sqlite+aiosqlite://")  # not connected: no login here
    session = MatrixSession(settings, StateStore(create_sessionmaker(engine), "matrix"))
    known = MatrixRooms(session, ())
    room = MatrixRoom(ROOM, BOT)
    room.add_member(BOT, None, None)
    room.add_member(ANA, None, None)
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


def membership(user: str, state: str, sender: str = ANA) -> RoomMemberEvent:
    event = RoomMemberEvent.from_dict({
        "type": "m.room.member", "state_key": user, "sender": sender, "event_id": f"${user}",
        "origin_server_ts": 1, "content": {"membership": state},
    })
    assert isinstance(event, RoomMemberEvent)
    return event


async def test_only_a_current_member_has_a_power_level(rooms: MatrixRooms) -> None:
    """`users_default` reaches the organizers' level: still, one kicked, banned, only
    invited or never in the room has no level there (issue 19)."""
    room = rooms.client.rooms[ROOM]
    room.power_levels.defaults.users_default = 50
    room.handle_membership(membership(BOB, "join", sender=BOB))
    room.handle_membership(membership(BOBBY, "invite"))
    assert rooms.power_level(ROOM, BOB) == 50
    assert rooms.power_level(ROOM, BOBBY) is None  # invited, not joined
    assert rooms.power_level(ROOM, BO) is None  # never in it
    room.handle_membership(membership(BOB, "leave"))  # kicked by Ana
    assert rooms.power_level(ROOM, BOB) is None
    room.handle_membership(membership(BOBBY, "join", sender=BOBBY))
    assert rooms.power_level(ROOM, BOBBY) == 50
    room.handle_membership(membership(BOBBY, "ban"))
    assert rooms.power_level(ROOM, BOBBY) is None
    room.handle_membership(membership(ANA, "leave", sender=ANA))  # an explicit level, left
    assert rooms.power_level(ROOM, ANA) is None


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
