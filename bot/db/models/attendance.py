"""Daily attendance: how many learners a local room had on a workshop day."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.models.base import IDENTITY, Base


class Attendance(Base):
    """One room's count for one workshop day (its number), as last reported.

    One row per (room, day): a new report replaces the count, who reported it and
    when, so the newest report wins. `reported_by` only names the reporter: a
    forgotten person leaves the count, without them (ON DELETE SET NULL).
    """

    __tablename__ = "attendance"
    __table_args__ = (UniqueConstraint("room_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workshop_id: Mapped[int] = mapped_column(ForeignKey("workshop.id", ondelete="CASCADE"))
    room_id: Mapped[int] = mapped_column(ForeignKey("local_room.id", ondelete="CASCADE"))
    day: Mapped[int] = mapped_column(Integer)
    count: Mapped[int] = mapped_column(Integer)
    reported_by: Mapped[int | None] = mapped_column(
        ForeignKey("person.id", ondelete="SET NULL"))
    # How it came: "command" (`!attendance`) or "conversation" (the day-end question).
    via: Mapped[str] = mapped_column(String(16), info=IDENTITY)
    reported_at: Mapped[datetime]
