"""The live status board: each room's status on a workshop day, and the one board
message per workshop day and network that shows them all."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.models.base import IDENTITY, Base, stored_enum


class ExerciseState(enum.StrEnum):
    """Where a room is in the exercise, as its team lead says."""

    NEED_HELP = "need-help"
    WORKING = "working"
    DONE = "done"


class RoomDayStatus(Base):
    """A room's latest status on one workshop day (`day` is the day's number); a
    reset deletes the day's rows. Who said it is not kept: the board shows rooms."""

    __tablename__ = "room_day_status"
    __table_args__ = (UniqueConstraint("room_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("local_room.id", ondelete="CASCADE"))
    workshop_id: Mapped[int] = mapped_column(
        ForeignKey("workshop.id", ondelete="CASCADE"), index=True)
    day: Mapped[int] = mapped_column(Integer)
    state: Mapped[ExerciseState] = mapped_column(stored_enum(ExerciseState))
    note: Mapped[str | None] = mapped_column(Text)
    changed_at: Mapped[datetime]


class StatusBoard(Base):
    """The board message of one workshop day on one network.

    `post_key` is the dedupe key of the outbox row that posts it; once that row is
    sent, the row holds the network's id of the message (`network_message_id`), and
    each later change is an edit row of it (bot/outbox/edits.py).
    """

    __tablename__ = "status_board"
    __table_args__ = (UniqueConstraint("workshop_id", "day", "network"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workshop_id: Mapped[int] = mapped_column(ForeignKey("workshop.id", ondelete="CASCADE"))
    day: Mapped[int] = mapped_column(Integer)
    network: Mapped[str] = mapped_column(String(32), info=IDENTITY)
    post_key: Mapped[str] = mapped_column(String(255), unique=True, info=IDENTITY)
    created_at: Mapped[datetime]
