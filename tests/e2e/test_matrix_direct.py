"""Direct chats are what Matrix says they are, never a guess from the member count."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from nio import RoomCreateResponse, RoomLeaveResponse, RoomPreset

from bot.commands.unreadable import OPENED_DIRECT, UNREADABLE_DIRECT
from bot.messages import Outgoing
from tests.e2e.conftest import poll_until

if TYPE_CHECKING:
    from tests.e2e.bots import BotRunner
    from tests.e2e.conftest import ChatUser

MakeUser = Callable[..., Awaitable["ChatUser"]]
MakeBot = Callable[..., Awaitable["BotRunner"]]
RoomWith = Callable[..., Awaitable[str]]
Http = Callable[..., dict[str, Any]]


def from_bot(user: ChatUser, room: str, bot: BotRunner) -> list[dict[str, Any]]:
    return [e for e in user.events[room]
            if e.get("sender") == bot.user_id and e.get("type") == "m.room.message"]


async def test_a_two_member_group_room_is_not_a_direct_chat(
    make_user: MakeUser, make_bot: MakeBot, room_with: RoomWith
) -> None:
    bot = await make_bot()
    ana = await make_user("ana")
    group = await room_with(ana, bot)  # a private room, not created as direct
    ignored = await ana.say(group, "help")
    command = await ana.say(group, "!tz")
    await ana.expect_reply(group, command, sender=bot.user_id)
    assert await ana.replies_in_history(group, ignored, bot.user_id) == []

    # Something private for Ana goes to a direct chat of its own, not to the group room.
    await bot.transport.deliver(Outgoing(text="only for you", user=ana.user_id, key="k-private"))
    direct = await ana.wait_until(lambda: next(iter(ana.invites), None), "an invitation")
    assert direct != group
    await ana.join(direct)
    told = await ana.wait_until(lambda: from_bot(ana, direct, bot), "the private message")
    assert told[0]["content"]["body"] == "only for you"
    assert all(e["content"].get("body") != "only for you" for e in from_bot(ana, group, bot))


async def test_a_rejected_direct_chat_is_replaced_by_a_new_one(
    make_user: MakeUser, make_bot: MakeBot
) -> None:
    bot = await make_bot()
    fay = await make_user("fay")
    await bot.transport.deliver(Outgoing(text="first", user=fay.user_id, key="k-first"))
    rejected = await fay.wait_until(lambda: next(iter(fay.invites), None), "an invitation")
    assert isinstance(await fay.client.room_leave(rejected), RoomLeaveResponse)

    async def forgotten() -> bool:
        return not bot.transport.rooms.is_direct(rejected, fay.user_id)

    await poll_until(forgotten, "the rejected direct chat forgotten")
    await bot.transport.deliver(Outgoing(text="second", user=fay.user_id, key="k-second"))
    replaced = await fay.wait_until(
        lambda: next((r for r in fay.invites if r != rejected), None), "a new invitation"
    )
    await fay.join(replaced)
    told = await fay.wait_until(lambda: from_bot(fay, replaced, bot), "the second message")
    assert [e["content"]["body"] for e in told] == ["second"]


async def test_without_encryption_an_encrypted_direct_chat_is_answered_and_moved(
    make_user: MakeUser, make_bot: MakeBot
) -> None:
    bot = await make_bot(start=False)
    bot.configure(encryption=False)
    await bot.start()
    gus = await make_user("gus")
    created = await gus.client.room_create(
        is_direct=True, invite=[bot.user_id], preset=RoomPreset.trusted_private_chat,
        initial_state=[{"type": "m.room.encryption", "state_key": "",
                        "content": {"algorithm": "m.megolm.v1.aes-sha2"}}],
    )
    assert isinstance(created, RoomCreateResponse), created
    encrypted = str(created.room_id)
    await gus.wait_for_membership(encrypted, bot.user_id, "join")
    ciphertext = {"algorithm": "m.megolm.v1.aes-sha2", "ciphertext": "AwgAEn...",
                  "device_id": "GUSDEVICE", "sender_key": "key", "session_id": "session"}
    await gus.send_raw(encrypted, ciphertext, event_type="m.room.encrypted")
    await gus.send_raw(encrypted, ciphertext, event_type="m.room.encrypted")

    said = await gus.wait_until(lambda: from_bot(gus, encrypted, bot), "the bot's notice")
    assert said[0]["content"]["msgtype"] == "m.notice"
    assert said[0]["content"]["body"] == UNREADABLE_DIRECT
    plain = await gus.wait_until(lambda: next(iter(gus.invites), None), "a new direct chat")
    await gus.join(plain)
    opened = await gus.wait_until(lambda: from_bot(gus, plain, bot), "the bot's greeting")
    assert opened[0]["content"]["body"] == OPENED_DIRECT
    command = await gus.say(plain, "help")  # a direct chat: no prefix needed
    await gus.expect_reply(plain, command, sender=bot.user_id)
    assert len(from_bot(gus, encrypted, bot)) == 1  # said once, not per message


async def test_after_forget_me_the_bot_has_left_and_forgotten_the_direct_chats(
    make_user: MakeUser, make_bot: MakeBot, http: Http
) -> None:
    bot = await make_bot()
    ida = await make_user("ida")
    started = await ida.create_room((bot.user_id,), direct=True)  # her invite says direct
    await ida.wait_for_membership(started, bot.user_id, "join")
    await bot.transport.deliver(Outgoing(text="hello", user=ida.user_id, key="k-hello"))
    opened = await ida.wait_until(lambda: next(iter(ida.invites), None), "an invitation")
    await ida.join(opened)
    await ida.wait_until(lambda: from_bot(ida, opened, bot), "the bot's message")
    token = bot.transport.client.access_token
    path = f"/_matrix/client/v3/user/{quote(bot.user_id)}/account_data/m.direct"

    async def both_direct() -> bool:  # m.direct is written while the bot joins
        return set(http(bot.server, token, "GET", path).get(ida.user_id, [])) == {
            started, opened}

    await poll_until(both_direct, "both direct chats in m.direct")
    await ida.expect_reply(started, await ida.say(started, "!tz Europe/Oslo"),
                           sender=bot.user_id)
    await ida.expect_reply(started, await ida.say(started, "forget-me"), sender=bot.user_id)
    done = await ida.expect_reply(started, await ida.say(started, "yes"), sender=bot.user_id)
    assert "no longer has your user id" in done["content"]["body"]

    for room in (started, opened):
        await ida.wait_for_membership(room, bot.user_id, "leave")
    await bot.wait_sent()  # the action is done once m.direct is written too
    joined = http(bot.server, token, "GET", "/_matrix/client/v3/joined_rooms")["joined_rooms"]
    assert started not in joined and opened not in joined
    assert ida.user_id not in http(bot.server, token, "GET", path)
    rows = [r for r in await bot.outbox() if r.room in (started, opened) or r.person]
    assert rows and all(r.text == "" and r.status.value == "sent" for r in rows)
    assert all(ida.user_id not in (r.person, r.mentions) for r in rows)
