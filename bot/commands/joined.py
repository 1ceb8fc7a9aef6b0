"""The answer to a join: the seat (or waitlist place), the room's days in the learner's
zone and which reminder comes next, for `!join` and for a confirmed seat elsewhere."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.commands.framework import Reply
from bot.commands.rooms import day_lines, notice_promoted
from bot.config import Settings
from bot.db.models import LocalRoom, Person, Reminder, ReminderStatus
from bot.scheduling import planner, reminders
from bot.scheduling.touched import Touched
from bot.services import people, seats
from bot.text import code, default_zone_note, escape, when

# What each reminder is, as its recipient reads "Next reminder: <when>, <what>."
NEXT = {
    planner.ONBOARDING: "before your onboarding session",
    planner.PICK_SESSION: "to pick an onboarding session",
    planner.LEARNER_DAY_BEFORE: "the day before the workshop starts",
    planner.DAY_START: "before the day starts",
    planner.DAY_END: "at the end of the day, with its feedback form",
    planner.FINAL: "after the last day, with the final form",
    planner.DEBRIEF: "after the last day, with the debrief form",
    planner.DAILY_CLOSING: "before the day's feedback form closes",
    planner.FINAL_CLOSING: "before the final form closes",
    planner.DEBRIEF_CLOSING: "before the debrief form closes",
}


async def joined(
    session: AsyncSession, settings: Settings, room: LocalRoom, person: Person, now: datetime
) -> Reply:
    """Seat (or wait-list) the person in the room, and say so with the room's days in
    their zone and their next reminder."""
    prefix = settings.bot.prefix
    result = await seats.join(session, room, person, now)
    label = f"{room.code} {escape(room.name)}"
    if result.position is not None:
        verb = "are" if result.already else "are now"
        text = (
            f"{label} is full, so you {verb} number {result.position} on its waitlist. "
            "I will tell you when a seat frees up."
        )
    elif result.already:
        text = f"You already have a seat in {label}."
    else:
        text = f"Welcome: you have a seat in {label}. {code(prefix + 'myroom')} shows the details."
    if result.moved_from is not None:
        text = (
            f"You left {result.moved_from.code} {escape(result.moved_from.name)} "
            f"(one room per workshop). " + text
        )
    # The reminders follow the seat in this transaction (the dispatcher re-plans the
    # room's people after the command); the asker's own are needed for this answer.
    await reminders.replan(session, settings, now, Touched(people={person.id}))
    zone = people.zone_of(person, settings.bot.default_timezone)
    lines = [text, "Its days, in your zone:", *day_lines(room, zone, "- ")]
    lines += await next_reminder(session, room.workshop_id, person, zone, prefix)
    if person.timezone is None:
        lines.append(default_zone_note(zone, prefix))
    return Reply(
        "\n".join(lines),
        notices=tuple(notice_promoted(result.promoted_elsewhere, result.moved_from, prefix))
        if result.moved_from
        else (),
    )


async def next_reminder(
    session: AsyncSession, workshop_id: int, person: Person, zone: ZoneInfo, prefix: str
) -> list[str]:
    """Which reminder the person gets next and when, from the reminder table."""
    if not person.reminders:
        return [f"Your reminders are off ({code(prefix + 'reminders on')} turns them on)."]
    found = (await session.execute(
        select(Reminder.kind, Reminder.due_at)
        .where(Reminder.workshop_id == workshop_id, Reminder.person_id == person.id,
               Reminder.status == ReminderStatus.PENDING)
        .order_by(Reminder.due_at, Reminder.id)
        .limit(1)
    )).first()
    if found is None:
        return []
    kind, due_at = found
    return [f"Next reminder: {when(due_at, zone)}, {NEXT.get(kind, 'about the workshop')}."]
