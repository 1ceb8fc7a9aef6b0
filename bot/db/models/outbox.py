"""What the bot will say (the durable outbox), and what it has heard and kept between
runs: events already handled, a transport's small state."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, Integer, LargeBinary, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.models.base import IDENTITY, Base, stored_enum


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
    dedupe_key: Mapped[str] = mapped_column(String(255), unique=True, info=IDENTITY)
    network: Mapped[str] = mapped_column(String(32), info=IDENTITY)
    # Exactly one of room (a room the bot is in) or person (a direct chat) is set.
    room: Mapped[str | None] = mapped_column(String(255), info=IDENTITY)
    person: Mapped[str | None] = mapped_column(String(255), info=IDENTITY)
    # It goes to a direct chat (to `person`, or a reply in a direct chat): once sent,
    # only what dedupe and `!deliveries` need stays (bot/outbox/marks.py).
    direct: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Not a message: something the transport does in the target's chat
    # (messages.FORGET_DIRECT); the person it is about is in `mentions`.
    action: Mapped[str | None] = mapped_column(String(32), info=IDENTITY)
    text: Mapped[str] = mapped_column(Text)
    # What it answers: the command's event, its room and thread.
    reply_to_event: Mapped[str | None] = mapped_column(String(255), info=IDENTITY)
    reply_to_room: Mapped[str | None] = mapped_column(String(255), info=IDENTITY)
    thread_root: Mapped[str | None] = mapped_column(String(255), info=IDENTITY)
    # People mentioned (pinged), one user id per line (forget-me drops exactly one line).
    mentions: Mapped[str | None] = mapped_column(Text, info=IDENTITY)
    attachment_name: Mapped[str | None] = mapped_column(String(255))
    attachment_type: Mapped[str | None] = mapped_column(String(100))
    attachment_data: Mapped[bytes | None] = mapped_column(LargeBinary)
    # A poll to post (messages.Poll as JSON: question, choices).
    poll: Mapped[str | None] = mapped_column(Text)
    not_before: Mapped[datetime]
    status: Mapped[DeliveryStatus] = mapped_column(
        stored_enum(DeliveryStatus), default=DeliveryStatus.PENDING, index=True
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # The reference people see in "something went wrong" answers and logs.
    reference: Mapped[str] = mapped_column(String(32), info=IDENTITY)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    # The network's id of the message sent, for a message the network names back
    # later (votes name their poll's message; polls find their row by it).
    network_message_id: Mapped[str | None] = mapped_column(String(255), index=True,
                                                           info=IDENTITY)
    # Its network id is kept once sent (`network_message_id`): later rows edit it.
    editable: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # An edit: the id of the row whose message it replaces (sent before it, in the
    # same lane); its text is the whole new text.
    edit_of: Mapped[int | None] = mapped_column(Integer, index=True)


class HandledEvent(Base):
    """A chat event the bot has acted on, recorded in the same transaction as the
    command's effects: a redelivered event (restart, retried sync) is skipped."""

    __tablename__ = "handled_event"

    network: Mapped[str] = mapped_column(String(32), primary_key=True, info=IDENTITY)
    event_id: Mapped[str] = mapped_column(String(255), primary_key=True, info=IDENTITY)
    handled_at: Mapped[datetime] = mapped_column(index=True)


class TransportState(Base):
    """Small facts a transport keeps between runs (sync token, device, access token)."""

    __tablename__ = "transport_state"

    network: Mapped[str] = mapped_column(String(32), primary_key=True, info=IDENTITY)
    key: Mapped[str] = mapped_column(String(64), primary_key=True, info=IDENTITY)
    value: Mapped[str] = mapped_column(Text, info=IDENTITY)  # tokens: never rewritten
