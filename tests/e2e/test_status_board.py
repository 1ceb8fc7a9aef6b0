"""The live status board on the real homeserver and on the Zulip API double: a room's
status changed 20 times during a workshop day is one board message in the
organizers' room, whose latest edit (as a client sees it) shows the last state."""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nio import RoomGetEventResponse

from bot.config import StatusSettings
from tests.zulip.bots import ZulipBot
from tests.zulip.people import Org

if TYPE_CHECKING:
    from tests.e2e.bots import BotRunner
    from tests.e2e.conftest import ChatUser

MakeUser = Callable[..., Awaitable["ChatUser"]]
MakeBot = Callable[..., Awaitable["BotRunner"]]
RoomWith = Callable[..., Awaitable[str]]
STATES = ("need-help", "working", "done")
CHANGES = 20


def workshop_today() -> str:
    today = datetime.now(UTC).date()
    return f"!workshop add 2027-board title=Board tz=UTC days={today} time=00:00-23:59"


ROOM = "!room add name=Oslo org=UiO mode=online lang=en capacity=5 public=yes"


def change(n: int) -> str:
    return f"!status {STATES[n % 3]} change {n}"


LAST = "change 19"  # and 19 % 3 == 1: working


async def test_a_board_edited_through_a_day_is_one_message_showing_the_last_state(
    make_user: MakeUser, make_bot: MakeBot, room_with: RoomWith,
) -> None:
    olga = await make_user("olga")
    bot = await make_bot(organizers=(olga.user_id,))
    board = await room_with(olga, bot)
    commands = await room_with(olga, bot)
    await bot.stop()
    bot.configure(status_room=board)
    bot.settings = dataclasses.replace(bot.settings,
                                       status=StatusSettings(edit_interval_seconds=0))
    await bot.start()
    for text in (workshop_today(), ROOM):
        await olga.expect_reply(commands, await olga.say(commands, text), sender=bot.user_id)
    for n in range(CHANGES):
        asked = await olga.say(commands, change(n))
        reply = await olga.expect_reply(commands, asked, sender=bot.user_id)
        assert "R1 is now" in reply["content"]["body"]

    def latest() -> dict[str, Any] | None:
        mine = [e for e in olga.events[board] if e.get("sender") == bot.user_id
                and e.get("type") == "m.room.message"]
        return mine[-1] if mine and LAST in _shown(mine[-1]) else None

    await olga.wait_until(latest, "the board's last state")
    history = [e for e in await olga.history(board)
               if e.get("sender") == bot.user_id and e.get("type") == "m.room.message"]
    originals = [e for e in history if "m.new_content" not in e["content"]]
    edits = [e for e in history if "m.new_content" in e["content"]]
    assert len(originals) == 1  # one board message, never a stream of new ones
    original = originals[0]["event_id"]
    assert 1 <= len(edits) <= CHANGES
    for edit in edits:
        assert edit["content"]["m.relates_to"] == {"rel_type": "m.replace", "event_id": original}
        assert edit["content"]["body"].startswith("* ")
        assert edit["content"]["m.new_content"]["msgtype"] == "m.notice"
    # As a client sees the original: the homeserver bundles its latest edit with it.
    seen = await olga.client.room_get_event(board, original)
    assert isinstance(seen, RoomGetEventResponse), seen
    replaced = seen.event.source["unsigned"]["m.relations"]["m.replace"]
    assert replaced["event_id"] == edits[-1]["event_id"]
    body = edits[-1]["content"]["m.new_content"]["body"]
    assert f"R1 Oslo: 🛠️ working, just now · “{LAST}”" in body
    assert "🛠️ working: 1" in body


def _shown(event: dict[str, Any]) -> str:
    content = event.get("content", {})
    return str(content.get("m.new_content", content).get("body", ""))


async def test_on_zulip_the_board_is_one_message_patched_to_the_last_state(
    org: Org, tmp_path: Path,
) -> None:
    ana = org.person("Ana Lopez")
    bot = ZulipBot(org, tmp_path / "bot.db", organizers=(str(ana.user_id),))
    section = bot.settings.network("zulip")
    bot.settings = dataclasses.replace(
        bot.settings, networks={"zulip": dataclasses.replace(section, status_channel="workshop")},
        status=StatusSettings(edit_interval_seconds=0))
    await bot.start()
    try:
        await ana.say(workshop_today())
        await ana.expect(r"2027-board")
        await ana.say(ROOM)
        await ana.expect(r"Registered R1")
        for n in range(CHANGES):
            await ana.tell_bot(change(n))
            await ana.expect(r"R1 is now", direct=True)
        post = await ana.expect(r"Status board", topic="status board")

        def board_messages() -> list[Any]:
            return [m for m in org.double.messages()
                    if m.sender.user_id == org.bot.user_id and m.topic == "status board"]

        for _ in range(200):
            if LAST in board_messages()[0].content:
                break
            await ana.quiet(0.05)
        [message] = board_messages()  # one message, edited in place
        assert message.id == post["id"]
        assert f"**R1** Oslo: 🛠️ working, just now · “{LAST}”" in message.content
        assert 1 <= len(message.earlier) <= CHANGES
    finally:
        await bot.stop()
