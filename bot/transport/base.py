"""The protocol every transport implements; the neutral messages it speaks in
live in `bot.messages` (re-exported here, for the transports).

The flow is one way: a transport turns what arrives into an `Incoming` and hands
it to the app's handler; the dispatcher writes what the bot answers as outbox
rows in the command's transaction; the outbox worker hands each row, as an
`Outgoing`, to the transport's `deliver`.
"""

from __future__ import annotations

from typing import Protocol

from bot.messages import (
    BOARD_ROOM,
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
    "BOARD_ROOM",
    "FORGET_DIRECT",
    "POLL_ROOM",
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
    """What the rest of the bot needs from every chat network; what only some can
    do are the protocols of bot/transport/capabilities.py."""

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
