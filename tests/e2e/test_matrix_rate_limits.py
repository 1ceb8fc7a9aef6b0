"""Synapse's message rate limit on the bot, no exemption: every command still gets its reply.

Synapse's default `rc_message` allows 10 messages at once and then one every 5
seconds. The bot's account gets that burst with one message a second (Synapse's
per-user override, set by its admin API: the same limiter, the same 429s with
`retry_after_ms`, five times faster than the default so the test takes 25 s, not
100). 30 replies at once: the outbound queue must wait out each 429 and retry
with the same transaction id, never dropping or doubling a reply.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from tests.e2e.conftest import limit_messages, reply_target
from tests.e2e.homeserver import Homeserver

if TYPE_CHECKING:
    from tests.e2e.bots import BotRunner
    from tests.e2e.conftest import ChatUser

MakeUser = Callable[..., Awaitable["ChatUser"]]
MakeBot = Callable[..., Awaitable["BotRunner"]]
Timing = Callable[[str, float], None]

PEOPLE = 10
COMMANDS = ("!tz", "!help", "!tz Europe/Oslo")
# 10 at once, then 20 more at 1/s: about 20 s; room for a slow machine.
DEADLINE_S = 120.0


async def test_thirty_commands_at_once_are_all_answered_under_a_message_rate_limit(
    homeserver: Homeserver, make_user: MakeUser, make_bot: MakeBot, timing: Timing,
) -> None:
    bot = await make_bot(start=False)
    limit_messages(homeserver, bot.user_id)  # a burst of 10, then 1 a second
    await bot.start()
    people = [await make_user(f"learner{i}") for i in range(PEOPLE)]
    host = people[0]
    # One public workshop room: the bot gets a single invite (Synapse allows a user
    # only a handful of invites received at once), the others join by themselves.
    room = await host.create_room((bot.user_id,), public=True)
    for person in people[1:]:
        await person.join(room)
    await host.wait_for_membership(room, bot.user_id, "join")

    started = time.monotonic()
    sent = await asyncio.gather(
        *(person.say(room, text) for person in people for text in COMMANDS)
    )
    commands = dict(zip(sent, [p for p in people for _ in COMMANDS], strict=True))

    async def all_replies(person: ChatUser) -> None:
        mine = [event for event, who in commands.items() if who is person]
        await person.wait_until(
            lambda: all(person.replies(room, event, bot.user_id) for event in mine),
            f"replies to all {len(mine)} commands",
            within=DEADLINE_S,
        )

    await asyncio.gather(*(all_replies(person) for person in people))
    timing(f"{len(sent)} replies under the message rate limit (s)", time.monotonic() - started)

    history = await host.history(room)
    answered = Counter(
        reply_target(e) for e in history if e.get("sender") == bot.user_id and reply_target(e)
    )
    assert set(answered) == set(sent)
    assert all(count == 1 for count in answered.values()), answered
    assert {row.status for row in await bot.outbox()} == {"sent"}
    assert bot.rate_limited > 0  # the limits were really hit
    timing("429 answers received (count)", bot.rate_limited)
