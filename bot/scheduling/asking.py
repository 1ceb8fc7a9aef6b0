"""Reminders that ask: the end-of-day, final and debrief reminders offer a form; the
end-of-day reminder to a room's hosts and team leads asks its attendance.

`Asker.text_of` is called by the delivery (bot/scheduling/delivery.py) in the
transaction that marks the reminder sent and writes its outbox row, so the
form's conversation row and the message carrying its first question are
committed together or not at all. A person in the middle of another
conversation is not interrupted: the form waits in their queue and starts when
the current one ends (bot/conversations/store.py). With feedback switched off,
the form taken out of the configuration since it was planned, or its window
closed, the reminder's own text is all that is sent. The attendance question is
not asked when the room's count for that day is reported already (the reminder
says what it is), the room was withdrawn, or the day's window has closed.

The conversation kinds, and what a form conversation is about, are the
commands' to declare: the app hands them in (`Asker`), so scheduling needs no
command module.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.conversations import store
from bot.conversations.kinds import Kinds, Subject
from bot.db.models import LocalRoom, Person, Reminder, RoomStatus, Workshop
from bot.scheduling import planner
from bot.services import attendance, feedback, windows
from bot.text import code

# What a form conversation offered to a person is about: (session, settings,
# person, workshop, form name, day, now) -> its subject.
FormSubject = Callable[
    [AsyncSession, Settings, Person, Workshop, str, int | None, datetime], Awaitable[Subject]
]


@dataclass(frozen=True)
class Asker:
    """How a reminder that asks offers its form: through these conversation kinds, as
    a conversation about what `subject` says."""

    kinds: Kinds
    subject: FormSubject

    async def text_of(
        self, session: AsyncSession, settings: Settings, reminder: Reminder, person: Person,
        now: datetime, note: str = "",
    ) -> str:
        """What the reminder says; for a reminder that asks, the form is offered here."""
        text = reminder.text + note
        if reminder.kind == planner.ATTENDANCE:
            return await self._attendance(session, settings, reminder, person, now, text)
        form = planner.FORM_OF.get(reminder.kind)
        if form is None or not settings.feedback.enabled or form not in feedback.forms(settings):
            return text
        day = planner.asked_day(reminder.kind, reminder.dedupe_key)
        workshop = await session.get(Workshop, reminder.workshop_id)
        if workshop is None:  # pragma: no cover - the reminder is deleted with its workshop
            return text
        if not windows.is_open(settings.feedback, workshop, day, now):
            return text  # delivered after the form's window: nothing to answer any more
        about = await self.subject(session, settings, person, workshop, form, day, now)
        said = await store.offer(session, settings, self.kinds, person, about, now)
        return f"{text}\n\n{said}"

    async def _attendance(
        self, session: AsyncSession, settings: Settings, reminder: Reminder, person: Person,
        now: datetime, text: str,
    ) -> str:
        """The day-end question about the room's attendance, as a conversation about that
        day: answered after midnight, it still counts for the day asked."""
        day = planner.day_of(reminder.dedupe_key)
        room = await session.get(LocalRoom, planner.room_of(reminder.dedupe_key))
        if room is None or room.status is RoomStatus.WITHDRAWN:
            return text
        if not windows.is_open(settings.feedback, room.workshop, day, now):
            return text  # delivered after the question's window: it could not be answered
        found = await attendance.reported(session, room.id, day)
        if found is not None:
            change = code(f"{settings.bot.prefix}attendance N day={day} room={room.code}")
            return (f"{text}\n\nIts attendance that day is reported already: {found.count}. "
                    f"{change} changes it.")
        about = Subject(attendance.KIND, topic=room.code, workshop_id=room.workshop_id,
                        day=day, room_id=room.id)
        said = await store.offer(session, settings, self.kinds, person, about, now)
        return f"{text}\n\n{said}"
