"""People: one chat identity each."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.models.base import IDENTITY, Base


class Person(Base):
    """One chat identity: a user id on one network."""

    __tablename__ = "person"
    __table_args__ = (UniqueConstraint("network", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    network: Mapped[str] = mapped_column(String(32), info=IDENTITY)
    user_id: Mapped[str] = mapped_column(String(255), info=IDENTITY)
    display_name: Mapped[str | None] = mapped_column(String(255))
    timezone: Mapped[str | None] = mapped_column(String(64))
    reminders: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]

    @property
    def address(self) -> str:
        return f"{self.network}:{self.user_id}"
