"""Workshops, as organizers and learners meet them."""

from __future__ import annotations

from sqlalchemy import func, select

from bot.db.models import Workshop, WorkshopDay
from tests.chat import ORGANIZER, Chat

ANA = "@ana:example.org"
ADD = (
    '!workshop add 2026-spring title="Tools for research software" tz=Europe/Stockholm '
    "days=2026-03-17,2026-03-18 time=10:00-15:00 stream=https://example.org/live"
)


async def rows(chat: Chat, model: type) -> int:
    async with chat.app.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_an_organizer_creates_the_first_workshop_which_becomes_current(chat: Chat) -> None:
    answer = await chat.say(ORGANIZER, ADD)
    assert "Workshop `2026-spring` created. It is the current workshop." in answer
    assert "Day 1: Tue 17 Mar 09:00–14:00 UTC" in answer
    await chat.say(ANA, "!tz Europe/Stockholm")
    shown = await chat.say(ANA, "!workshop")
    assert "Day 2: Wed 18 Mar 10:00–15:00 CET" in shown
    assert "Stream: <https://example.org/live>" in shown
    await chat.say(ANA, "!tz Asia/Tokyo")
    assert "Day 1: Tue 17 Mar 18:00–23:00 JST" in await chat.say(ANA, "!workshop 2026-spring")
    assert "`2026-spring` Tools for research software" in await chat.say(ANA, "!workshops")


async def test_a_second_workshop_is_not_current_until_used(chat: Chat) -> None:
    await chat.say(ORGANIZER, ADD)
    answer = await chat.say(
        ORGANIZER,
        "!workshop add 2026-autumn title=Autumn tz=UTC days=2026-10-01 time=09:00-12:00",
    )
    assert "Make it current with `!workshop use 2026-autumn`" in answer
    listing = await chat.say(ANA, "!workshops")
    assert "planned ← current" in listing.reply.split("2026-autumn")[0]
    assert "now `2026-autumn`" in await chat.say(ORGANIZER, "!workshop use 2026-autumn")
    assert "**Autumn**" in await chat.say(ANA, "!workshop")


async def test_editing_days_time_and_zone_keeps_what_was_not_changed(chat: Chat) -> None:
    await chat.say(ORGANIZER, ADD)
    answer = await chat.say(ORGANIZER, "!workshop edit 2026-spring time=09:00-12:00")
    assert "Day 1: Tue 17 Mar 08:00–11:00 UTC" in answer
    answer = await chat.say(ORGANIZER, "!workshop edit 2026-spring tz=Europe/London")
    assert "Day 2: Wed 18 Mar 09:00–12:00 UTC" in answer
    answer = await chat.say(
        ORGANIZER, "!workshop edit 2026-spring days=2026-03-24,2026-03-25,2026-03-26 state=running"
    )
    # The state follows the days and the clock, whatever `state=running` says.
    assert "Day 3: Thu 26 Mar 09:00–12:00 UTC" in answer and "(`2026-spring`, planned)" in answer
    assert await rows(chat, WorkshopDay) == 3


async def test_workshop_commands_refuse_people_who_are_not_organizers(chat: Chat) -> None:
    for command in (
        ADD,
        "!workshop use 2026-spring",
        "!workshop edit 2026-spring title=x",
        "!stats",
    ):
        answer = await chat.say(ANA, command)
        assert "is for an organizer" in answer, command
    assert await rows(chat, Workshop) == 0
    assert "!workshop add" not in await chat.say(ANA, "!help")
    assert "!workshop add" in await chat.say(ORGANIZER, "!help")


async def test_bad_workshop_values_are_explained_and_change_nothing(chat: Chat) -> None:
    cases = {
        ADD.replace("2026-03-18", "18.03.2026"): "is not a date; use YYYY-MM-DD",
        ADD.replace("tz=Europe/Stockholm", "tz=Mars/Olympus"): "Area/City",
        ADD.replace("10:00-15:00", "15:00-10:00"): "15:00-10:00 is reversed",
        ADD.replace("2026-spring", "2026-spring extra"): "I did not expect 'extra' here",
        ADD.replace("2026-spring", "Spring!"): "is not a workshop slug",
        ADD.replace("stream=https://example.org/live", "stream=example.org"): "https://",
        ADD.replace("2026-03-17,2026-03-18", "2026-03-18,2026-03-17"): "in order, each once",
        ADD.replace(' title="Tools for research software"', ""): "title= is missing",
    }
    for command, problem in cases.items():
        answer = await chat.say(ORGANIZER, command)
        assert problem in answer, (command, answer.reply)
        assert "Usage: `!workshop add" in answer
    assert await rows(chat, Workshop) == 0
    await chat.say(ORGANIZER, ADD)
    assert "exists already" in await chat.say(ORGANIZER, ADD)
    assert "Give at least one key=value" in await chat.say(ORGANIZER, "!workshop edit 2026-spring")
    assert "There is no workshop `nope`" in await chat.say(ORGANIZER, "!workshop use nope")
    assert "Known workshops: 2026-spring" in await chat.say(ANA, "!workshop nope")
    assert await rows(chat, Workshop) == 1


async def test_without_a_workshop_people_are_told_who_can_add_one(chat: Chat) -> None:
    for command in ("!workshop", "!rooms", "!myroom", "!leave"):
        assert "No workshop is set up yet" in await chat.say(ANA, command), command
    assert "There are no workshops yet." in await chat.say(ANA, "!workshops")
