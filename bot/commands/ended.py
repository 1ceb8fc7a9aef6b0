"""The organizers' reminder that the current workshop has ended: once each.

After the last day's end an organizer's next answer gets a line saying so and
how to choose the next workshop. That they were told is a fact of the bot's own
in `transport_state` (network `bot`), one per workshop and organizer, stored
with the answer (`Reply.remember`), so a restart does not tell them again.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace

from bot.commands.context import Context
from bot.db.state import value_of
from bot.messages import Reply
from bot.services import lifecycle
from bot.services.roles import Role
from bot.text import code

NETWORK = "bot"


def told_key(workshop_id: int, network: str, user_id: str) -> str:
    """The fact's key; a user id can be longer than a key may be, so it is hashed."""
    who = hashlib.sha256(f"{network}\n{user_id}".encode()).hexdigest()[:24]
    return f"ended-told:{workshop_id}:{who}"


async def with_ended_note(ctx: Context, result: str | Reply) -> Reply:
    """A handler's answer as a Reply, with the line about the ended current workshop
    when the asker is an organizer who was not told yet. Worked out after the command
    ran: one that made another workshop current gets no such line."""
    reply = result if isinstance(result, Reply) else Reply(result)
    if ctx.role < Role.ORGANIZER:
        return reply
    finished = await lifecycle.current_if_finished(ctx.session, ctx.now())
    if finished is None:
        return reply
    workshop_id, slug, last = finished
    key = told_key(workshop_id, ctx.message.network, ctx.sender)
    if await _was_told(ctx, key) or any(k == key for k, _ in reply.remember):
        return reply
    note = (
        f"Note: the current workshop {code(slug)} ended on {last:%a %d %b %Y}. Choose the "
        f"next with {code(ctx.prefix + 'workshop use SLUG')}, or create it with "
        f"{code(ctx.prefix + 'workshop add')} ({code(ctx.prefix + 'help workshop add')} "
        "shows how)."
    )
    return replace(reply, text=f"{reply.text}\n\n{note}",
                   remember=(*reply.remember, (key, ctx.now().isoformat())))


async def _was_told(ctx: Context, key: str) -> bool:
    return await value_of(ctx.session, NETWORK, key) is not None
