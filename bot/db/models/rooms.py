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


class SeatKind(enum.StrEnum):
    """Who a form expects: a learner's seat, or a place in a room's team (host, lead
    or both: one place per person)."""

    LEARNER = "learner"
    STAFF = "staff"


class SeatHistory(Base):
    """When seats were held, without who held them (bot/services/seat_history.py).

    One row per held seat or team place: opened when it is taken, closed (`until`)
    when it is given up, so a past day's response rate counts who was seated at that
    day's end. No person id: the history is anonymous, and forget-me leaves it (and
    so past rates) as it was. The waitlist is not a seat and has no rows.
    """

    __tablename__ = "seat_history"
    __table_args__ = (Index("ix_seat_history_room_kind_until", "room_id", "kind", "until"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workshop_id: Mapped[int] = mapped_column(ForeignKey("workshop.id", ondelete="CASCADE"))
    room_id: Mapped[int] = mapped_column(ForeignKey("local_room.id", ondelete="CASCADE"))
    kind: Mapped[SeatKind] = mapped_column(stored_enum(SeatKind))
    since: Mapped[datetime]
    until: Mapped[datetime | None]
