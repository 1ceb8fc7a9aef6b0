"""Local rooms and who is in them (hosts, leads, learners, the waitlist)."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bot.db.models.base import Base, only_where, stored_enum
from bot.db.models.people import Person
from bot.db.models.workshops import Workshop


class RoomMode(enum.StrEnum):
    IN_PERSON = "in-person"
    ONLINE = "online"


class RoomStatus(enum.StrEnum):
    OPEN = "open"
    FULL = "full"
    WITHDRAWN = "withdrawn"


class LocalRoom(Base):
    """A local room of a workshop, shown to people as `R<id>`."""

    __tablename__ = "local_room"

    id: Mapped[int] = mapped_column(primary_key=True)
    workshop_id: Mapped[int] = mapped_column(ForeignKey("workshop.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    organization: Mapped[str] = mapped_column(String(200))
    mode: Mapped[RoomMode] = mapped_column(stored_enum(RoomMode))
    city: Mapped[str | None] = mapped_column(String(100))
    country: Mapped[str | None] = mapped_column(String(100))
    venue: Mapped[str | None] = mapped_column(String(500))
    language: Mapped[str] = mapped_column(String(32))
    capacity: Mapped[int] = mapped_column(Integer)
    # Day numbers covered, compact (`1-3,5`); NULL: every day, also days added later.
    days: Mapped[str | None] = mapped_column(String(100))
    who_may_join: Mapped[str | None] = mapped_column(String(500))
    signup_url: Mapped[str | None] = mapped_column(String(500))
    public: Mapped[bool] = mapped_column(Boolean)
    status: Mapped[RoomStatus] = mapped_column(stored_enum(RoomStatus))
    created_at: Mapped[datetime]

    workshop: Mapped[Workshop] = relationship(lazy="joined")

    @property
    def code(self) -> str:
        return f"R{self.id}"


class MemberRole(enum.StrEnum):
    HOST = "host"
    LEAD = "lead"
    LEARNER = "learner"
    WAITLIST = "waitlist"


class Membership(Base):
    """A person in a local room with one role. Waitlist order is arrival order (id).

    `workshop_id` is the room's workshop, kept here so the schema itself enforces
    one learner place (seat or waitlist) per person per workshop.
    """

    __tablename__ = "membership"
    __table_args__ = (
        UniqueConstraint("room_id", "person_id", "role"),
        Index("uq_membership_one_place", "workshop_id", "person_id", unique=True,
              **only_where("role IN ('learner', 'waitlist')")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    room_id: Mapped[int] = mapped_column(
        ForeignKey("local_room.id", ondelete="CASCADE"), index=True
    )
    workshop_id: Mapped[int] = mapped_column(ForeignKey("workshop.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    role: Mapped[MemberRole] = mapped_column(stored_enum(MemberRole))
    joined_at: Mapped[datetime]

    room: Mapped[LocalRoom] = relationship(lazy="joined")
    person: Mapped[Person] = relationship(lazy="joined")
