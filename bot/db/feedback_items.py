"""The answers of saved feedback responses, one row per answered item, for summaries
counted by the database (a table of bot/db/models.py, in a module of its own)."""

from __future__ import annotations

from sqlalchemy import ForeignKey, Index, Integer, LargeBinary, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.models import Base


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
              "day", "room_id", sqlite_where=text("position = 0"),
              postgresql_where=text("position = 0")),
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
