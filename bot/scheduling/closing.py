"""The reminder before a form's window closes, at delivery: sent only when still needed.

It is planned for everyone asked the form (bot/scheduling/planner.py), since
the plan cannot know who will have answered by then. When it falls due, a
person who already saved that form (a response under their pseudonym for that
workshop, form and day) needs no reminder, and neither does anyone once the
window has closed (a reminder delivered late): the delivery then marks it
`skipped` and sends nothing. Otherwise it is written like every reminder that
asks a form, through bot/scheduling/asking.py.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.db.models import FeedbackResponse, Person, Reminder, Workshop
from bot.scheduling import planner
from bot.services import feedback, windows

KINDS = frozenset(planner.CLOSING_OF.values())


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
