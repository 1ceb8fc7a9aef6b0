"""The protocol every transport implements; the neutral messages it speaks in
live in `bot.messages` (re-exported here, for the transports).

The flow is one way: a transport turns what arrives into an `Incoming` and hands
it to the app's handler; the dispatcher writes what the bot answers as outbox
rows in the command's transaction; the outbox worker hands each row, as an
`Outgoing`, to the transport's `deliver`.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from bot.messages import (
    FORGET_DIRECT,
    POLL_ROOM,
    Attachment,
    DatabaseUnavailable,
    Delivered,
    DeliveryError,
    Due,
    Handler,
    Incoming,
    LoginFailed,
    Origin,
    Outgoing,
    PermanentDeliveryError,
    Poll,
    TransientDeliveryError,
    Vote,
    VoteHandler,
)

__all__ = [
    "FORGET_DIRECT",
    "POLL_ROOM",
    "Acts",
    "Attachment",
    "DatabaseUnavailable",
    "Delivered",
    "DeliveryError",
    "Due",
    "Handler",
    "Incoming",
    "LoginFailed",
    "Origin",
    "Outgoing",
    "PermanentDeliveryError",
    "Poll",
    "TransientDeliveryError",
    "Transport",
    "Vote",
    "VoteHandler",
]


class Transport(Protocol):
    """What the rest of the bot needs from a chat network."""

    network: str

    async def run(self, handler: Handler) -> None:
        """Hand incoming messages to `handler` until `stop()` is called."""
        ...

    async def deliver(self, message: Outgoing) -> str | None:
        """Send one message now, or raise a DeliveryError saying whether to retry.
        Returns the network's id of the message sent where it has one (votes on a
        poll name it), else None.

        Pacing (rate limits) is the transport's business; order and retries are
        the outbox worker's.
        """
        ...

    async def stop(self) -> None:
        """Stop receiving; let messages already being handled finish."""
        ...

    async def power_level(self, room: str, user: str) -> int | None:
        """The power level of a current member (joined) of a room; None for anyone
        else (invited, left, kicked, banned, never in it) and where the network has
        no power levels."""
        ...


@runtime_checkable
class Acts(Protocol):
    """A transport that does `Outgoing.action`s; to one that does not, an action
    has nothing to do and counts as done."""

    async def act(self, message: Outgoing) -> None:
        """Do the message's action, or raise a DeliveryError saying whether to retry.
        The chat it names may be gone already (then there is nothing to do)."""
        ...
