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
from bot.services import people, seats
from bot.text import code, default_zone_note, escape, link, when

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
    planner.ATTENDANCE: "at the end of the day, asking how many learners came",
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
    zone = people.zone_of(person, settings.bot.default_timezone)
    days = day_lines(room, zone, "- ")
    lines = [text, *(["Its days, in your zone:", *days] if days else [])]
    lines += reminder_line(person, await planned_next(session, settings, room, person, now),
                           zone, prefix)
    # A learner seated after the day-before reminder was due never gets that one.
    if room.workshop.setup_url and result.position is None:
        lines.append(f"Please install the software before the first day: "
                     f"{link(room.workshop.setup_url)}")
    if person.timezone is None:
        lines.append(default_zone_note(zone, prefix))
    return Reply(
        "\n".join(lines),
        notices=tuple(notice_promoted(result.promoted_elsewhere, result.moved_from, prefix))
        if result.moved_from
        else (),
    )


async def planned_next(
    session: AsyncSession, settings: Settings, room: LocalRoom, person: Person, now: datetime
) -> tuple[str, datetime] | None:
    """The person's next reminder in the room's workshop, as the plan has it now.

    The dispatcher writes the plan to the reminder table after the command, in its
    transaction; writing it here already would make that re-plan one of everything
    (a statement on the reminder table is not narrowed, bot/scheduling/touched.py).
    The first planned after `now` is the first pending row once written: a planned
    reminder already due is never created, and a cancelled one planned again is
    pending again (bot/scheduling/reminders.py, `reconcile`).
    """
    if not settings.reminders.enabled or not person.reminders:
        return None
    facts = await reminders.facts(
        session, room.workshop, settings.bot.default_timezone, {person.id})
    planned = planner.plan(facts, reminders.offsets_of(settings.reminders, settings.feedback),
                           settings.bot.prefix, reminders.forms_in_use(settings))
    ahead = [(p.due_at, p.kind) for p in planned if p.person_id == person.id and p.due_at > now]
    if not ahead:
        return None
    due_at, kind = min(ahead)
    return kind, due_at


async def pending_next(
    session: AsyncSession, workshop_id: int, person: Person
) -> tuple[str, datetime] | None:
    """The person's next reminder in the workshop, from the reminder table."""
    found = (await session.execute(
        select(Reminder.kind, Reminder.due_at)
        .where(Reminder.workshop_id == workshop_id, Reminder.person_id == person.id,
               Reminder.status == ReminderStatus.PENDING)
        .order_by(Reminder.due_at, Reminder.id)
        .limit(1)
    )).first()
    return None if found is None else (found[0], found[1])


def reminder_line(
    person: Person, found: tuple[str, datetime] | None, zone: ZoneInfo, prefix: str
) -> list[str]:
    """`Next reminder: <when>, <what>.`, or that the person turned them off."""
    if not person.reminders:
        return [f"Your reminders are off ({code(prefix + 'reminders on')} turns them on)."]
    if found is None:
        return []
    kind, due_at = found
    return [f"Next reminder: {when(due_at, zone)}, {NEXT.get(kind, 'about the workshop')}."]
