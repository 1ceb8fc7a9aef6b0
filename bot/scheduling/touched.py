"""What a command changed among the facts reminders are planned from.

`watch(session)` follows a session's flushes and statements and returns a
`Touched` that grows as the command works: the people, local rooms and
workshops whose rows were added, changed or deleted. The dispatcher gives it
to `reminders.replan` so only the reminders those facts feed are re-planned
(bot/scheduling/reminders.py). What cannot be narrowed safely (a bulk
statement on a planner table, a deleted person, room or workshop, a change
to the reminder table itself) asks for a re-plan of everything.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import chain
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction

from bot.db.models import (
    LocalRoom,
    Membership,
    OnboardingSession,
    OnboardingSignup,
    Person,
    Reminder,
    Workshop,
    WorkshopChats,
    WorkshopDay,
)

# The tables the planner reads (bot/scheduling/reminders.py, `facts`), and its output.
PLANNER_TABLES = frozenset(
    model.__tablename__
    for model in (Person, LocalRoom, Membership, OnboardingSession, OnboardingSignup,
                  Workshop, WorkshopDay, Reminder)
)


@dataclass
class Touched:
    everything: bool = False
    workshops: set[int] = field(default_factory=set)
    rooms: set[int] = field(default_factory=set)
    people: set[int] = field(default_factory=set)

    def __bool__(self) -> bool:
        return self.everything or bool(self.workshops or self.rooms or self.people)

    def copy(self) -> Touched:
        return Touched(self.everything, set(self.workshops), set(self.rooms), set(self.people))

    def note(self, row: object, *, deleted: bool) -> None:
        """One added, changed or deleted row."""
        if isinstance(row, Person | LocalRoom | Workshop) and deleted:
            self.everything = True  # the database cascades: who was where is gone
        elif isinstance(row, Person):
            self.people.add(row.id)
        elif isinstance(row, Membership):
            self.rooms.add(row.room_id)
            self.people.add(row.person_id)
        elif isinstance(row, LocalRoom):
            self.rooms.add(row.id)
        elif isinstance(row, OnboardingSignup):
            self.people.add(row.person_id)
        elif isinstance(row, OnboardingSession | WorkshopDay):
            self.workshops.add(row.workshop_id)
        elif isinstance(row, Workshop):
            self.workshops.add(row.id)
        elif isinstance(row, WorkshopChats):  # the rooms' chats follow it
            self.workshops.add(row.workshop_id)
        elif isinstance(row, Reminder):
            self.everything = True


def watch(session: AsyncSession) -> Touched:
    """A `Touched` that follows what `session` changes from now on."""
    touched = Touched()
    sync: Session = session.sync_session

    def after_flush(flushed: Session, _context: UOWTransaction) -> None:
        new = flushed.new  # built anew at each access: once, not once per row
        for row in chain(new, flushed.dirty):
            if row in new or flushed.is_modified(row, include_collections=False):
                touched.note(row, deleted=False)
        for row in flushed.deleted:
            touched.note(row, deleted=True)

    def on_statement(state: ORMExecuteState) -> None:
        if not (state.is_insert or state.is_update or state.is_delete):
            return
        table: Any = getattr(state.statement, "table", None)
        if getattr(table, "name", None) in PLANNER_TABLES:
            touched.everything = True  # a bulk statement: which rows, only the database knows

    event.listen(sync, "after_flush", after_flush)
    event.listen(sync, "do_orm_execute", on_statement)
    return touched
