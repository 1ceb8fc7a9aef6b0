"""The Zulip transport: a generic Zulip bot account behind the Transport protocol.

Only the `zulip*` modules know Zulip's API (zulip.com/api), spoken over aiohttp:

- `zulip_api`: requests, Zulip's errors, HTTP 429 pacing with `Retry-After`;
- `zulip_receive`: the event queue, long-polled, re-registered when it is
  gone, gaps filled from the message history, the last handled message id
  kept in the database;
- `zulip_send`: one outbox message as a Zulip message (uploads linked), with
  the in-flight check that makes a send cut short by a crash land once;
- `zulip_chats`: a private channel per local room;
- `zulip_people`: names, e-mails and roles; who is an organizer;
- `zulip_polls`: the daily question as a poll widget, votes from `submessage`
  events (handed to `on_vote`);
- `zulip_format`: pure parts (user ids `zulip:<id>`, conversation keys,
  reading commands, rendering for Zulip's Markdown).

What counts as a command: a message in a channel the bot is subscribed to
that starts with the prefix or with a mention of the bot, and every message
of a one-to-one direct conversation with the bot (prefix optional there).
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable
from datetime import datetime

from bot.clock import Clock
from bot.db.state import StateStore
from bot.messages import CHAT_ACTIONS
from bot.transport.base import (
    Handler,
    LoginFailed,
    Outgoing,
    TransientDeliveryError,
    VoteHandler,
)
from bot.transport.position import SyncPosition
from bot.transport.supervisor import Stopped, Supervisor
from bot.transport.zulip_api import NETWORK, ZulipApi, ZulipError
from bot.transport.zulip_chats import ZulipChats
from bot.transport.zulip_network import ZulipSettings
from bot.transport.zulip_people import Directory
from bot.transport.zulip_receive import STATE_LAST_MESSAGE, ZulipReceiver
from bot.transport.zulip_send import ZulipSender

__all__ = ["NETWORK", "ZulipLoginError", "ZulipTransport"]

log = logging.getLogger(__name__)

BACKOFF_BASE_S = 0.25


class ZulipLoginError(LoginFailed):
    """The server rejects the bot's e-mail and API key."""


class ZulipTransport:
    """A Zulip bot account as the bot's chat network."""

    network = NETWORK

    def __init__(
        self, settings: ZulipSettings, state: StateStore, clock: Clock, *, prefix: str,
        rand: Callable[[], float] = random.random, on_vote: VoteHandler | None = None,
    ) -> None:
        self.settings = settings
        self.supervisor = Supervisor(
            base=BACKOFF_BASE_S, cap=settings.max_retry_wait_seconds, rand=rand)
        self.api = ZulipApi(settings)
        self.directory = Directory(self.api, settings)
        self.receiver = ZulipReceiver(
            self.api, self.directory, self.supervisor, SyncPosition(state, STATE_LAST_MESSAGE),
            clock, settings, prefix, on_vote)
        self.sender = ZulipSender(self.api, self.directory, state,
                                  lambda: self.receiver.high_water, self.receiver.sent, settings,
                                  lambda: self.receiver.max_message_length)
        self.chats = ZulipChats(self.api)
        self.connected = asyncio.Event()
        self.ready = self.receiver.ready  # set once registered and caught up

    async def run(self, handler: Handler) -> None:
        """Connect, then receive and hand every new message to `handler` until stop()."""
        try:
            await self.supervisor.supervised(self._connect, "connect to Zulip",
                                             fatal=(ZulipLoginError,))
            self.connected.set()
            await self.receiver.run(handler)
        except Stopped:
            pass
        finally:
            self.connected.clear()
            await self.api.close()

    async def _connect(self) -> None:
        try:
            me = await self.directory.load_me()
        except ZulipError as error:
            if error.status == 401 or error.code in ("UNAUTHORIZED", "INVALID_API_KEY"):
                raise ZulipLoginError(
                    f"the Zulip server {self.settings.site} rejects the e-mail "
                    f"{self.settings.email} with this API key: {error.msg}") from error
            raise
        await self.directory.refresh()
        log.info("connected to %s as %s (%s, user id %d)", self.settings.site,
                 me.full_name, me.email, me.user_id)

    @property
    def last_sync(self) -> datetime | None:
        """When the server last answered a poll (for /healthz); None before the first."""
        return self.receiver.last_sync

    async def stop(self) -> None:
        """Stop receiving; the commands of the batch being handled finish first."""
        self.supervisor.stop()

    async def deliver(self, message: Outgoing) -> str | None:
        """Send one message once connected and registered (the server's message size
        limit known; see `zulip_send`); its message id."""
        if self.supervisor.stopping:
            raise TransientDeliveryError("the Zulip transport is stopping")
        if not (self.connected.is_set() and self.receiver.registered.is_set()):
            try:
                await self.supervisor.until_stopped(self._usable())
            except Stopped:
                raise TransientDeliveryError("the Zulip transport is stopping") from None
        return await self.sender.deliver(message)

    async def edit(self, message: Outgoing) -> None:
        """Edit a message sent before (the status board's; see `zulip_send`)."""
        if not (self.connected.is_set() and self.receiver.registered.is_set()):
            try:
                await self.supervisor.until_stopped(self._usable())
            except Stopped:
                raise TransientDeliveryError("the Zulip transport is stopping") from None
        await self.sender.edit(message)

    async def _usable(self) -> None:
        await self.connected.wait()
        await self.receiver.registered.wait()

    async def act(self, message: Outgoing) -> str | None:
        """An outbox action: a local room's chat (`zulip_chats`), once connected; else
        one of `zulip_send`'s, nothing on the network."""
        if message.action in CHAT_ACTIONS:
            if not self.connected.is_set():
                raise TransientDeliveryError("not connected to Zulip yet")
            return await self.chats.act(message)
        await self.sender.act(message)
        return None

    async def is_organizer(self, user: str) -> bool:
        """A configured organizer (id or e-mail) or, if configured, an owner,
        administrator or moderator of the organization."""
        return await self.directory.is_organizer(user)
