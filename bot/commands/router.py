"""Conversations before commands: the step ahead of the command registry.

In a direct chat, a person with a conversation in progress (a feedback form,
or confirming forget-me) has their message taken as the answer, so "3" or "too
fast" is an answer, not an unknown command. The conversation row is locked and
loaded in the transaction that claimed the event, so two fast messages are
answered one after the other, never both against the same state.
During a conversation `help` and `cancel` still work; other commands are
answered with how to finish or cancel first.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.commands.framework import Reply
from bot.commands.rooms import notice_promoted
from bot.config import Settings
from bot.db.models import Conversation, Person, Workshop
from bot.forms import engine
from bot.services import feedback, forget, people, windows
from bot.text import code, when
from bot.transport.base import FORGET_DIRECT, Incoming

# Words a conversation understands, typed with or without the prefix.
CONTROL = {"help", "cancel", "back", "skip", *engine.YES}


async def route(
    session: AsyncSession, settings: Settings, clock: Clock, message: Incoming
) -> Reply | None:
    """The answer when the message belongs to a conversation in progress, else None
    (the message is a command)."""
    if not message.is_direct:
        return None
    person = await people.find(session, message.network, message.sender)
    if person is None:
        return None
    row = await feedback.conversation_of(session, person, lock=True)
    if row is None:
        return None
    prefix = settings.bot.prefix
    text = message.body
    now = clock.now()
    idle = timedelta(minutes=settings.feedback.idle_minutes)
    if now - row.updated_at > idle:
        await session.delete(row)
        what = f"the {code(row.form)} form" if row.form else "what you had started"
        again = f" {code(prefix + 'feedback ' + row.form)} starts it again." if row.form else ""
        return Reply(
            f"Your conversation about {what} expired after {_duration(idle)} without an answer, "
            f"so nothing of it was saved.{again} Your message was not used; send it again "
            "if it was a command."
        )
    if row.kind != forget.KIND and row.form not in feedback.forms(settings):
        await session.delete(row)  # the form was taken out of the configuration
        return Reply(f"The {code(row.form or '')} form you were answering no longer exists, "
                     "so nothing of it was saved. Your message was not used.")
    typed = engine.word(text, prefix)
    if text.lstrip().startswith(prefix) and typed.split(" ")[0] not in CONTROL:
        return Reply(
            f"You are in the middle of {_what(row)}. Finish it, or type {code('cancel')} "
            f"to stop it; then {code(clip_command(text))} works again.\n\n"
            + _question(settings, row)
        )
    if typed == "help":
        return Reply(_help(row) + "\n\n" + _question(settings, row))
    if row.kind == forget.KIND:
        return await _forget(session, settings, person, row, typed, message.room)
    return await _answer(session, settings, person, row, text, now)


async def _answer(
    session: AsyncSession,
    settings: Settings,
    person: Person,
    row: Conversation,
    text: str,
    now: datetime,
) -> Reply:
    form = feedback.form_named(settings, row.form or "")
    workshop = await session.get(Workshop, row.workshop_id) if row.workshop_id else None
    if workshop is not None:
        closes = windows.closes_at(settings.feedback, workshop, row.day)
        if now >= closes:  # a group of responses, once closed, never changes
            await session.delete(row)
            zone = people.zone_of(person, settings.bot.default_timezone)
            return Reply(
                f"The {code(form.name)} form could be answered until {when(closes, zone)}; "
                "its window has closed, so nothing of it was saved and the form has ended. "
                "Your message was not used."
            )
    outcome = engine.answer(form, feedback.state_of(row), text, settings.bot.prefix)
    if outcome.saved is not None:
        await feedback.save(session, settings, person, row, outcome.saved, now)
    if outcome.state is None:
        await session.delete(row)
    else:
        feedback.store_state(row, outcome.state, now)
    return Reply(outcome.text)


async def _forget(
    session: AsyncSession, settings: Settings, person: Person, row: Conversation, typed: str,
    chat: str,
) -> Reply:
    """The answer to the forget-me question: `yes` forgets, anything else keeps. Once
    the answer is out, the transport forgets the person's direct chats (`chat` too)."""
    if typed != "yes":
        await session.delete(row)
        return Reply("Nothing was removed; the bot still knows you.")
    key = await feedback.feedback_key(session, settings)
    moved = await forget.forget(session, key, person, direct_rooms=(chat,))
    prefix = settings.bot.prefix
    return Reply(
        "Done: the bot no longer has your user id or anything about you. If you write "
        f"again, you start afresh (e.g. {code(prefix + 'help')}).",
        notices=tuple(n for room, up in moved for n in notice_promoted(up, room, prefix)),
        action=FORGET_DIRECT,
    )


def _what(row: Conversation) -> str:
    return f"the {code(row.form)} form" if row.form else "confirming forget-me"


def _help(row: Conversation) -> str:
    if row.kind == forget.KIND:
        return f"Type {code('yes')} to forget you, anything else keeps everything."
    return (
        f"You are answering the {code(row.form or '')} form in this chat, one question at a "
        f"time. Type your answer; {code('skip')} skips an optional question, {code('back')} "
        f"goes to the previous one, {code('cancel')} stops without saving. Commands work "
        "again when the form is done or cancelled."
    )


def _question(settings: Settings, row: Conversation) -> str:
    if row.kind == forget.KIND:
        return forget.QUESTION
    form = feedback.form_named(settings, row.form or "")
    return engine.ask(form, feedback.state_of(row), settings.bot.prefix)


def clip_command(text: str) -> str:
    return text.strip().split(" ")[0][:40]


def _duration(idle: timedelta) -> str:
    minutes = int(idle.total_seconds() // 60)
    hours, rest = divmod(minutes, 60)
    if hours and rest:
        return f"{hours} h {rest} min"
    return f"{hours} h" if hours else f"{rest} min"
