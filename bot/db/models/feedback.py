"""Feedback: conversations in progress (forms, forget-me's confirmation), saved
responses, and questions posted as polls with their votes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.models.base import Base


class Conversation(Base):
    """A person's conversation in progress in their direct chat (a form, or the
    confirmation of forget-me): at most one per person, kept across restarts.

    `state` is the engine's state as JSON (question index and answers so far).
    """

    __tablename__ = "conversation"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(
        ForeignKey("person.id", ondelete="CASCADE"), unique=True
    )
    kind: Mapped[str] = mapped_column(String(32))
    form: Mapped[str | None] = mapped_column(String(32))
    workshop_id: Mapped[int | None] = mapped_column(
        ForeignKey("workshop.id", ondelete="CASCADE")
    )
    # 0: a form not about one day (final, debrief).
    day: Mapped[int] = mapped_column(Integer, default=0)
    room_id: Mapped[int | None] = mapped_column(ForeignKey("local_room.id", ondelete="SET NULL"))
    state: Mapped[str] = mapped_column(Text)
    started_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class FeedbackResponse(Base):
    """One saved form: answers as JSON, never a user id.

    `respondent` is a keyed pseudonym (HMAC of the person's address), so answering
    again replaces the earlier response; forget-me clears it, leaving the answers
    anonymous. `room_id` is the room the respondent was in, for per-room summaries.
    """

    __tablename__ = "feedback_response"
    __table_args__ = (UniqueConstraint("respondent", "form", "workshop_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    form: Mapped[str] = mapped_column(String(32), index=True)
    workshop_id: Mapped[int] = mapped_column(ForeignKey("workshop.id", ondelete="CASCADE"))
    day: Mapped[int] = mapped_column(Integer, default=0)
    room_id: Mapped[int | None] = mapped_column(ForeignKey("local_room.id", ondelete="SET NULL"))
    respondent: Mapped[str | None] = mapped_column(String(64))
    answers: Mapped[str] = mapped_column(Text)
    submitted_at: Mapped[datetime]


class FeedbackPoll(Base):
    """A form's question posted as a poll on a network (the daily "Today was"), once
    per workshop day. `message_ref` is the network's id of the poll message, known
    once it was sent (votes name it); `choices` the posted choices as JSON."""

    __tablename__ = "feedback_poll"
    __table_args__ = (UniqueConstraint("network", "workshop_id", "day", "form"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    network: Mapped[str] = mapped_column(String(32))
    workshop_id: Mapped[int] = mapped_column(ForeignKey("workshop.id", ondelete="CASCADE"))
    day: Mapped[int] = mapped_column(Integer, default=0)
    form: Mapped[str] = mapped_column(String(32))
    question: Mapped[str] = mapped_column(String(64))  # the question's id in the form
    choices: Mapped[str] = mapped_column(Text)
    outbox_key: Mapped[str] = mapped_column(String(255), unique=True)
    message_ref: Mapped[str | None] = mapped_column(String(255), index=True)
    created_at: Mapped[datetime]


class PollVote(Base):
    """One current vote: a voter's pseudonym (as in `FeedbackResponse`, cleared by
    forget-me) and a choice's index. Withdrawing the vote deletes the row."""

    __tablename__ = "poll_vote"
    __table_args__ = (UniqueConstraint("poll_id", "respondent", "choice"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    poll_id: Mapped[int] = mapped_column(ForeignKey("feedback_poll.id", ondelete="CASCADE"))
    respondent: Mapped[str | None] = mapped_column(String(64))
    choice: Mapped[int] = mapped_column(Integer)
    voted_at: Mapped[datetime]
