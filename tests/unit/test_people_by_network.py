"""A command that names a person takes a person of the network it came from: a Zulip
user id on Matrix (or a Matrix id on Zulip) could never be told anything, so it is
refused with the usage, and nothing changes."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.db.models import Membership, Person
from tests.chat import Chat

WORKSHOP = "!workshop add ws title=W tz=UTC days=2026-03-17 time=10:00-15:00"
ROOM = "!room add name=Lab org=U mode=online capacity=5 public=no"
ON_ZULIP = "`zulip:7` is a person on Zulip, not here: name someone on Matrix like `@ana:uni.no`."
ON_MATRIX = ("`@ana:uni.no` is a person on Matrix, not here: name someone on Zulip like "
             "`@**Ana Lopez**`.")


async def counts(chat: Chat) -> tuple[int, int]:
    async with chat.app.sessions() as session:
        people = await session.scalar(select(func.count()).select_from(Person))
        members = await session.scalar(select(func.count()).select_from(Membership))
    return int(people or 0), int(members or 0)


@pytest.mark.parametrize(("network", "organizer", "host", "foreign", "refusal", "own"), [
    ("matrix", "@org:example.org", "@host:uni.no", "zulip:7", ON_ZULIP, "@ana:uni.no"),
    ("zulip", "zulip:1", "zulip:2", "@ana:uni.no", ON_MATRIX, "zulip:3"),
])
async def test_a_person_of_another_network_is_refused(
    tmp_path: Path, bot_database_url: str, network: str, organizer: str, host: str,
    foreign: str, refusal: str, own: str,
) -> None:
    chat = await Chat.open(tmp_path, (organizer,), url=bot_database_url, network=network)
    try:
        await chat.say(organizer, WORKSHOP)
        await chat.say(host, ROOM)
        before = await counts(chat)
        for command in ("lead add", "lead remove"):
            refused = await chat.say(host, f"!room {command} R1 {foreign}")
            assert refusal in refused.reply
            assert f"Usage: `!room {command}" in refused.reply and not refused.notices
            usage = {"matrix": "R7 @user:server`", "zulip": "R7 @**Name**`"}[network]
            assert usage in refused.reply, "a person as the asker's network writes one"
        assert await counts(chat) == before

        added = await chat.say(host, f"!room lead add R1 {own}")
        assert f"`{own}` is now a team lead of R1" in added.reply
        assert list(added.notices) == [own]
    finally:
        await chat.close()
