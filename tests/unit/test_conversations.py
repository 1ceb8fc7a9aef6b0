"""Conversations as a mechanism: a kind declared by a test works end to end, queue
included; a person's prompts queue and never collide; kinds as pure steps."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.commands import feedback_form, forget_me
from bot.commands.context import Context
from bot.commands.framework import CommandSet
from bot.commands.registry import build_kinds, build_registry
from bot.config import Settings
from bot.config_sections import ConversationSettings
from bot.conversations import store
from bot.conversations.kinds import Kind, KindSet, Scene, State, Step, Subject
from bot.db.models import Conversation, Person
from bot.services import people
from tests.chat import Chat
from tests.unit.test_feedback_forms import ANA, dm, responses, workshop

__all__ = ["workshop"]  # the fixture, imported to be used here

# --- A new kind is one declaration in one file: favourite colour, two questions. ---
COLOUR = "colour"
QUESTIONS = ("What is your favourite colour?", "Why that one?")
colours = KindSet()
extra = CommandSet()


async def _colour_answer(_scene: Scene, state: State, text: str) -> Step:
    given = [*state["given"], text.strip()]
    if len(given) == len(QUESTIONS):
        return Step(f"Noted: {given[0]}, because {given[1]}.", None, ended=True)
    return Step(QUESTIONS[len(given)], {"given": given})


async def _colour_start(_scene: Scene) -> tuple[State, str]:
    return {"given": []}, f"A question about colours.\n{QUESTIONS[0]}"


async def _an_hour(scene: Scene) -> datetime:
    return scene.started_at + timedelta(hours=1)


colours.add(Kind(
    name=COLOUR, called=lambda _s: "the colour question",
    question=lambda _settings, _s, state: QUESTIONS[len(state["given"])],
    help=lambda _settings, _s: "Say a colour, then why.", start=_colour_start,
    answer=_colour_answer, closes_at=_an_hour,
    expired=lambda _scene, _at: "was open for an hour only.",
))


@extra.command("colour", help="Tell the bot your favourite colour.", example="!colour")
async def colour(ctx: Context) -> str:
    return await store.push(ctx.session, ctx.settings, ctx.kinds, await ctx.me(),
                            Subject(COLOUR), ctx.now())


def mount(chat: Chat) -> None:
    chat.app.dispatcher.registry = build_registry(extra)
    chat.app.dispatcher.kinds = build_kinds(colours)


async def ana_in(session: AsyncSession) -> Person:
    found = await people.find(session, "test", ANA)
    assert found is not None
    return found


async def queue(chat: Chat) -> list[tuple[int, str, str | None, int]]:
    async with chat.app.sessions() as session:
        return [tuple(row) for row in await session.execute(  # type: ignore[misc]
            select(Conversation.position, Conversation.kind, Conversation.topic,
                   Conversation.day).order_by(Conversation.position))]


async def test_a_kind_declared_by_a_test_runs_through_the_dispatcher(workshop: Chat) -> None:
    chat = workshop
    mount(chat)
    assert "What is your favourite colour?" in await dm(chat, ANA, "!colour")
    # "help" is the kind's; an unknown command word is an answer, like any text.
    assert "Say a colour" in await dm(chat, ANA, "help")
    assert "Why that one?" in await dm(chat, ANA, "!teal")
    # A form asked for by command goes on top; the colour question keeps its answer.
    reply = await dm(chat, ANA, "!feedback daily day=1")
    assert reply.startswith("The colour question keeps your answers and waits")
    assert "question 1 of 4" in reply
    assert await queue(chat) == [(0, "form", "daily", 1), (1, COLOUR, None, 0)]
    for text in ("2", "pairing", "breaks", "skip"):
        await dm(chat, ANA, text)
    saved = await dm(chat, ANA, "yes")
    assert "saved" in saved and "Back to the colour question, where you were:\nWhy that one?" \
        in saved
    assert await dm(chat, ANA, "it is calm") == "Noted: !teal, because it is calm."
    assert await queue(chat) == []
    assert len(await responses(chat)) == 1


async def test_starting_a_form_while_one_is_active_loses_nothing(workshop: Chat) -> None:
    chat = workshop
    await dm(chat, ANA, "feedback daily day=1")
    await dm(chat, ANA, "1")  # day 1: question 1 answered
    reply = await dm(chat, ANA, "!feedback daily day=2")
    assert "The `daily` form about day 1 keeps your answers and waits" in reply
    assert "Here is the `daily` form about day 2" in reply
    for text in ("3", "day two good", "day two better", "skip"):
        await dm(chat, ANA, text)
    back = await dm(chat, ANA, "yes")
    assert "Back to the `daily` form about day 1, where you were:" in back
    assert "question 2 of 4" in back
    # Asking for the waiting one again brings it back where it was, not afresh.
    await dm(chat, ANA, "!feedback daily day=2")
    again = await dm(chat, ANA, "!feedback daily day=1")
    assert "Back to the `daily` form about day 1, where you were:" in again
    assert "question 2 of 4" in again
    for text in ("day one good", "day one better", "skip"):
        await dm(chat, ANA, text)
    assert "Back to the `daily` form about day 2, where you were:" in await dm(chat, ANA, "yes")
    assert "Cancelled" in await dm(chat, ANA, "cancel")
    assert await queue(chat) == []
    saved = {r.day: json.loads(r.answers) for r in await responses(chat)}
    assert saved[1] == {"today": ["too fast"], "good": "day one good",
                        "improve": "day one better", "other": None}
    assert saved[2]["good"] == "day two good"


async def test_the_forget_me_confirmation_expires_and_the_form_comes_back(
    workshop: Chat,
) -> None:
    chat = workshop
    await dm(chat, ANA, "feedback daily day=1")
    await dm(chat, ANA, "1")
    reply = await dm(chat, ANA, "!forget-me")
    assert "keeps your answers and waits" in reply and "Type `yes` to forget you" in reply
    # No command runs inside the confirmation.
    assert "finish or cancel first" not in (blocked := await dm(chat, ANA, "!rooms"))
    assert "You are in the middle of confirming forget-me" in blocked
    chat.clock.advance(timedelta(minutes=10))
    reply = await dm(chat, ANA, "yes")
    assert reply.startswith("Confirming forget-me was not answered within 10 min")
    assert "Your message was not used." in reply
    assert "Back to the `daily` form about day 1, where you were:" in reply
    assert "question 2 of 4" in reply
    assert [kind for _, kind, *_ in await queue(chat)] == ["form"]


async def test_a_minute_before_the_confirmation_ends_yes_still_forgets(workshop: Chat) -> None:
    chat = workshop
    await dm(chat, ANA, "!forget-me")
    chat.clock.advance(timedelta(minutes=9, seconds=59))
    assert "no longer has your user id" in await dm(chat, ANA, "yes")
    assert await queue(chat) == []


# --- Kinds as pure steps: state + text -> state + what to say. ---
def scene(subject: Subject, settings: Settings | None = None) -> Scene:
    now = datetime(2026, 3, 17, 14, tzinfo=UTC)
    return Scene(cast(Any, None), settings or Settings(), now, cast(Any, None), subject, now)


async def test_the_form_kind_steps_without_a_database() -> None:
    daily = Subject(feedback_form.FORM, "daily", None, 2, None)  # no workshop: no query
    kind = feedback_form.KIND
    state, first = await kind.start(scene(daily))
    assert first.startswith("Here is the `daily` form about day 2, one question at a time.")
    assert kind.called(daily) == "the `daily` form about day 2"
    assert "question 1 of 4" in kind.question(Settings(), daily, state)
    step = await kind.answer(scene(daily), state, "1, 3")
    assert not step.ended and step.state == {"step": 1, "answers": {
        "today": ["too fast", "right speed"]}}
    assert "question 2 of 4" in step.text
    wrong = await kind.answer(scene(daily), step.state, "")
    assert wrong.state == step.state and "empty answer" in wrong.text
    cancelled = await kind.answer(scene(daily), step.state, "cancel")
    assert cancelled.ended and cancelled.state is None
    assert kind.called(Subject(feedback_form.FORM, "final")) == "the `final` form"


async def test_the_forget_me_kind_keeps_everything_unless_yes() -> None:
    kind = forget_me.KIND
    subject = Subject(kind.name)
    settings = Settings(conversations=ConversationSettings(confirm_minutes=3))
    for text in ("no", "yes please", "!cancel", "cancel"):
        step = await kind.answer(scene(subject), {}, text)
        assert step.ended and not step.gone and "Nothing was removed" in step.text, text
    closes = await kind.closes_at(scene(subject, settings))
    assert closes == datetime(2026, 3, 17, 14, 3, tzinfo=UTC)
    assert not kind.commands_inside


async def test_feedback_alone_shows_what_is_answered_what_waits_and_what_is_open(
    workshop: Chat,
) -> None:
    chat = workshop
    await chat.say(ANA, "!tz Asia/Kolkata")
    chat.clock.set(datetime(2026, 3, 18, 15, tzinfo=UTC))  # day 2 is over
    await dm(chat, ANA, "feedback final")
    await dm(chat, ANA, "!feedback daily day=2")
    reply = await dm(chat, ANA, "!feedback")
    lines = reply.splitlines()
    assert lines[:3] == ["You are answering the `daily` form about day 2.",
                         "Waiting 1: the `final` form.", "Open to answer:"]
    # In her zone (UTC+05:30): day 1's window closes 36 h after 15:00 Oslo time.
    assert "- `!feedback daily day=1`: until Thu 19 Mar 07:30 IST (UTC+05:30)" in lines
    assert "- `!feedback daily day=2`: until Fri 20 Mar 07:30 IST (UTC+05:30)" in lines
    assert lines[-1] == "(Still open: the `daily` form about day 2; type your answer here, " \
        "or `cancel`.)"
    assert "- `!feedback debrief`" not in reply  # for leads and hosts


async def test_a_form_whose_window_closed_while_waiting_is_dropped_in_one_line(
    workshop: Chat,
) -> None:
    chat = workshop
    chat.clock.set(datetime(2026, 3, 17, 15, tzinfo=UTC))  # day 1 is over
    await dm(chat, ANA, "feedback daily")  # today: day 1
    await dm(chat, ANA, "!feedback final")  # on top; day 1's waits
    chat.clock.set(datetime(2026, 3, 19, 2, tzinfo=UTC))  # day 1's window: 36 h, closed
    reply = await dm(chat, ANA, "cancel")
    assert reply.splitlines() == [
        "Cancelled: nothing of the final form was saved.", "",
        "The `daily` form about day 1 was waiting, but it could be answered until "
        "Thu 19 Mar 02:00 UTC; its window has closed, so nothing of it was saved and the "
        "form has ended."]
    assert await queue(chat) == []


async def test_a_reminder_for_the_form_that_just_started_asks_its_question_once(
    workshop: Chat,
) -> None:
    """The closing reminder of a waiting form comes after the form ahead of it closed:
    ending that one starts the waiting one, whose question is then said once, not a
    second time as "you have already started it"."""
    chat = workshop
    chat.clock.set(datetime(2026, 3, 18, 15, tzinfo=UTC))  # day 2, the last, is over
    await dm(chat, ANA, "feedback daily day=2")
    final = Subject(feedback_form.FORM, "final", workshop_id=1)
    settings, kinds = chat.app.settings, chat.app.dispatcher.kinds
    async with chat.app.sessions() as session, session.begin():
        said = await store.offer(session, settings, kinds, await ana_in(session), final,
                                 chat.clock.now())
    assert said == ("The `final` form waits: it starts here when you finish or cancel the "
                    "`daily` form about day 2.")
    chat.clock.set(datetime(2026, 3, 20, 3, tzinfo=UTC))  # day 2's window closed at 02:00
    async with chat.app.sessions() as session, session.begin():
        said = await store.offer(session, settings, kinds, await ana_in(session), final,
                                 chat.clock.now())
    assert said.count("How likely are you to recommend this workshop") == 1
    assert "already started" not in said
    assert said.startswith("The `daily` form about day 2 could be answered until")
    assert await queue(chat) == [(0, feedback_form.FORM, "final", 0)]
