"""`!tz`: show and set a person's time zone."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from bot.config import BotSettings
from bot.db.models import Person
from tests.chat import ORGANIZER, Chat

ANA = "@ana:example.org"


async def test_tz_shows_the_default_until_set_then_the_persons_zone(chat: Chat) -> None:
    assert "You have not set a time zone" in await chat.say(ANA, "!tz")
    answer = await chat.say(ANA, "!tz europe/oslo")
    assert "Your time zone is now `Europe/Oslo` (now Mon 2 Mar 10:00 CET)" in answer
    assert "Your time zone is `Europe/Oslo`" in await chat.say(ANA, "!tz")
    async with chat.app.sessions() as session:
        person = await session.scalar(select(Person).where(Person.user_id == ANA))
    assert person is not None and person.timezone == "Europe/Oslo"
    assert person.network == "test" and person.created_at == chat.clock.now()


async def test_a_bad_zone_keeps_the_old_one(chat: Chat) -> None:
    await chat.say(ANA, "!tz Asia/Tokyo")
    answer = await chat.say(ANA, "!tz Mars/Olympus")
    assert "Use an IANA name in Area/City form" in answer
    assert "Your time zone is `Asia/Tokyo`" in await chat.say(ANA, "!tz")


async def test_each_person_has_their_own_zone(chat: Chat) -> None:
    await chat.say(ANA, "!tz Asia/Tokyo")
    await chat.say("@bo:example.org", "!tz America/Chicago")
    assert "Asia/Tokyo" in await chat.say(ANA, "!tz")
    assert "America/Chicago" in await chat.say("@bo:example.org", "!tz")


NOTE = "Times are in UTC, the default zone, as you have not set yours: set it with `!tz Area/City`."


async def test_times_shown_without_a_zone_of_ones_own_say_how_to_set_it(chat: Chat) -> None:
    await chat.say(
        ORGANIZER,
        "!workshop add 2026-spring title=Spring tz=Europe/Stockholm days=2026-03-17 "
        "time=10:00-15:00",
    )
    await chat.say(ANA, "!room add name=Oslo org=UiO mode=online capacity=5 public=yes")
    for command in ("!workshop", "!workshop 2026-spring", "!room R1"):
        answer = await chat.say(ANA, command)
        assert "Tue 17 Mar 09:00–14:00 UTC" in answer and NOTE in answer, command
    await chat.say(ANA, "!tz Europe/Stockholm")
    for command in ("!workshop", "!room R1"):
        answer = await chat.say(ANA, command)
        assert "Tue 17 Mar 10:00–15:00 CET" in answer and "default zone" not in answer, command
    assert "Times are in your zone, Europe/Stockholm." in await chat.say(ANA, "!workshop")
    await chat.say(ANA, "!tz Asia/Tokyo")
    assert "Times are in your zone, Asia/Tokyo; the organizers are in Europe/Stockholm." in (
        await chat.say(ANA, "!workshop")
    )


async def test_the_note_uses_the_configured_default_zone_and_prefix(tmp_path: Path) -> None:
    chat = await Chat.open(
        tmp_path,
        bot=BotSettings(organizers=(ORGANIZER,), prefix=".", default_timezone="Asia/Kolkata"),
    )
    try:
        answer = await chat.say(
            ORGANIZER,
            ".workshop add 2026-spring title=Spring tz=Europe/Stockholm days=2026-03-17 "
            "time=10:00-15:00",
        )
        assert "Day 1: Tue 17 Mar 14:30–19:30 IST (UTC+05:30)" in answer
        assert (
            "Times are in Asia/Kolkata, the default zone, as you have not set yours: "
            "set it with `.tz Area/City`."
        ) in answer
    finally:
        await chat.close()
