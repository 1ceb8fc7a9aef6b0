"""Workshops and their teaching days."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bot.db.models.base import Base, only_where, stored_enum


class WorkshopState(enum.StrEnum):
    PLANNED = "planned"
    RUNNING = "running"
    FINISHED = "finished"


class Workshop(Base):
    """A workshop series edition, e.g. `2026-spring`. At most one is the current one
    (a unique index over the rows where `is_current` is true)."""

    __tablename__ = "workshop"
    __table_args__ = (
        Index("uq_workshop_one_current", "is_current", unique=True,
              **only_where("is_current = true")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(40), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64))
    stream_url: Mapped[str | None] = mapped_column(String(500))
    notes_url: Mapped[str | None] = mapped_column(String(500))
    registration_url: Mapped[str | None] = mapped_column(String(500))
    # The installation instructions' address, shown to learners before the first day.
    setup_url: Mapped[str | None] = mapped_column(String(500))
    state: Mapped[WorkshopState] = mapped_column(stored_enum(WorkshopState))
    is_current: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime]
    # Hidden from listings once finished (`!workshop archive`); its data stays.
    archived_at: Mapped[datetime | None]

    days: Mapped[list[WorkshopDay]] = relationship(
        back_populates="workshop",
        order_by="WorkshopDay.number",
        cascade="all, delete-orphan",
        lazy="selectin",
    )


class WorkshopDay(Base):
    """One teaching day: its date in the workshop's zone and its start and end instants."""

    __tablename__ = "workshop_day"
    __table_args__ = (UniqueConstraint("workshop_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workshop_id: Mapped[int] = mapped_column(ForeignKey("workshop.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    local_date: Mapped[date]
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]

    workshop: Mapped[Workshop] = relationship(back_populates="days")
