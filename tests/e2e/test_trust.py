"""Trust on the real homeserver (issue 19): organizers by power level are current members
of the organizers' room (a version 12 room: its id has no `:server`), and the whole log
of the bot process at DEBUG holds no password, access token, feedback key or answer."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.e2e.conftest import unique
from tests.e2e.homeserver import Homeserver
from tests.e2e.process import BOT_PASSWORD, BotProcess

if TYPE_CHECKING:
    from tests.e2e.bots import BotRunner
    from tests.e2e.conftest import ChatUser

MakeUser = Callable[..., Awaitable["ChatUser"]]
MakeBot = Callable[..., Awaitable["BotRunner"]]
RoomWith = Callable[..., Awaitable[str]]
ORGANIZERS_ONLY = "!workshop add {slug} title=T tz=UTC days=2027-03-17 time=10:00-15:00"


async def answer(user: ChatUser, room: str, text: str, bot: str) -> str:
    reply = await user.expect_reply(room, await user.say(room, text), sender=bot, within=30)
    return str(reply["content"]["body"])


async def test_only_joined_members_of_the_organizers_room_are_organizers(
    make_user: MakeUser, make_bot: MakeBot, room_with: RoomWith
) -> None:
    """The room's users_default (50) reaches the organizers' level: Jo (joined) is an
    organizer; Kim (joined, then kicked), Ivy (invited only) and Ned (never in it)
    are not."""
    olga, jo, kim, ivy, ned = [await make_user(n) for n in ("olga", "jo", "kim", "ivy", "ned")]
    bot = await make_bot(start=False)
    organizers = await olga.create_room((bot.user_id, jo.user_id, kim.user_id, ivy.user_id))
    assert ":" not in organizers, "Synapse 1.163 makes version 12 rooms by default"
    levels = await olga.client.room_get_state_event(organizers, "m.room.power_levels")
    await olga.client.room_put_state(
        organizers, "m.room.power_levels", {**levels.content, "users_default": 50})
    bot.settings = replace(bot.settings, bot=replace(
        bot.settings.bot, organizers_room=organizers, organizers_power_level=50))
    await bot.start()
    await olga.wait_for_membership(organizers, bot.user_id, "join", within=30)
    for person in (jo, kim):
        await person.join(organizers)
    await olga.client.room_kick(organizers, kim.user_id, reason="left the team")
    await olga.wait_for_membership(organizers, kim.user_id, "leave")
    for person, allowed in ((jo, True), (kim, False), (ivy, False), (ned, False)):
        own = await room_with(person, bot)
        said = await answer(person, own, ORGANIZERS_ONLY.format(slug=unique("w")), bot.user_id)
        assert ("is for an organizer" not in said) is allowed, (person.user_id, said)


@pytest.fixture(params=["WARNING", "DEBUG"])
def library_level(request: pytest.FixtureRequest) -> str:
    """The libraries at WARNING (the default), or at DEBUG too: then aiosqlite writes
    every SQL parameter, the access token among them."""
    return str(request.param)


async def test_the_whole_debug_log_holds_no_secret_and_no_answer(
    make_user: MakeUser, homeserver: Homeserver, tmp_path: Path, library_level: str
) -> None:
    """The bot process at DEBUG logs in with its password, answers commands in a room
    and a direct chat and a whole daily form there (answers with words found nowhere
    else), then stops; about 12 s each. Its whole output (stdout and stderr) is then
    searched: no secret ever; no answer unless the libraries were asked for DEBUG
    (config.example.toml warns)."""
    olga, lars = await make_user("olga"), await make_user("lars")
    process = BotProcess(homeserver, tmp_path, unique("bot"), organizers=(olga.user_id,))
    levels = f'[bot]\nlog_level = "DEBUG"\nlibrary_log_level = "{library_level}"\n'
    config = process.config.read_text(encoding="utf-8").replace("[bot]\n", levels, 1)
    process.config.write_text(config, encoding="utf-8")
    try:
        await process.start()
        await process.ready()
        await converse(olga, lars, process.user_id)
        token = await process.access_token()
        assert await process.terminate() == 0
    finally:
        await process.close()
    key = re.search(r'^key = "([^"]+)"', config, flags=re.M)
    assert key is not None
    written = process.output()
    assert "first sync done" in written and "logged in to" in written
    answers = ("zanzibar", "marmalade", "quokka", "trampoline")
    if library_level == "DEBUG":
        assert "aiosqlite" in written and "access_token" in written  # its row, redacted
    for never in (BOT_PASSWORD, token, key[1], *(answers if library_level != "DEBUG" else ())):
        assert never not in written, f"{never!r} is in the log"


async def converse(olga: ChatUser, lars: ChatUser, bot: str) -> None:
    """Olga sets up a workshop and a room, Lars joins it and answers the daily form in
    his direct chat with the bot, then sets his zone there."""
    room = await olga.create_room((bot,), public=True)
    await olga.wait_for_membership(room, bot, "join", within=30)
    await lars.join(room)
    day = (datetime.now(UTC) + timedelta(days=3)).date()
    assert "created" in await answer(
        olga, room, f"!workshop add 2027-x title=X tz=UTC days={day} time=10:00-15:00", bot)
    await answer(olga, room, "!room add name=Oslo org=UiO mode=online lang=en capacity=5", bot)
    await answer(lars, room, "!join R1", bot)
    assert "direct message" in await answer(lars, room, "!feedback daily day=1", bot)
    direct = await lars.wait_until(
        lambda: next((r for r in lars.invites if r != room), None), "a direct chat")
    await lars.join(direct)
    await lars.wait_until(lambda: any("question 1 of 4" in e.get("content", {}).get("body", "")
                                      for e in lars.events[direct]), "the first question")
    said = ""
    for text in ("1, 3", "zanzibar marmalade exercises", "quokka trampoline breaks", "skip",
                 "yes"):
        said = await answer(lars, direct, text, bot)
    assert "saved" in said
    await answer(lars, direct, "tz Europe/Oslo", bot)
