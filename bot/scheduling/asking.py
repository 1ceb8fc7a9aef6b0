"""Reminders that ask: the end-of-day, final and debrief reminders start a form.

`text_of` is called by the delivery (bot/scheduling/delivery.py) in the
transaction that marks the reminder sent and writes its outbox row, so the
form's conversation row and the message carrying its first question are
committed together or not at all. A person already answering a form (or
confirming forget-me) is not interrupted: the reminder says which command
starts the new form when they are done (or, when it is this very form, started
by hand, repeats the question they are at). With feedback switched off, or the
form taken out of the configuration since it was planned, the reminder's own
text is all that is sent.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.db.models import Person, Reminder, Workshop
from bot.forms import engine
from bot.scheduling import planner
from bot.services import feedback, windows
from bot.text import code


async def text_of(
    session: AsyncSession, settings: Settings, reminder: Reminder, person: Person,
    now: datetime, note: str = "",
) -> str:
    """What the reminder says; for a reminder that asks, the form is started here."""
    text = reminder.text + note
    form = planner.FORM_OF.get(reminder.kind)
    if form is None or not settings.feedback.enabled or form not in feedback.forms(settings):
        return text
    day = planner.day_of(reminder.dedupe_key) if reminder.kind == planner.DAY_END else None
    busy = await feedback.conversation_of(session, person)
    idle = timedelta(minutes=settings.feedback.idle_minutes)
    if busy is not None and now - busy.updated_at <= idle:
        if (busy.form, busy.workshop_id, busy.day) == (form, reminder.workshop_id, day or 0):
            question = engine.ask(feedback.form_named(settings, form), feedback.state_of(busy),
                                  settings.bot.prefix)
            return f"{text}\nYou have already started this form; here is where you are:\n{question}"
        what = f"the {code(busy.form)} form" if busy.form else "confirming forget-me"
        command = settings.bot.prefix + "feedback " + form + (f" day={day}" if day else "")
        return (
            f"{text}\nYou are in the middle of {what}, so this one waits: when you are done, "
            f"{code(command)} starts it."
        )
    workshop = await session.get(Workshop, reminder.workshop_id)
    if workshop is None:  # pragma: no cover - the reminder is deleted with its workshop
        return text
    if not windows.is_open(settings.feedback, workshop, day, now):
        return text  # delivered after the form's window: nothing to answer any more
    first = await feedback.start_form(session, settings, person, workshop, form, day, now)
    return f"{text}\n\n{first}"
