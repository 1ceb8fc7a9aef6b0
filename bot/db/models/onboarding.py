"""Onboarding sessions for team leads and hosts, and their sign-ups."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.models.base import Base, stored_enum


class Audience(enum.StrEnum):
    ALL = "all"
    IN_PERSON = "in-person"
    ONLINE = "online"


class OnboardingSession(Base):
    """An onboarding session for team leads and hosts, shown to people as `O<id>`."""

    __tablename__ = "onboarding_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    workshop_id: Mapped[int] = mapped_column(
        ForeignKey("workshop.id", ondelete="CASCADE"), index=True
    )
    starts_at: Mapped[datetime]
    minutes: Mapped[int] = mapped_column(Integer, default=60)
    link: Mapped[str | None] = mapped_column(String(500))
    capacity: Mapped[int | None] = mapped_column(Integer)
    audience: Mapped[Audience] = mapped_column(stored_enum(Audience))
    created_at: Mapped[datetime]

    @property
    def code(self) -> str:
        return f"O{self.id}"


class OnboardingSignup(Base):
    """A team lead or host signed up for a session: one session per person per workshop."""

    __tablename__ = "onboarding_signup"
    __table_args__ = (UniqueConstraint("workshop_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workshop_id: Mapped[int] = mapped_column(ForeignKey("workshop.id", ondelete="CASCADE"))
    session_id: Mapped[int] = mapped_column(
        ForeignKey("onboarding_session.id", ondelete="CASCADE"), index=True
    )
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime]
