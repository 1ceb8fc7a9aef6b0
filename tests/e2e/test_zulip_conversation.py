"""The bot on Zulip (the API double on 127.0.0.1), people driven by the official client:
where commands come from and where their answers go."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import requests

from bot.messages import Outgoing
from tests.zulip.bots import ZulipBot
from tests.zulip.people import Org
from tests.zulip.realm import ADMINISTRATOR


@pytest.fixture
def bot(zulip_bot: ZulipBot) -> ZulipBot:
    return zulip_bot


async def test_help_in_a_channel_answers_in_the_same_topic(org: Org, bot: ZulipBot) -> None:
    ana = org.person("Ana Lopez")
    await ana.say("!help", topic="questions")
    answer = await ana.expect(r"tz", topic="questions")
    assert answer["type"] == "stream" and answer["display_recipient"] == "workshop"


async def test_help_in_a_direct_message_needs_no_prefix(org: Org, bot: ZulipBot) -> None:
    ana = org.person("Ana Lopez")
    await ana.tell_bot("help")
    answer = await ana.expect(r"tz", direct=True)
    assert {r["id"] for r in answer["display_recipient"]} == {ana.user_id, org.bot.user_id}


async def test_a_group_direct_message_needs_the_prefix_and_is_answered_there(
    org: Org, bot: ZulipBot
) -> None:
    ana, bo = org.person("Ana Lopez"), org.person("Bo Berg")
    await ana.tell_group((bo,), "help")  # talk among the three: not a command
    await ana.tell_group((bo,), "!tz")
    answer = await bo.expect(r"time zone", direct=True)
    assert {r["id"] for r in answer["display_recipient"]} == {
        ana.user_id, bo.user_id, org.bot.user_id}
    assert bo.inbox == []  # nothing answered the first message (same conversation, in order)


WORKSHOP = ("!workshop add 2027-spring title=Spring tz=Europe/Oslo days=2027-03-17 "
            "time=10:00-15:00")
ROOM = "!room add name=Oslo org=UiO mode=online lang=no capacity=1 public=yes"


async def test_a_leading_mention_of_the_bot_is_a_command_and_chatter_is_not(
    org: Org, bot: ZulipBot
) -> None:
    ana = org.person("Ana Lopez")
    await ana.say("hello everyone, the bot is @**Classroom Bot**")
    await ana.say("help me, anyone?")
    await ana.say("@**Classroom Bot** tz")
    answer = await ana.expect(r"time zone", topic="general")
    assert ana.inbox == []  # nothing answered the chatter before it (same lane, in order)
    assert "Ana" not in answer["content"] or "@_**Ana Lopez|" in answer["content"]


@pytest.fixture
async def organized(org: Org, tmp_path: Path) -> AsyncIterator[ZulipBot]:
    """A bot whose organizers are ana@uni.test by e-mail and the organization's admins."""
    running = ZulipBot(org, tmp_path / "bot.db", organizers=("ana@uni.test",),
                       organizer_roles=("administrator",))
    await running.start()
    try:
        yield running
    finally:
        await running.stop()


async def test_organizers_by_e_mail_or_role_never_by_name(
    org: Org, organized: ZulipBot
) -> None:
    ana = org.person("Ana Lopez", email="ana@uni.test")
    impostor = org.person("Ana Lopez", email="someone@else.test")
    admin = org.person("Bo Admin", role=ADMINISTRATOR)
    await impostor.say(WORKSHOP)
    await impostor.expect(r"is for an organizer")
    await ana.say(WORKSHOP)
    await ana.expect(r"2027-spring")
    await admin.say("!workshop edit 2027-spring title=Spring2")
    await admin.expect(r"Spring2")


async def test_people_are_named_by_mention_and_shown_by_silent_mention(
    org: Org, organized: ZulipBot
) -> None:
    ana = org.person("Ana Lopez", email="ana@uni.test")
    cy, dan = org.person("Cy Lead"), org.person("Dan Brown")
    await ana.say(WORKSHOP)
    await ana.expect(r"2027-spring")
    await cy.say(ROOM)
    await cy.expect(r"R1")
    await cy.say("!room lead add R1 @**Dan Brown**")
    reply = await cy.expect(r"team lead of R1")
    assert f"@_**Dan Brown|{dan.user_id}**" in reply["content"]
    told = await dan.expect(r"You are now a team lead", direct=True)
    assert "R1" in told["content"]
    await cy.say(f"!room lead remove R1 @_**Dan Brown|{dan.user_id}**")
    await cy.expect(r"no longer a team lead of R1")


async def test_an_export_is_uploaded_and_linked(org: Org, organized: ZulipBot) -> None:
    ana = org.person("Ana Lopez", email="ana@uni.test")
    await ana.say(WORKSHOP)
    await ana.expect(r"2027-spring")
    await ana.say(ROOM)
    await ana.expect(r"R1")
    await ana.tell_bot("rooms export csv")
    answer = await ana.expect(r"/user_uploads/", direct=True)
    link = re.search(r"\]\((/user_uploads/[^)]+\.csv)\)", answer["content"])
    assert link is not None, answer["content"]
    got = await asyncio.to_thread(requests.get, org.double.url + link[1],
                                  auth=(ana.user.email, ana.user.api_key), timeout=10)
    assert got.status_code == 200 and "Oslo" in got.text


async def test_a_calendar_is_uploaded_and_a_long_answer_split(
    org: Org, organized: ZulipBot
) -> None:
    ana = org.person("Ana Lopez", email="ana@uni.test")
    await ana.say(WORKSHOP)
    await ana.expect(r"2027-spring")
    await ana.say("!onboarding add 2027-03-10 14:00 tz=Europe/Oslo")
    await ana.expect(r"O1")
    await ana.say("!onboarding ics")
    answer = await ana.expect(r"\.ics\)")
    assert re.search(r"\]\(/user_uploads/[^)]+\.ics\)", answer["content"])
    assert organized.transport.last_sync is not None  # what /healthz reads
    long = "\n".join(f"line {n:05d}" for n in range(1500))  # 16,499 characters
    await organized.transport.deliver(Outgoing(long, user=ana.key, key="long-1"))
    first = await ana.expect(r"^line 00000", direct=True)
    second = await ana.expect(r"^line \d+", direct=True)
    assert len(first["content"]) <= 10_000
    assert first["content"] + "\n" + second["content"] == long
