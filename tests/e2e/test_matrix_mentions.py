"""Who an answer pings, on the real Synapse. An answer carries an empty
`m.mentions` (nobody is pinged for a name or `@room` in its text) when its text
holds a member's name; otherwise it leaves `m.mentions` out, which saves
Synapse a schema check per event and pings nobody either."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tests.e2e.bots import BotRunner
    from tests.e2e.conftest import ChatUser

MakeUser = Callable[..., Awaitable["ChatUser"]]
MakeBot = Callable[..., Awaitable["BotRunner"]]
RoomWith = Callable[..., Awaitable[str]]
Http = Callable[..., dict[str, Any]]


def highlighted(http: Http, person: ChatUser) -> set[str]:
    """The events that pinged `person` (a highlight in their notifications)."""
    found = http(person.server, person.account.access_token, "GET",
                 "/_matrix/client/v3/notifications?limit=50")
    return {n["event"]["event_id"] for n in found["notifications"]
            if any(isinstance(a, dict) and a.get("set_tweak") == "highlight"
                   and a.get("value", True) for a in n["actions"])}


async def test_a_name_in_an_answer_pings_nobody_and_a_plain_answer_needs_no_mentions(
    make_user: MakeUser, make_bot: MakeBot, room_with: RoomWith, http: Http
) -> None:
    bot = await make_bot()
    ana = await make_user("ana")
    mira = await make_user("mira")
    # Mira is called like the heading of `!help` and is notified of bots' notices too.
    await mira.client.set_displayname("Everyone")
    http(mira.server, mira.account.access_token, "PUT",
         "/_matrix/client/v3/pushrules/global/override/.m.rule.suppress_notices/enabled",
         {"enabled": False})
    named = await room_with(ana, bot)
    await ana.client.room_invite(named, mira.user_id)
    await mira.join(named)
    plain = await room_with(ana, bot)

    command = await ana.say(named, "!help")
    answer = await ana.expect_reply(named, command, sender=bot.user_id)
    assert "Everyone" in answer["content"]["body"]
    assert answer["content"]["m.mentions"] == {}
    # The same text without m.mentions: the legacy rule pings Mira (the test can fail).
    legacy = await ana.send_raw(named, {"msgtype": "m.notice",
                                        "body": answer["content"]["body"]})
    await mira.wait_until(lambda: legacy in {e.get("event_id") for e in mira.events[named]},
                          "the notice without m.mentions")
    pinged = highlighted(http, mira)
    assert legacy in pinged and answer["event_id"] not in pinged

    command = await ana.say(plain, "!help")
    answer = await ana.expect_reply(plain, command, sender=bot.user_id)
    assert "m.mentions" not in answer["content"]
