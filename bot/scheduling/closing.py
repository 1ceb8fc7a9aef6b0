"""The reminder before a form's window closes, at delivery: sent only when still needed.

It is planned for everyone the form is for (bot/scheduling/planner.py), since
the plan cannot know who will have answered by then. When it falls due, it is
not needed by a person who already saved that form (a response under their
pseudonym for that workshop, form and day), nor by one who was never asked it
(they joined after the reminder that asks it was due, so it was never planned
for them; one that went out or was missed while the bot was down counts as
asked: this is then their one chance), nor by anyone once the window has
closed (found late): the delivery then marks it `skipped` and sends nothing.
Otherwise it is written like every reminder that asks a form, through
bot/scheduling/asking.py.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.db.models import FeedbackResponse, Person, Reminder, ReminderStatus, Workshop
from bot.scheduling import planner
from bot.services import feedback, windows

# Each closing kind -> the kind of the reminder that asks its form.
ASKED_BY = {closing: asking for asking, closing in planner.CLOSING_OF.items()}
KINDS = frozenset(ASKED_BY)
# An asking reminder in these states asked the person (or would have: missed).
ASKED = (ReminderStatus.SENT, ReminderStatus.MISSED)


async def not_needed(
    session: AsyncSession, settings: Settings, reminder: Reminder, person: Person,
    now: datetime,
) -> bool:
    """Whether `reminder` is one before a window closes that has nothing left to ask."""
    if reminder.kind not in KINDS:
        return False
    form = planner.FORM_OF[reminder.kind]
    day = planner.asked_day(reminder.kind, reminder.dedupe_key)
    workshop = await session.get(Workshop, reminder.workshop_id)
    if workshop is None or not windows.is_open(settings.feedback, workshop, day, now):
        return True
    kind = reminder.kind
    asked_key = reminder.dedupe_key.replace(f":{kind}:", f":{ASKED_BY[kind]}:", 1)
    asked = await session.scalar(
        select(Reminder.id).where(Reminder.dedupe_key == asked_key, Reminder.status.in_(ASKED)))
    if asked is None:
        return True
    key = await feedback.feedback_key(session, settings)
    saved = await session.scalar(
        select(FeedbackResponse.id).where(
            FeedbackResponse.respondent == feedback.pseudonym(key, person),
            FeedbackResponse.workshop_id == reminder.workshop_id,
            FeedbackResponse.form == form,
            FeedbackResponse.day == (day or 0),
        ).limit(1)
    )
    return saved is not None
