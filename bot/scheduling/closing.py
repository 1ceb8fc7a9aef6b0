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

from collections.abc import Sequence
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


def _asked_key(reminder: Reminder) -> str:
    """The dedupe key of the reminder that asked the form (`w1:daily-closing:2:7` ->
    `w1:day-end:2:7`)."""
    kind = reminder.kind
    return reminder.dedupe_key.replace(f":{kind}:", f":{ASKED_BY[kind]}:", 1)


async def not_needed(
    session: AsyncSession, settings: Settings, found: Sequence[tuple[Reminder, Person]],
    now: datetime,
) -> set[int]:
    """The ids of the reminders of `found` (a batch of due ones) that are before a window
    closes and have nothing left to ask; three queries for the whole batch.

    An asking reminder that is not cancelled asked (sent, missed, or pending and so
    delivered in this run, perhaps later in the same batch).
    """
    closing = [(reminder, person) for reminder, person in found if reminder.kind in KINDS]
    if not closing:
        return set()
    workshops = {w.id: w for w in await session.scalars(
        select(Workshop).where(Workshop.id.in_({r.workshop_id for r, _ in closing})))}
    asked = set(await session.scalars(select(Reminder.dedupe_key).where(
        Reminder.dedupe_key.in_([_asked_key(r) for r, _ in closing]),
        Reminder.status != ReminderStatus.CANCELLED)))
    key = await feedback.feedback_key(session, settings)
    names = {person.id: feedback.pseudonym(key, person) for _, person in closing}
    saved = set((await session.execute(
        select(FeedbackResponse.respondent, FeedbackResponse.workshop_id,
               FeedbackResponse.form, FeedbackResponse.day)
        .where(FeedbackResponse.respondent.in_(set(names.values())))
    )).all())
    skipped: set[int] = set()
    for reminder, person in closing:
        form = planner.FORM_OF[reminder.kind]
        day = planner.asked_day(reminder.kind, reminder.dedupe_key)
        workshop = workshops.get(reminder.workshop_id)
        if (
            workshop is None
            or not windows.is_open(settings.feedback, workshop, day, now)
            or _asked_key(reminder) not in asked
            or (names[person.id], reminder.workshop_id, form, day or 0) in saved
        ):
            skipped.add(reminder.id)
    return skipped
