"""Feedback: conversations in progress (forms, forget-me's confirmation), saved
responses, and questions posted as polls with their votes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.models.base import IDENTITY, Base, only_where


class Conversation(Base):
    """A person's conversation in their direct chat (a form, the confirmation of
    forget-me, any kind bot/conversations/ knows), kept across restarts.

    `position` 0 is the active one (at most one per person, the partial unique
    index); 1, 2... wait in that order and start when the one before ends
    (bot/conversations/store.py). `topic` is what it is about within its kind (a
    form's name); `state` is the kind's own JSON (`null`: not started yet).
    """

    __tablename__ = "conversation"
    __table_args__ = (
        Index("uq_conversation_one_active", "person_id", unique=True,
              **only_where("position = 0")),
        Index("ix_conversation_queue", "person_id", "position"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer, default=0)
    kind: Mapped[str] = mapped_column(String(32))
    topic: Mapped[str | None] = mapped_column(String(32))
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
    __table_args__ = (
        UniqueConstraint("respondent", "form", "workshop_id", "day"),
        Index("ix_feedback_response_summary", "workshop_id", "form", "day", "room_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    form: Mapped[str] = mapped_column(String(32), index=True)
    workshop_id: Mapped[int] = mapped_column(ForeignKey("workshop.id", ondelete="CASCADE"))
    day: Mapped[int] = mapped_column(Integer, default=0)
    room_id: Mapped[int | None] = mapped_column(ForeignKey("local_room.id", ondelete="SET NULL"))
    respondent: Mapped[str | None] = mapped_column(String(64), info=IDENTITY)
    answers: Mapped[str] = mapped_column(Text)
    submitted_at: Mapped[datetime]


class FeedbackItem(Base):
    """One answered item of a saved response (each pick of a multiple choice is one),
    taken from its `answers` (the source of truth) when it is saved, so a summary is
    counted by the database (bot/services/tallies.py). `position` 0 marks an answered
    question; `label` is the text when short enough to be a choice; `sort_key` the
    start of the case-folded text as UTF-8 (code point order on every database)."""

    __tablename__ = "feedback_item"
    __table_args__ = (
        Index("ix_feedback_item_counts", "workshop_id", "form", "question", "label", "number",
              "day", "room_id"),
        Index("ix_feedback_item_texts", "workshop_id", "form", "question", "sort_key",
              "response_id", "position", "day", "room_id"),
        # `position` (always 0 here) makes it the index a query for first items matches
        # best, to SQLite's planner too, which keeps no statistics here.
        Index("ix_feedback_item_answered", "workshop_id", "form", "question", "position",
              "day", "room_id", **only_where("position = 0")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(
        ForeignKey("feedback_response.id", ondelete="CASCADE"), index=True)
    workshop_id: Mapped[int] = mapped_column(ForeignKey("workshop.id", ondelete="CASCADE"))
    form: Mapped[str] = mapped_column(String(32))
    day: Mapped[int] = mapped_column(Integer)
    room_id: Mapped[int | None] = mapped_column(ForeignKey("local_room.id", ondelete="SET NULL"))
    question: Mapped[str] = mapped_column(String(32))
    position: Mapped[int] = mapped_column(Integer)
    number: Mapped[int | None] = mapped_column(Integer)
    text: Mapped[str | None] = mapped_column(Text)
    label: Mapped[str | None] = mapped_column(String(200))
    sort_key: Mapped[bytes | None] = mapped_column(LargeBinary)


class FeedbackPoll(Base):
    """A form's question posted as a poll on a network (the daily "Today was"), once
    per workshop day, as the outbox row whose dedupe key is `outbox_key`: that row
    keeps the network's id of the poll message once sent (votes name it);
    `choices` are the posted choices as JSON."""

    __tablename__ = "feedback_poll"
    __table_args__ = (UniqueConstraint("network", "workshop_id", "day", "form"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    network: Mapped[str] = mapped_column(String(32))
    workshop_id: Mapped[int] = mapped_column(ForeignKey("workshop.id", ondelete="CASCADE"))
    day: Mapped[int] = mapped_column(Integer, default=0)
    form: Mapped[str] = mapped_column(String(32))
    question: Mapped[str] = mapped_column(String(64))  # the question's id in the form
    choices: Mapped[str] = mapped_column(Text)
    outbox_key: Mapped[str] = mapped_column(String(255), unique=True, info=IDENTITY)
    created_at: Mapped[datetime]


class PollVote(Base):
    """One current vote: a voter's pseudonym (as in `FeedbackResponse`, cleared by
    forget-me) and a choice's index. Withdrawing the vote deletes the row."""

    __tablename__ = "poll_vote"
    __table_args__ = (UniqueConstraint("poll_id", "respondent", "choice"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    poll_id: Mapped[int] = mapped_column(ForeignKey("feedback_poll.id", ondelete="CASCADE"))
    respondent: Mapped[str | None] = mapped_column(String(64), info=IDENTITY)
    choice: Mapped[int] = mapped_column(Integer)
    voted_at: Mapped[datetime]
