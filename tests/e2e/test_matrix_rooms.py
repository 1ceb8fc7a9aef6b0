"""Rooms the bot is in: invites it accepts or rejects, direct chats it opens, rooms it
leaves, and files it uploads.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from bot.messages import Attachment, Outgoing
from tests.e2e.conftest import poll_until, unique
from tests.e2e.homeserver import Homeserver

if TYPE_CHECKING:
    from tests.e2e.bots import BotRunner
    from tests.e2e.conftest import ChatUser

MakeUser = Callable[..., Awaitable["ChatUser"]]
MakeBot = Callable[..., Awaitable["BotRunner"]]
RoomWith = Callable[..., Awaitable[str]]
Http = Callable[..., dict[str, Any]]
Timing = Callable[[str, float], None]


async def test_invites_are_accepted_only_from_allowed_inviters(
    make_user: MakeUser, make_bot: MakeBot
) -> None:
    friend, stranger = await make_user("friend"), await make_user("stranger")
    # Only one person is allowed; the server name of both is not.
    bot = await make_bot(allow_invites_from=(friend.user_id,))

    refused = await stranger.create_room((bot.user_id,))
    await stranger.wait_for_membership(refused, bot.user_id, "leave")

    accepted = await friend.create_room((bot.user_id,))
    await friend.wait_for_membership(accepted, bot.user_id, "join")
    command = await friend.say(accepted, "!tz")
    await friend.expect_reply(accepted, command, sender=bot.user_id)
    assert stranger.membership(refused, bot.user_id) == "leave"


async def test_organizers_may_always_invite_the_bot(
    make_user: MakeUser, make_bot: MakeBot
) -> None:
    organizer = await make_user("organizer")
    bot = await make_bot(allow_invites_from=(), organizers=(organizer.user_id,))
    room = await organizer.create_room((bot.user_id,))
    await organizer.wait_for_membership(room, bot.user_id, "join")


async def test_a_message_to_a_person_opens_one_direct_chat(
    make_user: MakeUser, make_bot: MakeBot, homeserver: Homeserver, http: Http, timing: Timing
) -> None:
    bot = await make_bot()
    fay = await make_user("fay")

    started = time.monotonic()
    await bot.transport.deliver(Outgoing(text="You got a **seat** in R7.", user=fay.user_id))

    def invited() -> str | None:
        return next(iter(fay.invites), None)

    room = await fay.wait_until(invited, "an invitation from the bot")
    member = next(
        e for e in fay.invites[room]
        if e.get("type") == "m.room.member" and e.get("state_key") == fay.user_id
    )
    assert member["sender"] == bot.user_id
    assert member["content"]["is_direct"] is True
    await fay.join(room)

    def told() -> list[dict[str, Any]]:
        return [e for e in fay.events[room]
                if e.get("sender") == bot.user_id and e.get("type") == "m.room.message"]

    first = (await fay.wait_until(told, "the bot's message"))[0]
    timing("direct chat created and message seen (s)", time.monotonic() - started)
    assert first["content"]["msgtype"] == "m.notice"
    assert first["content"]["formatted_body"] == "<p>You got a <strong>seat</strong> in R7.</p>"

    # The bot recorded the room as its direct chat with Fay, as clients do.
    token = await bot.state("access_token")
    assert token is not None
    direct = http(homeserver, token, "GET",
                  f"/_matrix/client/v3/user/{quote(bot.user_id)}/account_data/m.direct")
    assert direct == {fay.user_id: [room]}

    # The next message goes to the same room, even after a restart.
    await bot.stop()
    await bot.start()
    await bot.transport.deliver(Outgoing(text="Second message", user=fay.user_id))
    await fay.wait_until(lambda: len(told()) >= 2, "the second message")
    assert [e["content"]["body"] for e in told()] == ["You got a seat in R7.",
                                                       "Second message"]
    assert list(fay.invites) == [room]

    # A direct chat answers without the prefix.
    command = await fay.say(room, "help")
    await fay.expect_reply(room, command, sender=bot.user_id)


async def test_the_bot_leaves_a_room_where_it_is_alone(
    make_user: MakeUser, make_bot: MakeBot, room_with: RoomWith, homeserver: Homeserver,
    http: Http,
) -> None:
    bot = await make_bot()
    gus = await make_user("gus")
    room = await room_with(gus, bot)
    command = await gus.say(room, "!tz")
    await gus.expect_reply(room, command, sender=bot.user_id)
    await gus.client.room_leave(room)

    admin = homeserver.register(unique("admin"), admin=True)

    async def bot_is_gone() -> bool:
        answer = await asyncio.to_thread(
            http, homeserver, admin.access_token, "GET",
            f"/_synapse/admin/v1/rooms/{quote(room)}/members",
        )
        return bot.user_id not in answer["members"]

    await poll_until(bot_is_gone, "leave of the bot from the empty room")


async def test_a_file_is_uploaded_and_sent_after_its_text(
    make_user: MakeUser, make_bot: MakeBot, room_with: RoomWith
) -> None:
    bot = await make_bot()
    hana = await make_user("hana")
    room = await room_with(hana, bot)
    command = await hana.say(room, "!tz")
    await hana.expect_reply(room, command, sender=bot.user_id)
    csv = Attachment("feedback.csv", "text/csv", b"day,score\n1,9\n")
    png = Attachment("chart.png", "image/png", b"\x89PNG\r\n\x1a\n" + b"\0" * 64)
    await bot.transport.deliver(Outgoing(text="Here is the export.", room=room, attachment=csv))
    await bot.transport.deliver(Outgoing(text="", room=room, attachment=png))

    def files() -> list[dict[str, Any]]:
        return [e for e in hana.events[room] if e.get("sender") == bot.user_id
                and e.get("content", {}).get("msgtype") in ("m.file", "m.image", "m.notice")
                and "m.relates_to" not in e["content"]]

    await hana.wait_until(lambda: len(files()) >= 3, "the text and the two files")
    sent = files()
    kinds = [(e["content"]["msgtype"], e["content"]["body"]) for e in sent]
    assert kinds == [("m.notice", "Here is the export."), ("m.file", "feedback.csv"),
                     ("m.image", "chart.png")]
    file_content = sent[1]["content"]
    assert file_content["url"].startswith("mxc://")
    assert file_content["info"] == {"mimetype": "text/csv", "size": len(csv.data)}
    downloaded = await hana.client.download(mxc=file_content["url"])
    assert getattr(downloaded, "body", None) == csv.data
