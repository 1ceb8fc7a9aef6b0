"""Nothing said is lost to encryption: the real `classroom-bot run` process, killed
while its encrypted answers wait out Synapse's default rate limits, sends each of
them once after the restart, and the learners' clients decrypt every one."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from bot.db.models import DeliveryStatus
from tests.e2e.conftest import reply_target, start_homeserver, unique
from tests.e2e.encrypted import MakeEncryptedUser, make_encrypted_user
from tests.e2e.homeserver import Homeserver
from tests.e2e.process import BotProcess
from tests.e2e.test_outbox_crashes import keyed

__all__ = ["make_encrypted_user"]  # the fixture

# Two answers paced at one per 5 s, and a restart.
DEADLINE_S = 60.0
PER_PERSON = 6  # two people: 12 answers, past the bot's burst of 10


@pytest.fixture(scope="module")
def limited(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Homeserver]:
    """A homeserver with Synapse's default rate limits (one message per 5 s after 10)."""
    server = start_homeserver(tmp_path_factory.mktemp("synapse-e2ee-crash"),
                              default_rate_limits=True)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
async def bot(limited: Homeserver, tmp_path: Path) -> AsyncIterator[BotProcess]:
    process = BotProcess(limited, tmp_path, unique("bot"), encryption=True)
    yield process
    await process.close()


async def test_a_killed_bot_sends_its_queued_encrypted_answers_once(
    limited: Homeserver, make_encrypted_user: MakeEncryptedUser, bot: BotProcess,
) -> None:
    await bot.start()
    await bot.ready()
    people = [await make_encrypted_user(name, server=limited) for name in ("ana", "bo")]
    rooms = []
    for person in people:
        room = await person.create_room((bot.user_id,), direct=True)
        await person.wait_for_membership(room, bot.user_id, "join", within=30)
        rooms.append(room)
    commands = {room: [await person.say(room, "tz") for _ in range(PER_PERSON)]
                for person, room in zip(people, rooms, strict=True)}
    keys = {f"reply:matrix:{event}" for events in commands.values() for event in events}
    await bot.wait_for_rows(lambda rows: keys <= set(keyed(rows)), "all answers committed")
    await bot.kill()
    waiting = [row for row in await bot.rows() if row.status == DeliveryStatus.PENDING]
    assert waiting, "every answer was out before the kill: the test proved nothing"

    await bot.start()
    await bot.wait_for_rows(lambda rows: all(row.status == DeliveryStatus.SENT for row in rows),
                            "all rows sent", within=DEADLINE_S)
    for person, room in zip(people, rooms, strict=True):
        history = await person.history(room)
        mine = [e for e in history if e.get("sender") == bot.user_id
                and e.get("type") in ("m.room.message", "m.room.encrypted")]
        assert [e["type"] for e in mine] == ["m.room.message"] * len(mine), "not decrypted"
        answered = Counter(reply_target(e) for e in mine)
        assert {event: answered[event] for event in commands[room]} == dict.fromkeys(
            commands[room], 1)
    await asyncio.gather(*(person.close() for person in people))
