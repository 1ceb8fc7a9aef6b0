"""What the outbox worker needs of what it hands rows to: a network's name and a
way to deliver a message, and, where it does actions or edits too, a way to act
or to edit.

Declared here, by the one that uses it, so the outbox imports no transport: a
transport fits these protocols by its shape (as does a test's recording double).
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from bot.messages import Outgoing


class Deliverer(Protocol):
    """Sends the messages of one network."""

    network: str

    async def deliver(self, message: Outgoing) -> str | None:
        """Send one message now, or raise a DeliveryError saying whether to retry;
        the network's id of the message sent where it has one, else None."""
        ...


@runtime_checkable
class Actor(Protocol):
    """A deliverer that does `Outgoing.action`s; for one that does not, an action has
    nothing to do and counts as done."""

    async def act(self, message: Outgoing) -> str | None:
        """Do the message's action, or raise a DeliveryError saying whether to retry;
        the network's id of what it made, where it made something (a chat room)."""
        ...


@runtime_checkable
class Editor(Protocol):
    """A deliverer that edits a message it sent; for one that cannot, an edit is
    posted as a new message."""

    async def edit(self, message: Outgoing) -> None:
        """Replace the text of the message `message.replaces` (the network's id, as
        `deliver` returned it) with `message.text`, or raise a DeliveryError saying
        whether to retry."""
        ...
