"""Network-neutral messages and the protocol every transport implements.

The flow is one way: a transport turns what arrives into an `Incoming`, hands it
to the dispatcher, and sends back whatever `Outgoing` messages come out.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
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


@dataclass(frozen=True)
class Attachment:
    """A file to upload with a message (CSV export, chart, calendar)."""

    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class Outgoing:
    """Something the bot says. Text is Markdown; user-supplied parts are escaped.

    Exactly one of `room` (a room the bot is in) or `user` (a direct chat with
    that person, found or created by the transport) is set.
    """

    text: str
    room: str | None = None
    user: str | None = None
    in_reply_to: Incoming | None = None
    mentions: tuple[str, ...] = ()
    attachment: Attachment | None = None
    reference: str | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if (self.room is None) == (self.user is None):
            raise ValueError("an Outgoing message needs exactly one of room or user")


Handler = Callable[[Incoming], Awaitable[None]]


class Transport(Protocol):
    """What the rest of the bot needs from a chat network."""

    network: str

    async def run(self, handler: Handler) -> None:
        """Deliver incoming messages to `handler` until `stop()` is called."""
        ...

    async def send(self, message: Outgoing) -> None:
        """Send one message; never drops it silently (logs a final failure)."""
        ...

    async def stop(self) -> None:
        """Stop receiving; let messages already being handled finish."""
        ...

    async def power_level(self, room: str, user: str) -> int | None:
        """The user's power level in a room, or None where the network has none."""
        ...
