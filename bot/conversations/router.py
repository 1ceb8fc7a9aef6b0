"""The step ahead of the commands: a message in a direct chat goes to the person's
active conversation, whatever its kind.

In order: the conversation's expiry (its window closed: the person is told once,
their message not used, and the next waiting one starts); control words (`help`,
`cancel`, `back`, `skip`, yes-words, with or without the prefix) go to the kind;
a message that starts with the prefix and names a known command is that command
(a kind that lets commands through stays open and the answer says so in one
line; one that does not answers "finish or cancel first"); anything else,
`!!! loved it` included, is an answer to the kind. The row is locked and loaded
in the transaction that claimed the event, so two fast messages are answered one
after the other. Nothing here knows a kind by name.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.config import Settings
from bot.conversations import store
from bot.conversations.kinds import Kinds
from bot.messages import Incoming, Reply
from bot.services import people
from bot.services.errors import UserError
from bot.text import code


class Commands(Protocol):
    """The commands, as far as the router needs them: whether a text names one (the
    command registry, bot/commands/framework.py)."""

    def match(self, text: str) -> object | None: ...


# Words a conversation understands, typed with or without the prefix.
CONTROL = {"help", "cancel", "back", "skip", "yes", "y", "save", "ok"}


def word(text: str, prefix: str) -> str:
    """The first word typed, without the prefix, case-folded ("!Skip" -> "skip")."""
    text = text.strip()
    if text.startswith(prefix):
        text = text[len(prefix):]
    return (text.split() or [""])[0].casefold()


async def step(
    session: AsyncSession, settings: Settings, clock: Clock, message: Incoming, kinds: Kinds,
    registry: Commands, command: Callable[[], Awaitable[Reply]],
) -> tuple[Reply, bool]:
    """The answer to the message, and whether it ran as a command."""
    if not message.is_direct:
        return await command(), True
    person = await people.find(session, message.network, message.sender)
    row = None if person is None else await store.active_of(session, person, lock=True)
    if person is None or row is None:
        return await command(), True
    now = clock.now()
    prefix = settings.bot.prefix
    kind = kinds.get(row.kind)
    scene = store.scene_of(session, settings, now, person, row, message.room)
    why = await store.over(kind, scene)
    what = store.called(kinds, scene.subject)
    if why is not None or kind is None:
        after = await store.end(session, settings, kinds, person, row, now)
        text = f"{what[:1].upper()}{what[1:]} {why} Your message was not used."
        return Reply(text + (f"\n\n{after}" if after else "")), False
    typed = word(message.body, prefix)
    if typed == "help":
        return Reply(kind.help(settings, scene.subject) + "\n\n"
                     + kind.question(settings, scene.subject, store.state_of(row))), False
    body = message.body.lstrip()
    if typed not in CONTROL and body.startswith(prefix) and registry.match(
            body[len(prefix):].lstrip()) is not None:
        if not kind.commands_inside:
            question = kind.question(settings, scene.subject, store.state_of(row))
            return Reply(
                f"You are in the middle of {what}. Finish it, or type {code('cancel')} to "
                f"stop it; then {code(clip_command(body))} works again.\n\n{question}"), False
        still = f"\n\n(Still open: {what}; type your answer here, or {code('cancel')}.)"
        try:
            reply = await command()
        except UserError as refused:
            raise UserError(refused.message + still) from None
        current = await store.active_of(session, person)
        if current is not None and current.id == row.id:
            reply = replace(reply, text=reply.text + still)
        return reply, True
    done = await kind.answer(scene, store.state_of(row), message.body)
    reply = Reply(done.text, notices=done.notices, action=done.action)
    if done.gone:
        return reply, False
    if not done.ended:
        store.store_state(row, done.state, now)
        return reply, False
    after = await store.end(session, settings, kinds, person, row, now)
    return (replace(reply, text=f"{done.text}\n\n{after}") if after else reply), False


def clip_command(text: str) -> str:
    return text.strip().split(" ")[0][:40]
