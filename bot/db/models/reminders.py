"""Reminders: one row per reminder and person, planned by bot/scheduling/planner.py."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.models.base import IDENTITY, Base, stored_enum


class ReminderStatus(enum.StrEnum):
    PENDING = "pending"
    SENT = "sent"
    MISSED = "missed"
    CANCELLED = "cancelled"
    # Due, but not needed by then: the reminder before a form's window closes, to a
    # person who had already saved the form (bot/scheduling/closing.py). Nothing sent.
    SKIPPED = "skipped"


class Reminder(Base):
    """One reminder to one person, planned from the workshop, room and onboarding rows.

    `dedupe_key` names what it is about in terms that survive edits (session and
    day numbers, never a row an edit recreates); pending rows are moved or
    cancelled when the plan changes, sent, missed and skipped ones are history.
    """

    __tablename__ = "reminder"

    id: Mapped[int] = mapped_column(primary_key=True)
    dedupe_key: Mapped[str] = mapped_column(String(255), unique=True, info=IDENTITY)
    workshop_id: Mapped[int] = mapped_column(
        ForeignKey("workshop.id", ondelete="CASCADE"), index=True
    )
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    due_at: Mapped[datetime] = mapped_column(index=True)
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[ReminderStatus] = mapped_column(stored_enum(ReminderStatus), index=True)
    sent_at: Mapped[datetime | None]
    late_minutes: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime]
