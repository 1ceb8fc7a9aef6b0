"""Feedback forms as conversations in a direct chat: transcripts of each default form."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.db.models import Conversation, FeedbackResponse
from tests.chat import ORGANIZER, Chat

ANA, BO = "@ana:uni.no", "@bo:uni.no"
HOST = "@host:uni.no"
ROOM = (
    '!room add name="Oslo classroom" org="University of Oslo" mode=in-person city=Oslo '
    "country=NO lang=no capacity=5 days=1-2 public=yes"
)


@pytest.fixture
async def workshop(chat: Chat) -> Chat:
    await chat.say(
        ORGANIZER,
        "!workshop add 2026-spring title=Spring tz=Europe/Oslo "
        "days=2026-03-17,2026-03-18 time=10:00-15:00",
    )
    assert "Registered R1" in await chat.say(HOST, ROOM)
    await chat.say(ANA, "!join R1")
    return chat


async def responses(chat: Chat) -> list[FeedbackResponse]:
    async with chat.app.sessions() as session:
        return list((await session.scalars(select(FeedbackResponse))).all())


async def dm(chat: Chat, sender: str, text: str) -> str:
    return (await chat.say(sender, text, direct=True)).reply


async def test_daily_form_in_a_room_goes_to_the_direct_chat(workshop: Chat) -> None:
    answer = await workshop.say(ANA, "!feedback daily day=1")
    assert "I sent you a direct message" in answer.reply
    (question,) = answer.notices[ANA]
    assert "question 1 of 4" in question and "1. too fast" in question
    # "3" would be an unknown command; in the form it is the answer.
    reply = await dm(workshop, ANA, "1, 3")
    assert "question 2 of 4" in reply and "One good thing" in reply
    assert "question 3 of 4" in await dm(workshop, ANA, "the exercises")
    reply = await dm(workshop, ANA, "more breaks")
    assert "Any other feedback?" in reply and "`skip`" in reply
    reply = await dm(workshop, ANA, "skip")
    assert "too fast; right speed" in reply and "(skipped)" in reply and "`yes`" in reply
    assert "saved" in await dm(workshop, ANA, "yes")
    (saved,) = await responses(workshop)
    assert json.loads(saved.answers) == {
        "today": ["too fast", "right speed"], "good": "the exercises",
        "improve": "more breaks", "other": None,
    }
    assert saved.day == 1 and saved.room_id == 1
    assert ANA not in saved.answers and saved.respondent and ANA not in saved.respondent
    # The form is over: commands are commands again.
    assert "I don't know the command" in await dm(workshop, ANA, "3")


async def test_wrong_answers_say_what_is_accepted_and_repeat_the_question(workshop: Chat) -> None:
    await dm(workshop, ANA, "feedback final")
    reply = await dm(workshop, ANA, "11")
    assert "11 is out of range" in reply and "from 0 to 10" in reply
    assert "How likely are you to recommend" in reply
    reply = await dm(workshop, ANA, "very")
    assert "is not a whole number" in reply and "How likely" in reply
    assert "How did you attend?" in await dm(workshop, ANA, "9")
    reply = await dm(workshop, ANA, "4")
    assert "is not one of the choices" in reply and "How did you attend?" in reply
    reply = await dm(workshop, ANA, "skip")
    assert "needs an answer" in reply and "How did you attend?" in reply
    assert "What was most useful?" in await dm(workshop, ANA, "With colleagues")
    # back returns to the previous question, and the answer can be changed.
    reply = await dm(workshop, ANA, "back")
    assert "How did you attend?" in reply and "Your answer was: with colleagues" in reply
    assert "What was most useful?" in await dm(workshop, ANA, "3")
    await dm(workshop, ANA, "pairing")
    reply = await dm(workshop, ANA, "=cmd|' /C calc'!A0")
    assert "in a local room" in reply
    assert "I did not understand `maybe`" in await dm(workshop, ANA, "maybe")
    reply = await dm(workshop, ANA, "no")
    assert "Nothing was saved yet" in reply and "in a local room" in reply
    await dm(workshop, ANA, "yes")
    (saved,) = await responses(workshop)
    assert json.loads(saved.answers)["attended"] == "in a local room"
    assert json.loads(saved.answers)["recommend"] == 9


async def test_debrief_cancel_and_other_commands(workshop: Chat) -> None:
    reply = await dm(workshop, HOST, "feedback debrief")
    assert "How many learners attended" in reply
    assert "at least 0" in await dm(workshop, HOST, "-2")
    # A known command typed inside the form runs; the form stays open and says so.
    reply = await dm(workshop, HOST, "!myroom")
    assert "R1" in reply and "in the middle of" not in reply
    assert reply.endswith("(Still open: the `debrief` form; type your answer here, or `cancel`.)")
    reply = await dm(workshop, HOST, "help")
    assert "one question at a time" in reply and "How many learners attended" in reply
    assert "room setup" in await dm(workshop, HOST, "4")
    assert "Cancelled" in await dm(workshop, HOST, "!cancel")
    assert await responses(workshop) == []
    assert "R1" in await dm(workshop, HOST, "myroom")


async def test_inside_a_form_only_a_known_command_is_one(workshop: Chat) -> None:
    await dm(workshop, ANA, "feedback daily day=1")
    await dm(workshop, ANA, "1")
    # Excitement and unknown words after the prefix are answers, not commands.
    assert "question 3 of 4" in await dm(workshop, ANA, "!!! loved it")
    assert "Any other feedback?" in await dm(workshop, ANA, "!nonsense more breaks")
    # Without the prefix a command's name is an answer too.
    assert "`yes`" in await dm(workshop, ANA, "rooms")
    assert "saved" in await dm(workshop, ANA, "yes")
    (saved,) = await responses(workshop)
    answers = json.loads(saved.answers)
    assert answers["good"] == "!!! loved it" and answers["improve"] == "!nonsense more breaks"
    assert answers["other"] == "rooms"
async def test_form_survives_a_restart(
    workshop: Chat, tmp_path: Path, bot_database_url: str
) -> None:
    await dm(workshop, ANA, "feedback daily day=2")
    await dm(workshop, ANA, "2")
    await workshop.close()
    again = await Chat.open(tmp_path, url=bot_database_url)
    try:
        answer = await again.say(ANA, "the breaks", direct=True, event_id="$after-restart")
        assert "question 3 of 4" in answer.reply
    finally:
        await again.close()


async def test_two_messages_racing_are_answered_in_turn(workshop: Chat) -> None:
    await dm(workshop, ANA, "feedback daily day=1")
    first, second = await asyncio.gather(
        workshop.say(ANA, "1", direct=True), workshop.say(ANA, "good pace", direct=True)
    )
    replies = sorted([first.reply, second.reply])
    # One answered question 1; the other answered question 2 with the state it left.
    assert any("question 2 of 4" in r for r in replies)
    assert any("question 3 of 4" in r or "not one of the choices" in r for r in replies)
    async with workshop.app.sessions() as session:
        row = (await session.scalars(select(Conversation))).one()
        assert json.loads(row.state)["step"] in (1, 2)


async def test_a_paused_form_lasts_until_its_window_closes(workshop: Chat) -> None:
    await dm(workshop, ANA, "feedback daily day=1")
    # Paused overnight (the old idle timeout was 12 h): the form is still there.
    workshop.clock.advance(timedelta(hours=13))
    assert "question 2 of 4" in await dm(workshop, ANA, "1")
    # Day 1 ends 2026-03-17 14:00 UTC; its window 36 h later.
    workshop.clock.advance(datetime(2026, 3, 19, 2, tzinfo=UTC) - workshop.clock.now())
    reply = await dm(workshop, ANA, "the exercises")
    assert reply.startswith("The `daily` form about day 1 could be answered until ")
    assert "its window has closed, so nothing of it was saved" in reply
    assert "Your message was not used." in reply
    assert "I don't know the command" in await dm(workshop, ANA, "1")
    assert await responses(workshop) == []


async def test_day_is_refused_for_a_form_answered_once(workshop: Chat) -> None:
    reply = await dm(workshop, ANA, "feedback final day=2")
    assert "answered once per workshop" in reply and "Usage: `!feedback [form]" in reply
    async with workshop.app.sessions() as session:
        assert (await session.scalars(select(Conversation))).all() == []


async def test_a_once_per_workshop_form_answered_again_replaces(workshop: Chat) -> None:
    for attended in ("1", "2"):
        reply = await dm(workshop, ANA, "feedback final")
        assert ("replaces your earlier answers" in reply) == (attended == "2")
        for text in ("9", attended, "pairing", "nothing"):
            await dm(workshop, ANA, text)
        saved = await dm(workshop, ANA, "yes")
        assert ("They replace your earlier answers." in saved) == (attended == "2")
    (only,) = await responses(workshop)
    assert only.day == 0 and json.loads(only.answers)["attended"] == "with colleagues"


async def test_answering_again_replaces_after_asking(workshop: Chat) -> None:
    for good in ("first", "second"):
        reply = await dm(workshop, ANA, "feedback daily day=1")
        if good == "second":
            assert "replaces your earlier answers" in reply
        for text in ("3", good, "nothing", "skip", "yes"):
            await dm(workshop, ANA, text)
    (saved,) = await responses(workshop)
    assert json.loads(saved.answers)["good"] == "second"


async def test_a_form_taken_out_of_the_configuration_ends(workshop: Chat) -> None:
    await dm(workshop, ANA, "feedback daily day=1")
    async with workshop.app.sessions() as session, session.begin():
        (row,) = (await session.scalars(select(Conversation))).all()
        row.topic = "gone"
    assert "no longer exists" in await dm(workshop, ANA, "cancel")
    assert "I don't know the command" in await dm(workshop, ANA, "3")


async def test_unknown_form_and_day(workshop: Chat) -> None:
    reply = await dm(workshop, ANA, "feedback weekly")
    assert "There is no form `weekly`" in reply and "`daily`" in reply
    assert "has no day 5" in await dm(workshop, ANA, "feedback daily day=5")
    assert "has not started yet" in await dm(workshop, ANA, "feedback daily")
    assert "is for team leads and hosts" in await dm(workshop, ANA, "feedback debrief")
