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
- `matrix_format` and `matrix_policy`: pure functions (content, decisions);
- `matrix_chats`: a local room's chat in the workshop's Space;
- `matrix_polls`: the daily question as an `m.poll.start`, votes from poll
  responses (handed to `on_vote`).

- `matrix_crypto`: end-to-end encryption (`matrix.encryption`): the device's
  keys and store, rooms made ready to send encrypted; `matrix_keys`: messages
  waiting for their room keys, and the unreadable ones answered once.

Retries with backoff (`supervisor`), HTTP 429 pacing (`pacing`) and the
outbox worker's lanes are network-neutral. A message that cannot be read
(encryption off, or its key never came) reaches the dispatcher as an
unreadable `Incoming`, whose answer goes through the outbox like any other.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable, Collection
from datetime import datetime
from pathlib import Path

from bot.clock import Clock
from bot.db.state import StateStore
from bot.messages import CHAT_ACTIONS
from bot.transport.base import (
    FORGET_DIRECT,
    Handler,
    Outgoing,
    TransientDeliveryError,
    VoteHandler,
)
from bot.transport.matrix_chats import MatrixChats
from bot.transport.matrix_cross_signing import when_device_ready
from bot.transport.matrix_network import MatrixSettings
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
        on_vote: VoteHandler | None = None,
        store: Path | None = None,
    ) -> None:
        self.settings = settings
        self.user_id = settings.user_id
        self.supervisor = Supervisor(
            base=BACKOFF_BASE_S, cap=settings.max_retry_wait_seconds, rand=rand
        )
        self.session = MatrixSession(settings, state, store)
        if self.session.crypto is not None:
            # Right after every login's key upload: the device signed by its account.
            self.session.crypto.device_ready = when_device_ready(self.session)
        self.client = self.session.client
        self.rooms = MatrixRooms(
            self.session, (*settings.allow_invites_from, *trusted_inviters)
        )
        self.sender = MatrixSender(self.session, self.rooms, settings.poll_room,
                                   settings.status_room)
        self.chats = MatrixChats(self.session, settings.chats_space)
        self.sync = MatrixSync(self.session, self.rooms, self.supervisor, clock, on_vote)
        self.ready = self.sync.ready  # set once the first sync has been processed

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
            await self.client.close()

    @property
    def last_sync(self) -> datetime | None:
        """When the homeserver last answered a sync (for /healthz); None before the first."""
        return self.sync.last_sync

    async def stop(self) -> None:
        """Stop syncing; the commands of the batch being handled finish first."""
        self.supervisor.stop()

    async def deliver(self, message: Outgoing) -> str | None:
        """Send one message once logged in (see `matrix_send`); its last event id."""
        await self._until_ready(message.user is not None)
        return await self.sender.deliver(message)

    async def edit(self, message: Outgoing) -> None:
        """Edit a message sent before (the status board's; see `matrix_send`)."""
        await self._until_ready(False)
        await self.sender.edit(message)

    async def act(self, message: Outgoing) -> str | None:
        """An outbox action: FORGET_DIRECT leaves and forgets the person's direct chats;
        the CHAT_* ones are a local room's chat (`matrix_chats`)."""
        await self._until_ready(True)
        if message.action in CHAT_ACTIONS:
            return await self.chats.act(message)
        if message.action == FORGET_DIRECT and message.mentions:
            await self.rooms.forget_person(message.mentions[0], message.room)
        return None

    async def _until_ready(self, direct: bool) -> None:
        """Wait until logged in (`direct`: and the first sync was processed)."""
        if self.supervisor.stopping:
            raise TransientDeliveryError("the Matrix transport is stopping")
        if not self.session.logged_in.is_set():
            try:
                await self.supervisor.until_stopped(self.session.logged_in.wait())
            except Stopped:
                raise TransientDeliveryError("the Matrix transport is stopping") from None
        if direct and not self.ready.is_set():
            # A person's direct chat is known from the first sync (m.direct, the rooms'
            # members): before it, everyone would seem to have none and get a new one
            # (reminders or notices left pending by the last run, sent at start).
            try:
                await self.supervisor.until_stopped(self.ready.wait())
            except Stopped:
                raise TransientDeliveryError("the Matrix transport is stopping") from None

    async def power_level(self, room: str, user: str) -> int | None:
        return self.rooms.power_level(room, user)
