"""`!feedback` alone: what the person is answering, what waits after it, and which
forms are open to answer now, with when each closes in their zone."""

from __future__ import annotations

from bot.commands.context import Context
from bot.conversations import store
from bot.db.models import Workshop
from bot.forms.definitions import Audience
from bot.services import feedback, windows
from bot.services.roles import Role
from bot.text import code, when


async def text(ctx: Context, workshop: Workshop) -> str:
    lines: list[str] = []
    if ctx.person is not None:
        active = await store.active_of(ctx.session, ctx.person)
        if active is not None:
            lines.append(f"You are answering {store.called(ctx.kinds, store.subject_of(active))}.")
        waiting = await store.waiting_of(ctx.session, ctx.person)
        lines += [f"Waiting {n}: {store.called(ctx.kinds, store.subject_of(row))}."
                  for n, row in enumerate(waiting, start=1)]
    if not lines:
        lines.append("You are not answering a form.")
    now = ctx.now()
    started = [d.number for d in workshop.days if d.starts_at <= now]
    opened: list[str] = []
    for form in feedback.forms(ctx.settings).values():
        if form.audience is Audience.STAFF and ctx.role < Role.LEAD:
            continue
        days = started if form.each_day else [None]
        for day in days:
            closes = windows.closes_at(ctx.settings.feedback, workshop, day)
            if now < closes:
                typed = f"{ctx.prefix}feedback {form.name}" + (f" day={day}" if day else "")
                opened.append(f"- {code(typed)}: until {when(closes, ctx.zone)}")
    if opened:
        lines += ["Open to answer:", *opened]
    return ctx.showing_times("\n".join(lines))
