"""Network-neutral messages: what arrives, what the bot says, votes on its polls,
and the errors of delivering and receiving.

Every layer may use these (ground level, like `bot.metrics`): a transport turns
what arrives into an `Incoming`; the dispatcher writes what the bot answers as
outbox rows in the command's transaction; the outbox worker hands each row, as
an `Outgoing`, to whatever delivers it (a transport). None of them needs to
import another to speak of a message.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True)
class Incoming:
    """A text message someone sent where the bot can see it."""

    network: str
    sender: str
    room: str
    body: str
    is_direct: bool
    event_id: str | None = None
    thread_root: str | None = None
    sent_at: datetime | None = None
    # The network delivered something the bot cannot read (an encrypted message).
    unreadable: bool = False
    # ...though the bot reads encrypted messages: this one's key never came, so the
    # answer says what to do instead of pointing to an unencrypted chat.
    key_missing: bool = False
    # The room or channel it was said in, without its topic or thread, as the network
    # names it in a local room's chat (bot/services/chats.py); None in a direct chat.
    channel: str | None = None


@dataclass(frozen=True)
class Attachment:
    """A file to upload with a message (CSV export, chart, calendar)."""

    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class Poll:
    """A question to post as the network's poll widget (Zulip's `/poll`, Matrix's
    `m.poll.start`); the message's text is what a network without polls shows."""

    question: str
    choices: tuple[str, ...]


# The room of an `Outgoing` poll: the transport's configured poll channel or room.
POLL_ROOM = "poll"

# The room of the status board's messages: the transport's configured board room
# or channel (`!status`).
BOARD_ROOM = "status-board"

# An `Outgoing` action (not a message): forget the direct chats with the person
# in `mentions` (Matrix: leave and forget them, drop them from `m.direct`; Zulip:
# drop what the transport keeps per conversation). Sent in the lane of the chat
# where forget-me was confirmed, so it comes after the answer there.
FORGET_DIRECT = "forget-direct"

# `Outgoing` actions on a local room's chat (bot/services/chats.py), addressed to
# the chat's own target (`room="chat:<id>"`, not a network room), so they share its
# lane and the creation comes first. The text is a `ChatOrder` as JSON; whom an
# invite or a removal is about is in `mentions`. Creating returns the network's
# id of the room made (a Space made with it on a second line).
CHAT_CREATE = "chat-create"
CHAT_INVITE = "chat-invite"
CHAT_REMOVE = "chat-remove"
CHAT_ARCHIVE = "chat-archive"
CHAT_ACTIONS = frozenset({CHAT_CREATE, CHAT_INVITE, CHAT_REMOVE, CHAT_ARCHIVE})


@dataclass(frozen=True)
class ChatOrder:
    """What a transport needs to act on a local room's chat, whatever happened before.

    `key` is stable and unique per chat (`2026-spring-r12`): a transport derives what
    finds the chat again after a crash from it (a Matrix room alias), or finds it by
    `name` (a Zulip channel). `space` keys the workshop's Space, `space_id` is one the
    organizers configured or the bot recorded; `power` the invitee's level.
    """

    key: str
    name: str
    topic: str = ""
    space: str = ""
    space_name: str = ""
    space_id: str | None = None
    power: int = 0

    def text(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, sort_keys=True)

    @classmethod
    def read(cls, text: str) -> ChatOrder:
        found = json.loads(text)
        return cls(**{name: found[name] for name in cls.__dataclass_fields__ if name in found})


@dataclass(frozen=True)
class Vote:
    """Someone's votes on a poll the bot posted, or their withdrawal (`chosen=False`).

    `poll` is the network's id of the poll message (what `deliver` returned for it);
    `choices` are 0-based indexes of choices in the posted `Poll`. With `replaces`
    they are the voter's whole selection now (a Matrix poll response replaces the
    voter's earlier one; none: the vote is taken back).
    """

    network: str
    voter: str
    poll: str
    choices: tuple[int, ...]
    chosen: bool = True
    replaces: bool = False


@dataclass(frozen=True)
class Origin:
    """The message an answer replies to: its room, event and thread."""

    room: str
    event_id: str
    thread_root: str | None = None

    @classmethod
    def of(cls, message: Incoming) -> Origin | None:
        if message.event_id is None:
            return None
        return cls(message.room, message.event_id, message.thread_root)


@dataclass(frozen=True)
class Due:
    """When a reminder was due, and its recipient's zone: presentation only, for a
    transport that shows it (the console on a simulated clock); never stored, so a
    row sent after a restart comes without it."""

    at: datetime
    zone: str


@dataclass(frozen=True)
class Outgoing:
    """Something the bot says. Text is Markdown; user-supplied parts are escaped.

    Exactly one of `room` (a room the bot is in) or `user` (a direct chat with
    that person, found or created by the transport) is set.
    """

    text: str
    room: str | None = None
    user: str | None = None
    in_reply_to: Origin | None = None
    mentions: tuple[str, ...] = ()
    attachment: Attachment | None = None
    reference: str | None = field(default=None, compare=False)
    # Stable across resends (the outbox row's dedupe key): a transport derives its
    # idempotency key (a Matrix transaction id) from it.
    key: str | None = None
    # Post as a poll widget (to `POLL_ROOM`); the text is the plain-text fallback.
    poll: Poll | None = None
    # `room` is a direct chat (a message to `user` goes to one anyway): once sent,
    # what the row said is dropped.
    direct: bool = False
    # Not a message but something to do (`FORGET_DIRECT`), for transports that `Act`.
    action: str | None = None
    # A reminder's due instant and recipient's zone (see `Due`); None for the rest.
    due: Due | None = field(default=None, compare=False)
    # Later messages edit this one: the network's id of it is kept once sent.
    editable: bool = False
    # An edit: the network's id of the message whose text this one replaces (the
    # outbox worker fills it in from the row it edits, once that row was sent).
    replaces: str | None = None

    def __post_init__(self) -> None:
        if (self.room is None) == (self.user is None):
            raise ValueError("an Outgoing message needs exactly one of room or user")


@dataclass(frozen=True)
class Notice:
    """A direct message to someone other than the asker (e.g. "you got a seat")."""

    user: str
    text: str


@dataclass(frozen=True)
class Reply:
    """What a command handler or a conversation answers (handlers may also return plain
    text); the dispatcher writes it, and its notices, as outbox rows."""

    text: str
    notices: tuple[Notice, ...] = ()
    attachment: Attachment | None = None
    mentions: tuple[str, ...] = ()
    # Something for the transport to do about the asker in this chat once the answer
    # is out (`FORGET_DIRECT`).
    action: str | None = None
    # Facts of the bot's own (key, value) stored with the answer, in the transaction
    # that writes it: a read-only command's answer may come from a read transaction.
    remember: tuple[tuple[str, str], ...] = ()


class Delivered(Protocol):
    """What a handler returns: lets a transport wait until the answers went out.
    Cancelling a wait does not stop the answers."""

    async def wait(self) -> None: ...


Handler = Callable[[Incoming], Awaitable[Delivered]]
# Where a transport hands the votes on its polls (the app records them).
VoteHandler = Callable[[Vote], Awaitable[None]]


class LoginFailed(RuntimeError):
    """The bot cannot log in, and retrying will not help until the configuration changes."""


class DatabaseUnavailable(RuntimeError):
    """`App.handle` could not reach the database (locked, connection lost): the
    message was not handled and left no trace. A transport keeps its position before
    it and hands it again later, with backoff."""


class DeliveryError(Exception):
    """A message could not be sent this time."""


class PermanentDeliveryError(DeliveryError):
    """No retry will help (forbidden, room gone, too large): the row is marked failed."""


class TransientDeliveryError(DeliveryError):
    """Worth another try later (homeserver down, 5xx, not logged in yet)."""
