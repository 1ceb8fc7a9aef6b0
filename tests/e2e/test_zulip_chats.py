"""A chat per local room on Zulip (the API double on 127.0.0.1): a private channel
named from the room, its people subscribed and unsubscribed, found again by name
after a crash, and archived as far as the bot's role allows."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.config_sections import ChatSettings
from bot.db.engine import writing
from bot.messages import CHAT_ARCHIVE, ChatOrder, Outgoing
from bot.services import chats
from bot.transport.zulip_api import ZulipApi
from bot.transport.zulip_chats import ZulipChats
from tests.e2e.conftest import poll_until
from tests.zulip.bots import ZulipBot
from tests.zulip.people import Org
from tests.zulip.realm import ADMINISTRATOR, Stream

ROOM = ('!room add name="Oslo classroom" org="University of Oslo" mode=in-person city=Oslo '
        'country=NO lang=no capacity=1 public=yes who="UiO staff and students"')
NAME = "R1 Oslo classroom"


def workshop() -> str:
    first = (datetime.now(UTC) + timedelta(days=30)).date()
    return (f"!workshop add 2026-spring title=“Spring tools” tz=Europe/Oslo "
            f"days={first},{first + timedelta(days=1)} time=10:00-15:00")


def channels(org: Org, name: str = NAME) -> list[Stream]:
    return [s for s in list(org.double.realm.streams.values()) if s.name == name]


async def test_a_private_channel_per_room_with_its_people(org: Org, tmp_path: Path) -> None:
    organizer, host = org.person("Olga Org"), org.person("Hana Host")
    ana, bo = org.person("Ana Lopez"), org.person("Bo Berg")
    bot = ZulipBot(org, tmp_path / "bot.db", organizers=(str(organizer.user_id),))
    await bot.start()
    try:
        await organizer.tell_bot(workshop())
        await organizer.expect("created", direct=True)
        await organizer.tell_bot("!workshop edit 2026-spring chats=yes")
        await organizer.expect("gets a chat room", direct=True)
        await host.tell_bot(ROOM)
        await host.expect("Registered R1", direct=True)

        async def made() -> bool:
            found = channels(org)
            return bool(found) and host.user_id in found[0].subscribers

        await poll_until(made, "the room's private channel with its host")
        [channel] = channels(org)
        assert channel.invite_only and org.bot.user_id in channel.subscribers
        assert channel.description.startswith("Spring tools: local room R1")

        await ana.tell_bot("!join R1")
        await ana.expect("I invited you to its chat", direct=True)
        await poll_until(lambda: _true(ana.user_id in channel.subscribers), "Ana subscribed")
        await bo.tell_bot("!join R1")  # full: the waitlist, no channel
        await bo.expect("waitlist", direct=True)
        assert bo.user_id not in channel.subscribers
        await ana.tell_bot("!leave")
        await poll_until(lambda: _true(ana.user_id not in channel.subscribers
                                       and bo.user_id in channel.subscribers),
                         "Ana unsubscribed and Bo subscribed")

        # Archived on its day: a bot that is no organization administrator may not
        # archive the channel (DELETE /streams/{id}); it says so in the description.
        assert bot.app is not None
        async with writing(bot.app.sessions) as session:
            written = await chats.archive_due(session, ChatSettings(),
                                              datetime.now(UTC) + timedelta(days=60))
        # Due now, whatever day the job thought it was.
        await bot.app.worker.hand(
            [replace(d, not_before=datetime.now(UTC)) for d in written]).wait()
        assert channel.description.startswith("Archived: Spring tools")
        assert not channel.archived and len(channels(org)) == 1
    finally:
        await bot.stop()


async def _true(value: bool) -> bool:
    return value


async def test_after_a_crash_the_channel_is_found_by_name_and_an_admin_archives_it(
    org: Org, zulip_bot: ZulipBot
) -> None:
    settings = zulip_bot.transport.settings
    order = ChatOrder(key="2026-spring-r1", name=NAME, topic="Spring tools: R1")
    first = ZulipChats(ZulipApi(settings))
    made = await first.create(order)
    # A new run (nothing remembered) creating it again finds the channel made before.
    again = ZulipChats(ZulipApi(settings))
    assert await again.create(order) == made
    assert len(channels(org)) == 1
    org.bot.role = ADMINISTRATOR
    await again.act(Outgoing(text=order.text(), room="chat:1", action=CHAT_ARCHIVE))
    assert channels(org)[0].archived
    for chats_of in (first, again):
        await chats_of.api.close()
