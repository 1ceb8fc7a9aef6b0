"""Deliveries for organizers: what the bot could not say, and why."""

from __future__ import annotations

from sqlalchemy import func, select

from bot.commands.context import Context
from bot.commands.framework import CommandSet
from bot.db.models import DeliveryStatus, OutboxMessage
from bot.outbox import rows
from bot.render import plain_text
from bot.services.roles import Role
from bot.text import clip, code, escape, when

commands = CommandSet()

SHOWN = 10


@commands.command(
    "deliveries",
    help="Messages I could not deliver (a person blocked me, a room is gone), newest first, "
    "with the reason and the reference, and how many are still waiting to go out.",
    example="!deliveries",
    role=Role.ORGANIZER,
    read_only=True,
)
async def deliveries(ctx: Context) -> str:
    total, failed = await rows.failed(ctx.session, SHOWN)
    waiting = await ctx.session.scalar(
        select(func.count()).where(OutboxMessage.status == DeliveryStatus.PENDING)
    )
    queue = f"{waiting} waiting to go out." if waiting else "Nothing is waiting to go out."
    if total == 0:
        return f"Every message was delivered. {queue}"
    shown = f" (the latest {len(failed)})" if total > len(failed) else ""
    noun = "delivery" if total == 1 else "deliveries"
    lines = [f"**{total} failed {noun}**{shown}. {queue}"]
    for row in failed:
        target = row.person or row.room or "?"
        # What a direct chat was told is not kept (bot/outbox/marks.py).
        told = "a direct message" if row.direct else f"“{escape(clip(said(row.text), 60))}”"
        lines.append(
            f"- {when(row.created_at, ctx.zone)} to {escape(target)}: "
            f"{escape(clip(row.error or 'no reason recorded', 160))} "
            f"(ref {code(row.reference)}): {told}"
        )
    return "\n".join(lines)


def said(markdown: str) -> str:
    """What the message said as people read it, on one line: its Markdown holds user
    text escaped once already, and quoting the source would show the escapes."""
    return " ".join(plain_text(markdown).split())
