"""The tables. Typed SQLAlchemy 2 models; every change comes with a migration."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    Boolean,
    Enum,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from bot.db.types import UTCDateTime

# Stable constraint names, so Alembic's batch mode can alter SQLite tables.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime()}


class Person(Base):
    """One chat identity: a user id on one network."""

    __tablename__ = "person"
    __table_args__ = (UniqueConstraint("network", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    network: Mapped[str] = mapped_column(String(32))
    user_id: Mapped[str] = mapped_column(String(255))
    display_name: Mapped[str | None] = mapped_column(String(255))
    timezone: Mapped[str | None] = mapped_column(String(64))
    reminders: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]

    @property
    def address(self) -> str:
        return f"{self.network}:{self.user_id}"


class HandledEvent(Base):
    """A chat event the bot has acted on, recorded in the same transaction as the
    command's effects: a redelivered event (restart, retried sync) is skipped."""

    __tablename__ = "handled_event"

    network: Mapped[str] = mapped_column(String(32), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    handled_at: Mapped[datetime] = mapped_column(index=True)


class TransportState(Base):
    """Small facts a transport keeps between runs (sync token, device, access token)."""

    __tablename__ = "transport_state"

    network: Mapped[str] = mapped_column(String(32), primary_key=True)
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


def _enum(cls: type[enum.Enum]) -> Enum:
    """Store an enum by its value, as a plain string column (portable, readable)."""
    return Enum(
        cls,
        native_enum=False,
        create_constraint=False,
        length=16,
        values_callable=lambda members: [m.value for m in members],
    )


class WorkshopState(enum.StrEnum):
    PLANNED = "planned"
    RUNNING = "running"
    FINISHED = "finished"


def _only_where(condition: str) -> dict[str, Any]:
    """A partial index's condition, the same on SQLite and PostgreSQL."""
    return {"sqlite_where": text(condition), "postgresql_where": text(condition)}


class Workshop(Base):
    """A workshop series edition, e.g. `2026-spring`. At most one is the current one
    (a unique index over the rows where `is_current` is true)."""

    __tablename__ = "workshop"
    __table_args__ = (
        Index("uq_workshop_one_current", "is_current", unique=True,
              **_only_where("is_current = true")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(40), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64))
    stream_url: Mapped[str | None] = mapped_column(String(500))
    notes_url: Mapped[str | None] = mapped_column(String(500))
    registration_url: Mapped[str | None] = mapped_column(String(500))
    state: Mapped[WorkshopState] = mapped_column(_enum(WorkshopState))
    is_current: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime]

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
    mode: Mapped[RoomMode] = mapped_column(_enum(RoomMode))
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
    status: Mapped[RoomStatus] = mapped_column(_enum(RoomStatus))
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
              **_only_where("role IN ('learner', 'waitlist')")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    room_id: Mapped[int] = mapped_column(
        ForeignKey("local_room.id", ondelete="CASCADE"), index=True
    )
    workshop_id: Mapped[int] = mapped_column(ForeignKey("workshop.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    role: Mapped[MemberRole] = mapped_column(_enum(MemberRole))
    joined_at: Mapped[datetime]

    room: Mapped[LocalRoom] = relationship(lazy="joined")
    person: Mapped[Person] = relationship(lazy="joined")


class DeliveryStatus(enum.StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


class OutboxMessage(Base):
    """Something the bot decided to say, written in the transaction that decided it.

    The outbox worker sends pending rows in order per target (`id` order) and
    marks them sent or failed; rows left pending by a crash are sent at start.
    `dedupe_key` is unique (one row per reply, notice, reminder...) and the
    transport derives its idempotency key from it, so a resend lands once.
    """

    __tablename__ = "outbox_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    dedupe_key: Mapped[str] = mapped_column(String(255), unique=True)
    network: Mapped[str] = mapped_column(String(32))
    # Exactly one of room (a room the bot is in) or person (a direct chat) is set.
    room: Mapped[str | None] = mapped_column(String(255))
    person: Mapped[str | None] = mapped_column(String(255))
    text: Mapped[str] = mapped_column(Text)
    # What it answers: the command's event, its room and thread.
    reply_to_event: Mapped[str | None] = mapped_column(String(255))
    reply_to_room: Mapped[str | None] = mapped_column(String(255))
    thread_root: Mapped[str | None] = mapped_column(String(255))
    # People mentioned (pinged), one user id per line.
    mentions: Mapped[str | None] = mapped_column(Text)
    attachment_name: Mapped[str | None] = mapped_column(String(255))
    attachment_type: Mapped[str | None] = mapped_column(String(100))
    attachment_data: Mapped[bytes | None] = mapped_column(LargeBinary)
    # A poll to post (transport.base.Poll as JSON: question, choices).
    poll: Mapped[str | None] = mapped_column(Text)
    not_before: Mapped[datetime]
    status: Mapped[DeliveryStatus] = mapped_column(
        _enum(DeliveryStatus), default=DeliveryStatus.PENDING, index=True
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # The reference people see in "something went wrong" answers and logs.
    reference: Mapped[str] = mapped_column(String(32))
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]


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
    __table_args__ = (
        UniqueConstraint("respondent", "form", "workshop_id", "day"),
        Index("ix_feedback_response_summary", "workshop_id", "form", "day", "room_id"),
    )

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
    audience: Mapped[Audience] = mapped_column(_enum(Audience))
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


class ReminderStatus(enum.StrEnum):
    PENDING = "pending"
    SENT = "sent"
    MISSED = "missed"
    CANCELLED = "cancelled"


class Reminder(Base):
    """One reminder to one person, planned from the rows above (bot/scheduling/planner.py).

    `dedupe_key` names what it is about in terms that survive edits (session and
    day numbers, never a row an edit recreates); pending rows are moved or
    cancelled when the plan changes, sent and missed ones are history.
    """

    __tablename__ = "reminder"

    id: Mapped[int] = mapped_column(primary_key=True)
    dedupe_key: Mapped[str] = mapped_column(String(255), unique=True)
    workshop_id: Mapped[int] = mapped_column(
        ForeignKey("workshop.id", ondelete="CASCADE"), index=True
    )
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    due_at: Mapped[datetime] = mapped_column(index=True)
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[ReminderStatus] = mapped_column(_enum(ReminderStatus), index=True)
    sent_at: Mapped[datetime | None]
    late_minutes: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime]


# Registered with the same metadata; its own module keeps this one readable.
from bot.db.feedback_items import FeedbackItem as FeedbackItem  # noqa: E402
