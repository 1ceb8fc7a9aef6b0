"""The bot's sync filter leaves out what it never reads: typing, read receipts and
presence reach it no more (each used to end a long-poll), while its commands do.
What it must still see (invites, members, power levels, direct chats, poll
responses) is what the other tests of tests/e2e check, with the same filter."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from nio import SyncResponse

if TYPE_CHECKING:
    from tests.e2e.bots import BotRunner
    from tests.e2e.conftest import ChatUser

MakeUser = Callable[..., Awaitable["ChatUser"]]
MakeBot = Callable[..., Awaitable["BotRunner"]]
RoomWith = Callable[..., Awaitable[str]]


async def test_typing_and_read_receipts_never_reach_the_bot(
    make_user: MakeUser, make_bot: MakeBot, room_with: RoomWith
) -> None:
    bot = await make_bot()
    ana = await make_user("ana")
    room = await room_with(ana, bot)
    batches: list[SyncResponse] = []
    sync = bot.transport.client.sync

    async def recorded(*args: Any, **kwargs: Any) -> Any:
        response = await sync(*args, **kwargs)
        if isinstance(response, SyncResponse):
            batches.append(response)
        return response

    bot.transport.client.sync = recorded  # type: ignore[method-assign]
    hello = await ana.say(room, "hello, is anyone here?")
    await ana.client.room_typing(room, True, timeout=30_000)
    await ana.client.update_receipt_marker(room, hello)
    command = await ana.say(room, "!tz")
    await ana.expect_reply(room, command, sender=bot.user_id)

    seen = [event for batch in batches for info in batch.rooms.join.values()
            for event in info.ephemeral]
    assert batches and seen == []
    assert not any(batch.presence_events for batch in batches)
    timelines = [event.source.get("event_id") for batch in batches
                 for info in batch.rooms.join.values() for event in info.timeline.events]
    assert hello in timelines and command in timelines
