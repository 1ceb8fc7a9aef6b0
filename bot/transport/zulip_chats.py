"""Local rooms' chats on Zulip: a private channel per local room, its people
subscribed and unsubscribed, archived where the bot may (the outbox's CHAT_* actions).

Creating a channel is subscribing to one that does not exist yet
(`POST /users/me/subscriptions` with `invite_only`), which Zulip does not make
idempotent; the chat's channel is named once, from the local room's code and name
(`R12 Oslo classroom`, at most 60 characters, Zulip's `max_stream_name_length`),
and after a crash the bot first looks for a channel of that name among its own
subscriptions, so a retried creation finds the channel made before.

Zulip has no power levels per channel: the room's hosts and team leads are
subscribed like its learners. Archiving (`DELETE /streams/{id}`) is for
organization administrators only; a bot that is not one gets an error, and then
the channel's description says it is archived instead (the channel's own
administrators, its creator by default, may change it) and the channel stays.
"""

from __future__ import annotations

import logging
from typing import Any

from bot.messages import (
    CHAT_ARCHIVE,
    CHAT_CREATE,
    CHAT_INVITE,
    CHAT_REMOVE,
    ChatOrder,
    Outgoing,
    PermanentDeliveryError,
    TransientDeliveryError,
)
from bot.transport.zulip_api import Unreachable, ZulipApi, ZulipError
from bot.transport.zulip_format import user_number

log = logging.getLogger(__name__)

ARCHIVED_PREFIX = "Archived: "


class ZulipChats:
    """Does the chat actions of one Zulip bot account."""

    def __init__(self, api: ZulipApi) -> None:
        self.api = api
        self._ids: dict[str, int] = {}  # channel name -> id, found or made in this run

    async def act(self, message: Outgoing) -> str | None:
        """Do a CHAT_* action; for a creation, the channel's id."""
        order = ChatOrder.read(message.text)
        try:
            if message.action == CHAT_CREATE:
                return str(await self.create(order))
            person = user_number(message.mentions[0]) if message.mentions else None
            if message.action == CHAT_INVITE and person is not None:
                await self._call("POST", "users/me/subscriptions", {
                    "subscriptions": [{"name": order.name}], "principals": [person]})
            elif message.action == CHAT_REMOVE and person is not None:
                await self._call("DELETE", "users/me/subscriptions", {
                    "subscriptions": [order.name], "principals": [person]})
            elif message.action == CHAT_ARCHIVE:
                await self._archive(order)
        except ZulipError as error:
            if error.status >= 500 or error.retry_after is not None:
                raise TransientDeliveryError(f"{message.action}: {error.msg}") from error
            raise PermanentDeliveryError(f"{message.action}: {error.code}: {error.msg}") from error
        except Unreachable as error:
            raise TransientDeliveryError(str(error)) from error
        return None

    async def create(self, order: ChatOrder) -> int:
        found = await self._find(order.name)
        if found is not None:
            return found
        await self._call("POST", "users/me/subscriptions", {
            "subscriptions": [{"name": order.name, "description": order.topic}],
            "invite_only": True})
        made = await self._find(order.name)
        if made is None:
            raise TransientDeliveryError(f"the channel {order.name!r} is not there yet")
        log.info("created the private channel %d", made)
        return made

    async def _find(self, name: str) -> int | None:
        """The id of the channel of this name the bot is subscribed to, if any."""
        if name in self._ids:
            return self._ids[name]
        answer = await self._call("GET", "users/me/subscriptions")
        for channel in answer.get("subscriptions", []):
            if str(channel.get("name", "")).lower() == name.lower():  # names ignore case
                self._ids[name] = int(channel["stream_id"])
                return self._ids[name]
        return None

    async def _archive(self, order: ChatOrder) -> None:
        channel = await self._find(order.name)
        if channel is None:
            return  # nothing of ours to archive
        try:
            await self._call("DELETE", f"streams/{channel}")
            self._ids.pop(order.name, None)
            return
        except ZulipError as error:
            if error.status >= 500 or error.retry_after is not None:
                raise
            log.info("the bot may not archive channel %d (%s); marking it archived",
                     channel, error.msg)
        await self._call("PATCH", f"streams/{channel}",
                         {"description": ARCHIVED_PREFIX + order.topic})

    async def _call(self, method: str, endpoint: str,
                    params: dict[str, Any] | None = None) -> dict[str, Any]:
        return await self.api.paced(method, endpoint, params)
