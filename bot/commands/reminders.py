"""Reminders: `!reminders on|off` for everyone; `pending` and `missed` for organizers."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime
from typing import Literal

from sqlalchemy import select

from bot.commands.context import Context
from bot.commands.framework import CommandSet
from bot.db.models import Person, Reminder, ReminderStatus
from bot.services import people
from bot.services.roles import Role
from bot.text import code, escape, when

commands = CommandSet()

KIND_LABELS = {
    "onboarding": "onboarding session reminders",
    "pick-session": '"pick an onboarding session"',
    "learner-day-before": "learners, the day before",
    "day-start": "day starts, to team leads and hosts",
    "day-end": "day ends, the day's form to learners",
    "final": "after the last day, the final form to learners",
    "debrief": "after the last day, the debrief form to team leads and hosts",
    "daily-closing": "before a day's form closes, to learners who have not saved it",
    "final-closing": "before the final form closes, to learners who have not saved it",
    "debrief-closing": "before the debrief form closes, to leads and hosts who have not",
    "attendance": "day ends, how many learners came, to team leads and hosts",
}


@commands.command(
    "reminders",
    help="Turn your reminders on or off (they are on unless you turn them off).",
    example="!reminders off",
)
async def switch(ctx: Context, state: Literal["on", "off"] | None = None) -> str:
    if state is None:
        on = ctx.person is None or ctx.person.reminders
        return (
            f"Your reminders are {'on' if on else 'off'}. "
            f"Change with {code(ctx.prefix + ('reminders off' if on else 'reminders on'))}."
        )
    person = await people.ensure(ctx.session, ctx.message.network, ctx.sender, ctx.now())
    person.reminders = state == "on"
    await ctx.session.flush()
    if person.reminders:
        return "Your reminders are on: I will remind you of your sessions and workshop days."
    return "Your reminders are off; your pending ones are cancelled."


@commands.command(
    "reminders pending",
    help="What reminders go out when, to how many people, grouped by kind.",
    example="!reminders pending",
    role=Role.ORGANIZER,
    read_only=True,
)
async def pending(ctx: Context) -> str:
    found = (
        await ctx.session.execute(
            select(Reminder.kind, Reminder.due_at)
            .where(Reminder.status == ReminderStatus.PENDING)
            .order_by(Reminder.due_at)
        )
    ).all()
    if not found:
        return "No reminders are waiting to go out."
    groups: dict[str, Counter[datetime]] = defaultdict(Counter)
    for kind, due_at in found:
        groups[kind][due_at] += 1
    lines = [f"**{len(found)} pending reminders**"]
    for kind, times in groups.items():
        lines.append(f"{KIND_LABELS.get(kind, kind)}:")
        lines += [f"- {when(due, ctx.zone)}: {_people(count)}" for due, count in times.items()]
    return ctx.showing_times("\n".join(lines))


@commands.command(
    "reminders missed",
    help="Reminders that fell due while I was not running and were too late to send.",
    example="!reminders missed",
    role=Role.ORGANIZER,
    read_only=True,
)
async def missed(ctx: Context) -> str:
    found = (
        await ctx.session.execute(
            select(Reminder.kind, Reminder.due_at, Person.user_id, Person.display_name)
            .join(Person, Reminder.person_id == Person.id)
            .where(Reminder.status == ReminderStatus.MISSED)
            .order_by(Reminder.due_at, Reminder.id)
        )
    ).all()
    if not found:
        return "No reminders were missed."
    lines = [f"**{len(found)} missed reminders**"]
    lines += [
        f"- {when(due, ctx.zone)}, {KIND_LABELS.get(kind, kind)}: "
        f"{code(user)}{' (' + escape(name) + ')' if name else ''}"
        for kind, due, user, name in found
    ]
    return ctx.showing_times("\n".join(lines))


def _people(count: int) -> str:
    return f"{count} {'person' if count == 1 else 'people'}"
