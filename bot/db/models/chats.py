"""A chat room per local room: whether a workshop wants them, each room's chat on a
network, and whom the bot has asked that network to let in (bot/services/chats.py)."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bot.db.models.base import IDENTITY, Base, stored_enum
from bot.db.models.rooms import LocalRoom


class WorkshopChats(Base):
    """A workshop's own choice (`!workshop edit SLUG chats=yes|no`); without a row the
    configuration's `chats.enabled` decides."""

    __tablename__ = "workshop_chats"

    workshop_id: Mapped[int] = mapped_column(
        ForeignKey("workshop.id", ondelete="CASCADE"), primary_key=True
    )
    enabled: Mapped[bool] = mapped_column(Boolean)
    # The network's id of the workshop's Space (Matrix) once the bot knows it: the
    # configured one, or the one it created with the workshop's first chat.
    network_space: Mapped[str | None] = mapped_column(String(255), info=IDENTITY)


class ChatState(enum.StrEnum):
    WANTED = "wanted"  # its creation is an outbox row, maybe not done yet
    CREATED = "created"  # the network named the room back (`network_room`)
    ARCHIVED = "archived"


class RoomChat(Base):
    """A local room's chat on one network. Its outbox rows share one lane (the
    `target`), so its creation comes before its invites."""

    __tablename__ = "room_chat"
    __table_args__ = (UniqueConstraint("room_id", "network"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    room_id: Mapped[int] = mapped_column(
        ForeignKey("local_room.id", ondelete="CASCADE"), index=True
    )
    network: Mapped[str] = mapped_column(String(32), info=IDENTITY)
    # What the network shows, fixed at creation (a Zulip channel is found by it after a
    # crash, so a renamed local room keeps its chat's name).
    name: Mapped[str] = mapped_column(String(200))
    # The network's room or channel id, once it was created and named back.
    network_room: Mapped[str | None] = mapped_column(String(255), info=IDENTITY)
    state: Mapped[ChatState] = mapped_column(stored_enum(ChatState))
    created_at: Mapped[datetime]
    archived_at: Mapped[datetime | None]

    room: Mapped[LocalRoom] = relationship(lazy="joined")

    @property
    def target(self) -> str:
        """The outbox target (and lane) of everything done to this chat."""
        return f"chat:{self.id}"


class ChatMember(Base):
    """Someone the bot has asked the network to let into a chat, at a power level
    (Matrix: 50 for the room's hosts and team leads, 0 for learners). Removed when the
    person leaves the local room and `chats.on_leave` is "remove"."""

    __tablename__ = "chat_member"
    __table_args__ = (UniqueConstraint("chat_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    chat_id: Mapped[int] = mapped_column(ForeignKey("room_chat.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(
        ForeignKey("person.id", ondelete="CASCADE"), index=True
    )
    power: Mapped[int] = mapped_column(Integer)
