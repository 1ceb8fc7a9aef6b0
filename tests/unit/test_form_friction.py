"""Friction inside a form, as a person meets it in their direct chat (the whole bot).

A form whose choices are the control words, `no` at the confirmation, `back`
showing what was answered, the debrief's "Would you host again?" answered `yes`.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.config import FeedbackSettings
from bot.db.models import FeedbackResponse
from bot.render import plain_text
from bot.text import escape
from tests.chat import ORGANIZER, Chat

ANA, HOST = "@ana:uni.no", "@host:uni.no"
# The daily form replaced by one whose choices are named like the control words.
CLASHING = """
[daily]
title = "Moves"
[[daily.questions]]
id = "move"
kind = "choice"
text = "Where now?"
choices = ["back", "cancel", "skip"]
optional = true
[[daily.questions]]
id = "words"
kind = "multi"
text = "Which words?"
choices = ["yes", "no", "ok"]
"""


async def workshop(chat: Chat) -> Chat:
    await chat.say(ORGANIZER, "!workshop add 2026-spring title=Spring tz=Asia/Kolkata "
                   "days=2026-03-17,2026-03-18 time=10:00-15:00")
    return chat


@pytest.fixture
async def clashing(tmp_path: Path, bot_database_url: str) -> AsyncIterator[Chat]:
    forms = tmp_path / "forms.toml"
    forms.write_text(CLASHING, encoding="utf-8")
    chat = await Chat.open(tmp_path, url=bot_database_url,
                           feedback=FeedbackSettings(forms_file=str(forms)))
    yield await workshop(chat)
    await chat.close()


async def dm(chat: Chat, sender: str, text: str) -> str:
    return (await chat.say(sender, text, direct=True)).reply


async def saved(chat: Chat) -> list[dict[str, object]]:
    async with chat.app.sessions() as session:
        rows = (await session.scalars(select(FeedbackResponse))).all()
        return [json.loads(row.answers) for row in rows]


@pytest.mark.parametrize("choice", ["cancel", "back", "skip", "Cancel"])
async def test_a_choice_named_like_a_control_word_is_that_choice(
    clashing: Chat, choice: str
) -> None:
    question = await dm(clashing, ANA, "!feedback daily day=1")
    assert "Where now?" in question and "here `skip`, `back` and `cancel` are choices" \
        not in question  # no back at the first question
    assert "`!skip`, `!cancel` (with the `!`: here `skip` and `cancel` are choices)" \
        in question
    assert "question 2 of 2" in await dm(clashing, ANA, choice)
    reply = await dm(clashing, ANA, "no")
    assert "- Which words?: no" in reply and "Save them?" in reply
    assert "Your answer was: no" in await dm(clashing, ANA, "back")
    assert "Save them?" in await dm(clashing, ANA, "yes, ok")
    assert "Thank you" in await dm(clashing, ANA, "yes")
    assert await saved(clashing) == [{"move": choice.casefold(), "words": ["yes", "ok"]}]


async def test_the_prefixed_control_word_still_moves(clashing: Chat) -> None:
    await dm(clashing, ANA, "!feedback daily day=1")
    assert "Which words?" in await dm(clashing, ANA, "!skip")
    assert "Where now?" in await dm(clashing, ANA, "!back")
    assert "Cancelled" in await dm(clashing, ANA, "!cancel")
    assert await saved(clashing) == []


async def test_no_at_the_confirmation_saves_nothing_and_keeps_the_answers(
    clashing: Chat,
) -> None:
    await dm(clashing, ANA, "!feedback daily day=1")
    await dm(clashing, ANA, "3")
    await dm(clashing, ANA, "2")
    reply = await dm(clashing, ANA, "No")
    assert reply.startswith("Nothing was saved yet; your answers are kept.")
    assert "- Which words?: no" in reply and "`back`" in reply and "`cancel`" in reply
    assert await saved(clashing) == []
    reply = await dm(clashing, ANA, "nope, not sure")
    assert reply.startswith("⚠️ I did not understand `nope, not sure`; nothing was saved yet.")
    reply = await dm(clashing, ANA, "back")
    assert "Which words?" in reply and "Your answer was: no (a new answer" in reply
    await dm(clashing, ANA, "1")
    assert "saved" in await dm(clashing, ANA, "Yes!")
    assert await saved(clashing) == [{"move": "skip", "words": ["yes"]}]


async def test_back_shows_the_persons_own_words_escaped(chat: Chat) -> None:
    await workshop(chat)
    await dm(chat, ANA, "!feedback final")
    await dm(chat, ANA, "9")
    await dm(chat, ANA, "1")
    mine = "**the** <b>pairs</b> `x`"
    await dm(chat, ANA, mine)
    reply = await dm(chat, ANA, "back")
    assert f"Your answer was: {escape(mine)} (a new answer replaces it)." in reply
    assert mine not in reply and f"Your answer was: {mine} (a new" in plain_text(reply)
    assert "What was most useful?" in reply


async def test_would_you_host_again_is_answered_yes(chat: Chat) -> None:
    await workshop(chat)
    await chat.say(HOST, '!room add name="Pune lab" org="Uni" mode=in-person city=Pune '
                   "country=IN lang=en capacity=5 days=1-2 public=yes")
    await dm(chat, HOST, "feedback debrief")
    for answer in ("4", "5", "the room", "nothing"):
        await dm(chat, HOST, answer)
    reply = await dm(chat, HOST, "yes")
    assert "- Would you host again?: yes" in reply and "Save them?" in reply
    assert await saved(chat) == []
    assert "saved" in await dm(chat, HOST, "yes")
    assert (await saved(chat))[0]["again"] == "yes"


async def test_an_answer_starting_with_the_prefix_is_not_met_with_silence(chat: Chat) -> None:
    """`!!! loved it` in a form reaches the conversation (the router decides what it is)."""
    await workshop(chat)
    await dm(chat, ANA, "!feedback final")
    assert await dm(chat, ANA, "!!! loved it")
