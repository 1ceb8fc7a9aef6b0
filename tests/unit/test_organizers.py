"""Organizers by power level: only current members of the organizers' room, and only
people of the network that has the room (issue 19)."""

from __future__ import annotations

from pathlib import Path

from bot.app import App
from bot.config import BotSettings, DatabaseSettings, Settings
from bot.messages import Incoming
from tests.chat import Chat, RecordingTransport

ORGANIZERS = "!organizers:example.org"
# Hostile: prefixes of one another; the room's users_default alone reaches the level.
ANA, ANAT, ANATOL = "@ana:example.org", "@anat:example.org", "@anatol:example.org"
SECRET = "!workshop add 2027-a title=A tz=UTC days=2027-03-17 time=10:00-15:00"


BY_POWER_LEVEL = BotSettings(organizers=(), organizers_room=ORGANIZERS, organizers_power_level=50)


async def test_a_kicked_or_never_joined_person_is_no_organizer(
    tmp_path: Path, bot_database_url: str
) -> None:
    chat = await Chat.open(tmp_path, url=bot_database_url, bot=BY_POWER_LEVEL)
    try:
        chat.transport.users_default[ORGANIZERS] = 50
        chat.transport.joined[ORGANIZERS] = {ANA, ANAT}
        assert "created" in await chat.say(ANA, SECRET)
        chat.transport.joined[ORGANIZERS].discard(ANAT)  # kicked
        refused = await chat.say(ANAT, "!workshop edit 2027-a title=B")
        assert "is for an organizer" in refused
        assert "is for an organizer" in await chat.say(ANATOL, "!workshop edit 2027-a title=C")
        assert "**A** (`2027-a`" in await chat.say(ANA, "!workshop 2027-a")  # unchanged
    finally:
        await chat.close()


async def test_a_person_of_another_network_is_never_an_organizer_by_a_room(
    tmp_path: Path, bot_database_url: str
) -> None:
    """A Zulip person whose id is written like a member of the Matrix organizers' room is
    asked of Zulip only; today's main asked every network and found the Matrix level."""
    matrix, zulip = RecordingTransport("matrix"), RecordingTransport("zulip")
    matrix.users_default[ORGANIZERS] = 50
    matrix.joined[ORGANIZERS] = {ANA}
    settings = Settings(bot=BY_POWER_LEVEL,
                        database=DatabaseSettings(url=bot_database_url))
    app = App(settings, lambda _app: [matrix, zulip])
    await app.start()
    try:
        for transport, event in ((zulip, "$z"), (matrix, "$m")):
            message = Incoming(network=transport.network, sender=ANA, room="r1", body=SECRET,
                               is_direct=False, event_id=event)
            await (await app.handle(message)).wait()
        assert "is for an organizer" in zulip.sent[0].text
        assert "created" in matrix.sent[0].text
    finally:
        app.stop()
        await app.close()
