"""The Matrix transport: matrix-nio behind the network-neutral Transport protocol.

Only the `matrix*` modules import nio. This one puts the parts together (the
measured nio and Synapse behaviour behind them is in ../shared/TESTING.md):

- `matrix_session`: the client, paced requests (HTTP 429), login and the
  saved access token;
- `matrix_sync`: the supervised sync loop, restart-safe sync position, missed
  messages;
- `matrix_rooms`: invites, leaving empty rooms, direct chats, power levels;
- `matrix_send`: one outbox message as Matrix events, with transaction ids
  derived from the outbox row;
- `matrix_format` and `matrix_policy`: pure functions (content, decisions).

Retries with backoff (`supervisor`), HTTP 429 pacing (`pacing`) and the
outbox worker's lanes are network-neutral. Encrypted rooms cannot be read
(no end-to-end encryption yet): the bot says so once in the room, in plain
text, and when the room was a direct chat it opens an unencrypted one.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable, Collection
from datetime import datetime
from typing import Any

from nio import RoomSendResponse

from bot.clock import Clock
from bot.config import MatrixSettings
from bot.db.state import StateStore
from bot.transport.base import Handler, Outgoing, TransientDeliveryError
from bot.transport.matrix_format import transaction_id
from bot.transport.matrix_rooms import MatrixRooms
from bot.transport.matrix_send import MatrixSender
from bot.transport.matrix_session import (
    NETWORK,
    STATE_ACCESS_TOKEN,
    STATE_DEVICE_ID,
    STATE_SYNC_TOKEN,
    STATE_USER_ID,
    MatrixLoginError,
    MatrixSession,
)
from bot.transport.matrix_sync import MatrixSync
from bot.transport.supervisor import Stopped, Supervisor

__all__ = [
    "NETWORK",
    "STATE_ACCESS_TOKEN",
    "STATE_DEVICE_ID",
    "STATE_SYNC_TOKEN",
    "STATE_USER_ID",
    "MatrixLoginError",
    "MatrixTransport",
]

log = logging.getLogger(__name__)

BACKOFF_BASE_S = 0.25

ENCRYPTED_ROOM = (
    "I can't read encrypted messages (I have no end-to-end encryption yet), "
    "so I did not see what was written here."
)
ENCRYPTED_DIRECT = (
    ENCRYPTED_ROOM + " I have opened an unencrypted direct chat with you: write to me there."
)
OPENED_DIRECT = (
    "This is an unencrypted direct chat, so I can read it: send me your commands here."
)


class MatrixTransport:
    """A Matrix account as the bot's chat network."""

    network = NETWORK

    def __init__(
        self,
        settings: MatrixSettings,
        state: StateStore,
        clock: Clock,
        *,
        trusted_inviters: Collection[str] = (),
        rand: Callable[[], float] = random.random,
    ) -> None:
        self.settings = settings
        self.user_id = settings.user_id
        self.supervisor = Supervisor(
            base=BACKOFF_BASE_S, cap=settings.max_retry_wait_seconds, rand=rand
        )
        self.session = MatrixSession(settings, state)
        self.client = self.session.client
        self.rooms = MatrixRooms(
            self.session, (*settings.allow_invites_from, *trusted_inviters)
        )
        self.sender = MatrixSender(self.session, self.rooms)
        self.sync = MatrixSync(self.session, self.rooms, self.supervisor, clock,
                               self._on_encrypted)
        self.ready = self.sync.ready  # set once the first sync has been processed
        self._tasks: set[asyncio.Task[None]] = set()

    async def run(self, handler: Handler) -> None:
        """Log in, then sync and hand every new text message to `handler` until stop()."""
        try:
            await self.supervisor.supervised(self.session.log_in, "log in",
                                             fatal=(MatrixLoginError,))
            self.session.logged_in.set()
            await self.sync.run(handler)
        except Stopped:
            pass
        finally:
            self.session.logged_in.clear()
            for task in list(self._tasks):
                task.cancel()
            await self.client.close()

    @property
    def last_sync(self) -> datetime | None:
        """When the homeserver last answered a sync (for /healthz); None before the first."""
        return self.sync.last_sync

    async def stop(self) -> None:
        """Stop syncing; the commands of the batch being handled finish first."""
        self.supervisor.stop()

    async def deliver(self, message: Outgoing) -> None:
        """Send one message once logged in (see `matrix_send`)."""
        if self.supervisor.stopping:
            raise TransientDeliveryError("the Matrix transport is stopping")
        if not self.session.logged_in.is_set():
            try:
                await self.supervisor.until_stopped(self.session.logged_in.wait())
            except Stopped:
                raise TransientDeliveryError("the Matrix transport is stopping") from None
        await self.sender.deliver(message)

    async def power_level(self, room: str, user: str) -> int | None:
        return self.rooms.power_level(room, user)

    # -- encrypted rooms ---------------------------------------------------------

    def _on_encrypted(self, room_id: str, sender: str) -> None:
        task = asyncio.ensure_future(self._answer_encrypted(room_id, sender))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _answer_encrypted(self, room_id: str, sender: str) -> None:
        """Say once, in plain text, that the room cannot be read; move a direct chat."""
        direct = self.rooms.is_direct(room_id, sender)
        try:
            await self._plain(room_id, ENCRYPTED_DIRECT if direct else ENCRYPTED_ROOM,
                              f"encrypted:{room_id}")
            if direct:
                self.rooms.forget_direct(sender, room_id)
                other = await self.rooms.direct_room_for(sender)
                await self._plain(other, OPENED_DIRECT, f"opened:{other}")
        except Exception as exc:
            log.warning("could not answer the encrypted room %s: %s", room_id, exc)

    async def _plain(self, room_id: str, text: str, key: str) -> None:
        """A plain-text notice (no HTML), sent once per key."""
        content: dict[str, Any] = {"msgtype": "m.notice", "body": text, "m.mentions": {}}
        txn = transaction_id(key, None, room_id, 0, text)
        response = await self.session.call(
            lambda: self.client.room_send(room_id, "m.room.message", content, tx_id=txn),
            pacer=self.session.send_pacer,
        )
        if not isinstance(response, RoomSendResponse):
            raise TransientDeliveryError(f"sending to {room_id}: {response}")
