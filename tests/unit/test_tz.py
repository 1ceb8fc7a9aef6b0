"""`!tz`: show and set a person's time zone."""

from __future__ import annotations

from sqlalchemy import select

from bot.db.models import Person
from tests.chat import Chat

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
