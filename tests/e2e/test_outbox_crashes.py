"""Nothing said is lost: the real `classroom-bot run` process, killed or stopped while
its answers wait out Synapse's message rate limit (the default burst of 10, then one a
second: `limit_messages`).

The homeserver's own limits hold the answers back, so the bot is killed after
a command committed (its outbox rows are in the database) but before its
answer was sent; after a restart each answer lands exactly once, with the
transaction id derived from its row.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import pytest

from bot.db.models import DeliveryStatus, OutboxMessage
from bot.transport.matrix_format import transaction_id
from tests.e2e.conftest import limit_messages, reply_target, unique
from tests.e2e.homeserver import Homeserver
from tests.e2e.process import BotProcess

if TYPE_CHECKING:
    from tests.e2e.conftest import ChatUser

MakeUser = Callable[..., Awaitable["ChatUser"]]
Http = Callable[..., dict[str, Any]]
# Up to 20 answers paced at one a second, and a restart.
DEADLINE_S = 90.0
WORKSHOP = ("!workshop add 2027-spring title=Spring tz=Europe/Oslo days=2027-03-17 "
            "time=10:00-15:00")
ROOM = "!room add name=Oslo org=UiO mode=online lang=no capacity=1 public=yes"


@pytest.fixture
async def bots(tmp_path: Path) -> AsyncIterator[list[BotProcess]]:
    started: list[BotProcess] = []
    yield started
    for bot in started:
        await bot.close()


async def people_in_a_room(
    make_user: MakeUser, server: Homeserver, bot: BotProcess, *names: str
) -> tuple[str, list[ChatUser]]:
    """A public room made by the first person, the bot invited, the others joined."""
    people = [await make_user(name, server=server) for name in names]
    room = await people[0].create_room((bot.user_id,), public=True)
    await people[0].wait_for_membership(room, bot.user_id, "join", within=30)
    for person in people[1:]:
        await person.join(room)
    return room, people


def keyed(rows: list[OutboxMessage]) -> dict[str, OutboxMessage]:
    return {row.dedupe_key: row for row in rows}


async def test_a_killed_bot_answers_after_restart_exactly_once_notices_included(
    homeserver: Homeserver, make_user: MakeUser, bots: list[BotProcess], tmp_path: Path,
    http: Http,
) -> None:
    organizer = await make_user("ana")
    bot = BotProcess(homeserver, tmp_path, unique("bot"), organizers=(organizer.user_id,))
    limit_messages(homeserver, bot.user_id)
    bots.append(bot)
    await bot.start()
    room = await organizer.create_room((bot.user_id,), public=True)
    await organizer.wait_for_membership(room, bot.user_id, "join", within=30)
    bo, cy, dan, eve = [await make_user(name) for name in ("bo", "cy", "dan", "e")]
    for person in (bo, cy, dan, eve):
        await person.join(room)
    for person, text in [(organizer, WORKSHOP), (organizer, ROOM), (cy, "!join R1"),
                         (bo, "!join R1")]:
        command = await person.say(room, text)
        await person.expect_reply(room, command, sender=bot.user_id, within=30)

    # Use up the bot's burst, then the command whose answer and notice must survive.
    fillers = await asyncio.gather(*(p.say(room, "!tz") for p in (dan, eve) for _ in range(10)))
    leave = await cy.say(room, "!leave")
    reply_key, notice_key = f"reply:matrix:{leave}", f"reply:matrix:{leave}:notice:1"
    await bot.wait_for_rows(lambda rows: {reply_key, notice_key} <= set(keyed(rows)),
                            "outbox rows of the !leave")
    await bot.kill()
    at_kill = keyed(await bot.rows())
    assert at_kill[reply_key].status == at_kill[notice_key].status == DeliveryStatus.PENDING

    await bot.start()
    reply = await cy.expect_reply(room, leave, sender=bot.user_id, within=DEADLINE_S)
    assert "You left R1" in reply["content"]["body"]
    rows = await bot.wait_for_rows(
        lambda rows: all(row.status == DeliveryStatus.SENT for row in rows), "all rows sent",
        within=DEADLINE_S,
    )
    notices = await direct_messages(bo, bot.user_id, room)
    assert len(notices) == 1 and "it is yours now" in notices[0]["content"]["body"]

    history = await organizer.history(room)
    answered = Counter(reply_target(e) for e in history if e.get("sender") == bot.user_id)
    assert answered[leave] == 1
    assert all(answered[event] == 1 for event in fillers), answered
    # The answer that landed carries the transaction id derived from its row.
    row = keyed(rows)[reply_key]
    event = http(homeserver, await bot.access_token(), "GET",
                 f"/_matrix/client/v3/rooms/{quote(room)}/event/{quote(reply['event_id'])}")
    assert event["unsigned"]["transaction_id"] == transaction_id(
        reply_key, leave, room, 0, row.text)


async def direct_messages(person: ChatUser, bot: str, shared: str) -> list[dict[str, Any]]:
    """Join every room the bot invited `person` to; the bot's messages in all of them."""
    await person.wait_until(lambda: person.invites, "an invitation from the bot", within=60)
    for room_id in person.invites:
        await person.join(room_id)

    def told() -> list[dict[str, Any]]:
        return [e for room_id, events in person.events.items() if room_id != shared
                for e in events if e.get("sender") == bot and e.get("type") == "m.room.message"]

    await person.wait_until(told, "a message from the bot", within=30)
    return told()


async def test_sigterm_during_a_rate_limited_backlog_loses_no_answer(
    homeserver: Homeserver, make_user: MakeUser, bots: list[BotProcess], tmp_path: Path,
) -> None:
    bot = BotProcess(homeserver, tmp_path, unique("bot"))
    limit_messages(homeserver, bot.user_id)
    bots.append(bot)
    await bot.start()
    room, people = await people_in_a_room(make_user, homeserver, bot, "fay", "gus", "hal", "ivy")
    commands = await asyncio.gather(*(p.say(room, "!tz") for p in people for _ in range(5)))
    keys = {f"reply:matrix:{event}" for event in commands}
    await bot.wait_for_rows(lambda rows: keys <= set(keyed(rows)), "all 20 answers committed")

    code = await bot.terminate()
    assert code == 0, bot.output()
    assert "stopping once the commands being handled are done" in bot.output()
    left = [row for row in await bot.rows() if row.status == DeliveryStatus.PENDING]
    assert left, "the backlog was gone before SIGTERM: the test proved nothing"
    assert not [row for row in await bot.rows() if row.status == DeliveryStatus.FAILED]

    await bot.start()
    await bot.wait_for_rows(
        lambda rows: all(row.status == DeliveryStatus.SENT for row in rows), "all rows sent",
        within=DEADLINE_S,
    )
    history = await people[0].history(room)
    answered = Counter(reply_target(e) for e in history if e.get("sender") == bot.user_id)
    assert {event: answered[event] for event in commands} == dict.fromkeys(commands, 1)
