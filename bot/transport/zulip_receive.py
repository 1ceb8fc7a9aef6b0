"""Receiving on Zulip: an event queue, long-polled, and the history to fill its gaps.

- Register a queue for `message` events (raw Markdown: `apply_markdown=false`)
  and `submessage` events (votes on the bot's polls, handed to `on_vote`: see
  `zulip_polls`), and long-poll `GET /events` with the timeout the server announces
  (`event_queue_longpoll_timeout_seconds`) plus a grace; heartbeats just end a
  poll.
- A queue that is gone (`BAD_EVENT_QUEUE_ID`: the bot was away too long, the
  server restarted) is registered again, and what was said meanwhile is read
  from `GET /messages` after the last handled message id, page by page, before
  the new queue's events. The same happens at every start.
- The last handled message id is kept in the database (`transport_state`,
  network `zulip`, key `last_message_id`) and saved only after every command
  up to it was handled; each command claims its message id in its own
  transaction, so a message delivered twice (history, then the queue; or
  after a crash) is answered once. The very first start answers nothing from
  before it (the `register` answer's `max_message_id`, else the newest message
  id from the history); after a restart, messages older than
  `command_max_age_minutes` are logged, not answered.
- Failures (server unreachable, 5xx) are retried with the shared backoff
  (`Supervisor`), capped at `max_retry_wait_seconds`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from bot import metrics
from bot.clock import Clock
from bot.transport.base import DatabaseUnavailable, Handler, Incoming, VoteHandler
from bot.transport.position import SyncPosition
from bot.transport.supervisor import Stopped, Supervisor
from bot.transport.zulip_api import NETWORK, Unreachable, ZulipApi, ZulipError
from bot.transport.zulip_format import (
    MAX_LENGTH,
    ZulipMessage,
    command_text,
    read_message,
    user_key,
)
from bot.transport.zulip_network import ZulipSettings
from bot.transport.zulip_people import Directory
from bot.transport.zulip_polls import read_vote

log = logging.getLogger(__name__)

STATE_LAST_MESSAGE = "last_message_id"
LONGPOLL_GRACE_S = 15.0
DEFAULT_LONGPOLL_S = 90.0
GAP_PAGE_SIZE = 100
GAP_MAX_PAGES = 50


class QueueGone(Exception):
    """The event queue no longer exists: register a new one."""


class ZulipReceiver:
    def __init__(
        self, api: ZulipApi, directory: Directory, supervisor: Supervisor,
        position: SyncPosition, clock: Clock, settings: ZulipSettings, prefix: str,
        on_vote: VoteHandler | None = None,
    ) -> None:
        self.on_vote = on_vote
        self.api = api
        self.directory = directory
        self.supervisor = supervisor
        self.position = position
        self.clock = clock
        self.settings = settings
        self.prefix = prefix
        self.ready = asyncio.Event()  # set once the first queue is registered and caught up
        self.registered = asyncio.Event()  # set once a `register` answered (limits known)
        self.max_message_length = MAX_LENGTH  # the server's, once registered
        self.last_sync: datetime | None = None  # when the server last answered a poll
        self.last_message_id: int | None = None  # the last one handled
        self.last_sent_id = 0  # the last one the bot sent
        self._polled = False  # whether the current queue answered a poll

    @property
    def high_water(self) -> int:
        """No message the bot sends from now on can have an id at or below this."""
        return max(self.last_message_id or 0, self.last_sent_id)

    def sent(self, message_id: int) -> None:
        self.last_sent_id = max(self.last_sent_id, message_id)

    async def run(self, handler: Handler) -> None:
        saved = await self.position.load()
        self.last_message_id = int(saved) if saved and saved.isdigit() else None
        failures = 0
        while True:
            try:
                queue = await self.supervisor.until_stopped(self._register())
                await self.supervisor.until_stopped(self._catch_up(handler))
                self.ready.set()
                failures = 0
                self._polled = False
                await self._poll(queue, handler)
            except QueueGone:
                log.info("the Zulip event queue is gone; registering a new one")
                if not self._polled:  # gone at once: no busy loop of registrations
                    failures += 1
                    await self.supervisor.pause(self.supervisor.backoff(failures))
                continue
            except Stopped:
                raise
            except (Unreachable, ZulipError, TimeoutError, DatabaseUnavailable) as exc:
                failures += 1
                metrics.SYNC_FAILURES.labels(network=NETWORK).inc()
                delay = self.supervisor.backoff(failures)
                log.warning("Zulip: %s (attempt %d); retrying in %.1f s", exc, failures, delay)
                await self.supervisor.pause(delay)

    async def _register(self) -> dict[str, Any]:
        # `realm` in fetch_event_types brings the server's `max_message_length`;
        # `message` brings `max_message_id`. Neither adds events to the queue.
        answer = await self.api.paced("POST", "register", {
            "event_types": ["message", "submessage"], "fetch_event_types": ["message", "realm"],
            "apply_markdown": False, "client_gravatar": True,
        })
        longest = answer.get("max_message_length")
        self.max_message_length = (longest if isinstance(longest, int) and longest > 0
                                   else MAX_LENGTH)
        if self.last_message_id is None:
            # The very first start: what was said before is history, not commands.
            newest = answer.get("max_message_id")
            self.last_message_id = (max(newest, 0) if isinstance(newest, int)
                                    else await self._newest_message_id())
            await self.position.save_after_batch(str(self.last_message_id))
            log.info("first start on Zulip: messages up to %s are left unanswered",
                     self.last_message_id)
        self.last_sync = self.clock.now()
        self.registered.set()
        return answer

    async def _newest_message_id(self) -> int:
        """The id of the newest message the bot can see (0: none), for a `register`
        answer without `max_message_id`: `GET /messages` with `anchor=newest` is
        the documented way to the newest message. Message ids only grow, so the
        cut is exact, where one by timestamp would need the server's clock and
        ours to agree."""
        answer = await self.api.paced("GET", "messages", {
            "anchor": "newest", "num_before": 1, "num_after": 0, "apply_markdown": False,
            "narrow": [],
        })
        raw = answer.get("messages")
        found = raw if isinstance(raw, list) else []
        return max((m["id"] for m in found if isinstance(m, dict) and isinstance(
            m.get("id"), int)), default=0)

    async def _catch_up(self, handler: Handler) -> None:
        """Answer what came after the last handled message (a restart, a queue expiry)."""
        cutoff = self.clock.now() - timedelta(minutes=self.settings.command_max_age_minutes)
        for _page in range(GAP_MAX_PAGES):
            answer = await self.api.paced("GET", "messages", {
                "anchor": str(self.last_message_id or 0), "include_anchor": False, "num_before": 0,
                "num_after": GAP_PAGE_SIZE, "apply_markdown": False, "narrow": [],
            })
            raw = answer.get("messages")
            messages = [m for m in raw if isinstance(m, dict)] if isinstance(raw, list) else []
            if messages:
                log.info("Zulip: %d messages since the last one handled", len(messages))
            await self._handle(messages, handler, older_than=cutoff)
            if not messages or answer.get("found_newest", True):
                return

    async def _poll(self, queue: dict[str, Any], handler: Handler) -> None:
        queue_id = queue.get("queue_id")
        last_event = queue.get("last_event_id", -1)
        timeout = queue.get("event_queue_longpoll_timeout_seconds")
        timeout = float(timeout) if isinstance(timeout, int | float) else DEFAULT_LONGPOLL_S
        failures = 0
        while True:
            try:
                answer = await self.supervisor.until_stopped(self.api.call(
                    "GET", "events", {"queue_id": queue_id, "last_event_id": last_event},
                    wait_s=timeout + LONGPOLL_GRACE_S))
            except ZulipError as error:
                if error.code == "BAD_EVENT_QUEUE_ID":
                    raise QueueGone from error
                if error.retry_after is None:
                    raise
                await self._wait_out(error.retry_after)
                continue
            except (Unreachable, TimeoutError) as exc:
                failures += 1  # the queue may well survive an outage: poll it again
                metrics.SYNC_FAILURES.labels(network=NETWORK).inc()
                delay = self.supervisor.backoff(failures)
                log.warning("Zulip events: %s (attempt %d); retrying in %.1f s",
                            exc, failures, delay)
                await self.supervisor.pause(delay)
                continue
            failures = 0
            self._polled = True
            self.last_sync = self.clock.now()
            events = [e for e in answer.get("events", []) if isinstance(e, dict)]
            ids = [e["id"] for e in events if isinstance(e.get("id"), int)]
            await self._handle_events(events, handler)
            if ids:
                last_event = max(ids)

    async def _handle_events(self, events: list[dict[str, Any]], handler: Handler) -> None:
        """Messages and votes in the order they came: a vote is recorded before a
        command sent after it (a summary) is handled."""
        messages: list[dict[str, Any]] = []
        for event in events:
            if event.get("type") == "message" and isinstance(event.get("message"), dict):
                messages.append(event["message"])
            elif event.get("type") == "submessage":
                await self._handle(messages, handler, older_than=None)
                messages = []
                await self._vote(event)
        await self._handle(messages, handler, older_than=None)

    async def _vote(self, event: dict[str, Any]) -> None:
        """Hand a vote on a poll to `on_vote`. One that cannot be recorded is logged
        and dropped (the event queue is not replayed for it)."""
        me = self.directory.me
        vote = read_vote(event, me.user_id) if me is not None else None
        if self.on_vote is None or vote is None:
            return
        try:
            await self.on_vote(vote)
        except Exception:
            log.exception("recording a vote of %s on Zulip message %s failed",
                          vote.voter, vote.poll)

    async def _wait_out(self, seconds: float) -> None:
        metrics.RATE_LIMITED.labels(network=NETWORK).inc()
        log.info("Zulip events rate limited; waiting %.1f s", seconds)
        await self.supervisor.pause(seconds)

    async def _handle(
        self, raw: list[dict[str, Any]], handler: Handler, *, older_than: datetime | None
    ) -> None:
        """One batch: commands of a conversation in order, conversations concurrently;
        the position is saved once all are handled."""
        last = self.last_message_id or 0
        fresh = [m for m in raw if isinstance(m.get("id"), int) and m["id"] > last]
        if not fresh:
            return
        me = self.directory.me
        assert me is not None
        read = [m for m in (read_message(item, me.user_id) for item in fresh) if m is not None]
        await self.directory.know({m.sender_id for m in read})
        by_conversation: dict[str, list[Incoming]] = {}
        for message in read:
            if older_than is not None and message.sent_at is not None and (
                    message.sent_at < older_than):
                log.info("leaving Zulip message %d unanswered: sent %s, over %d minutes ago",
                         message.id, message.sent_at, self.settings.command_max_age_minutes)
                continue
            incoming = self._incoming(message, me.user_id, me.full_name)
            by_conversation.setdefault(incoming.room, []).append(incoming)
        left = sum(await asyncio.gather(
            *(_in_order(handler, items) for items in by_conversation.values())
        ))
        if left:
            # The position stays: after a pause the gap is read again from the history
            # and the commands already handled are skipped by their claims.
            raise DatabaseUnavailable(f"{left} Zulip messages left for another try")
        self.last_message_id = max(m["id"] for m in fresh)
        await self.position.save_after_batch(str(self.last_message_id))

    def _incoming(self, message: ZulipMessage, own_id: int, own_name: str) -> Incoming:
        return Incoming(
            network=NETWORK,
            sender=user_key(message.sender_id),
            room=message.conversation.key,
            body=command_text(message.content, own_id=own_id, own_name=own_name,
                              prefix=self.prefix, resolve=self.directory.by_name),
            is_direct=message.is_direct,
            event_id=str(message.id),
            sent_at=message.sent_at,
            channel=message.conversation.channel,
        )


async def _in_order(handler: Callable[[Incoming], Awaitable[Any]],
                    messages: list[Incoming]) -> int:
    """One conversation's messages in order; how many were left for another try (the
    database could not be reached: the rest of the conversation waits too, in order)."""
    for index, message in enumerate(messages):
        try:
            await handler(message)
        except DatabaseUnavailable:
            return len(messages) - index
        except Exception:
            log.exception("handling Zulip message %s from %s failed",
                          message.event_id, message.sender)
    return 0
