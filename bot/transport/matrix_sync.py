"""Receiving on Matrix: the supervised sync loop and what a batch asks for.

- Its own supervised sync loop instead of nio's `sync_forever`, which spins
  without pause on errors and dies on a broken response: exponential backoff
  with jitter, capped at `max_retry_wait_seconds` so a restarted homeserver
  is seen within seconds; the first sync bounded by `asyncio.wait_for`; a new
  password login when the access token is rejected.
- Restarts neither repeat nor skip a command. The sync token is saved only
  after every command of a batch has been handled (its answer committed to
  the outbox); the dispatcher claims each event id in the command's own
  transaction, so a batch delivered again after a crash is skipped event by
  event. After the first batch of a run, the token is saved a little later
  (the newest one only), so the next sync goes out at once; a crash in
  between re-delivers batches whose commands were handled. A command the
  database could not take (locked past its busy timeout) is not skipped
  either: the batch is fetched again after a backoff, from the position
  before it.
  After a restart the first sync starts from the saved token (with full
  state), fills a gap in a busy room's timeline from the room's history, and
  answers what is younger than `command_max_age_minutes`. The very first start
  (no saved token) answers nothing sent before it, in any room: old history is
  not a queue of commands.
- Encrypted messages nio decrypted are read like any other. One it could not
  decrypt waits for its key (`matrix_keys`), and the long-poll ends in time to
  give it up; after each batch the keys it asks for are dealt with
  (`matrix_crypto`). With encryption off, the first encrypted message of a room
  is answered once with the pointer to an unencrypted chat.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from datetime import datetime, timedelta
from typing import Any

from nio import MessageDirection, RoomMessagesResponse, SyncResponse

from bot import metrics
from bot.clock import Clock
from bot.transport.base import DatabaseUnavailable, Delivered, Handler, Incoming, VoteHandler
from bot.transport.matrix_format import read_text_message
from bot.transport.matrix_keys import MatrixKeys
from bot.transport.matrix_policy import from_timestamp_ms, too_old
from bot.transport.matrix_polls import read_poll_response
from bot.transport.matrix_rooms import MatrixRooms
from bot.transport.matrix_session import (
    NETWORK,
    REJECTED_TOKEN_ERRORS,
    STATE_ACCESS_TOKEN,
    STATE_SYNC_TOKEN,
    MatrixLoginError,
    MatrixSession,
    error_code,
    event_source,
)
from bot.transport.position import SyncPosition
from bot.transport.supervisor import Stopped, Supervisor

log = logging.getLogger(__name__)

# The first sync (timeout=0, possibly full state) has no client-side timeout in nio.
FIRST_SYNC_DEADLINE_S = 120.0
# How much longer than the long-poll itself a sync may take before we give up on it.
SYNC_GRACE_S = 30.0
# How long the next sync waits for the answers of a batch to be sent (usually a few
# tens of milliseconds; longer only when the homeserver is slow or rate limits).
ANSWERS_WAIT_S = 0.5
# Events per room in one sync; a busier room sets `limited` and the gap is paginated.
TIMELINE_LIMIT = 50
GAP_PAGE_SIZE = 100
GAP_MAX_PAGES = 20
# What the bot reads of a sync, and no more: the rooms' timelines and state
# (members, power levels, polls), invites, leaves, and the `m.direct` account
# data. Left out: presence, typing and read receipts, other account data. Each is
# work the homeserver skips, and a long-poll no longer ended by someone typing.
SYNC_FILTER: dict[str, Any] = {
    "presence": {"not_types": ["*"]},
    "account_data": {"types": ["m.direct"]},
    "room": {
        "timeline": {"limit": TIMELINE_LIMIT},
        "ephemeral": {"not_types": ["*"]},
        "account_data": {"not_types": ["*"]},
    },
}


class MatrixSync:
    """Turns sync batches into `Incoming` messages for the handler."""

    def __init__(
        self,
        session: MatrixSession,
        rooms: MatrixRooms,
        supervisor: Supervisor,
        clock: Clock,
        on_vote: VoteHandler | None = None,
    ) -> None:
        self.on_vote = on_vote
        self.session = session
        self.settings = session.settings
        self.state = session.state
        self.position = SyncPosition(session.state, STATE_SYNC_TOKEN)
        self.client = session.client
        self.user_id = session.user_id
        self.rooms = rooms
        self.supervisor = supervisor
        self.clock = clock
        self.ready = asyncio.Event()  # set once the first sync has been processed
        self._since: str | None = None
        self._history_before: datetime | None = None
        self.keys = MatrixKeys(session.crypto, rooms, clock, self.user_id, self._max_age(),
                               session.state)
        self.last_sync: datetime | None = None  # when a sync last succeeded

    async def run(self, handler: Handler) -> None:
        try:
            await self._run(handler)
        finally:
            await self.position.flush()  # a position being saved in the background

    async def _run(self, handler: Handler) -> None:
        self._since = await self.position.load()
        await self.keys.load()
        if self._since is None:
            # The very first start: what was said before now is history, also in rooms
            # the bot joins during this run (their first timeline reaches back).
            self._history_before = self.clock.now()
        first = True
        failures = 0
        need_login = False
        while not self.supervisor.stopping:
            try:
                if need_login:
                    device = self.client.device_id or None
                    await self.supervisor.until_stopped(self.session.password_login(device))
                    await self.supervisor.until_stopped(self.session.after_login())
                    need_login = False
                response = await self.supervisor.until_stopped(self._sync(first))
                if isinstance(response, SyncResponse):
                    answers = await self._process(
                        response, handler, initial=self._since is None, full_state=first
                    )
                    # Every command of the batch was handled (committed with its
                    # answer): a restart from here skips none. The first of a run is
                    # saved before it is followed; the others a little later, the newest
                    # only, so the next long-poll goes out at once (a command often
                    # follows an answer) and most batches cost no write.
                    if first:
                        await self.position.save_after_batch(response.next_batch)
                    else:
                        self.position.save_later(response.next_batch)
                    self._since = response.next_batch
                    if self.session.crypto is not None:
                        await self.session.crypto.after_sync()
                    await self._answers_on_their_way(answers)
                    if failures:
                        log.info("syncing with %s again after %d failed attempts",
                                 self.settings.homeserver, failures)
                    failures = 0
                    first = False
                    self.last_sync = self.clock.now()  # for /healthz
                    if not self.ready.is_set():
                        log.info("first sync done; answering commands")
                    self.ready.set()
                    continue
                if error_code(response) in REJECTED_TOKEN_ERRORS:
                    log.warning("the homeserver no longer accepts the access token; logging in")
                    await self.state.set(STATE_ACCESS_TOKEN, None)
                    need_login = True
                    continue
                problem: object = response
            except (Stopped, MatrixLoginError):
                raise
            except Exception as exc:
                problem = exc or type(exc).__name__
            failures += 1
            metrics.SYNC_FAILURES.labels(network=NETWORK).inc()
            delay = self.supervisor.backoff(failures)
            log.warning("sync failed (attempt %d): %s; retrying in %.1f s",
                        failures, problem, delay)
            await self.supervisor.pause(delay)

    async def _sync(self, first: bool) -> Any:
        if first:
            # Right after a restart, full state: the rooms' members and power levels.
            return await asyncio.wait_for(
                self.client.sync(
                    timeout=0, since=self._since, full_state=self._since is not None,
                    sync_filter=SYNC_FILTER,
                ),
                timeout=FIRST_SYNC_DEADLINE_S,
            )
        # A message waiting for its key is given up on time, also when nothing happens.
        give_up = self.keys.next_give_up_s()
        wait_s = min(self.settings.sync_timeout_seconds, give_up if give_up is not None else 1e9)
        return await asyncio.wait_for(
            self.client.sync(
                timeout=max(1, int(wait_s * 1000)), since=self._since, sync_filter=SYNC_FILTER,
            ),
            timeout=wait_s + SYNC_GRACE_S,
        )

    async def _process(
        self, response: Any, handler: Handler, *, initial: bool, full_state: bool
    ) -> list[Delivered]:
        """Everything one sync batch asks for; returns when all its commands are handled,
        with their answers (committed, on their way).

        `initial`: the very first sync of this account's database (history is not
        answered). `full_state`: the batch carries every room's whole state, so every
        room can be checked for being empty.
        """
        for event in response.account_data_events:
            if getattr(event, "type", None) == "m.direct":
                self.rooms.note_direct(getattr(event, "content", None))
        for room_id in response.rooms.leave:
            self.rooms.note_left(room_id)
        for room_id, info in response.rooms.invite.items():
            try:
                await self.rooms.on_invite(room_id, info.invite_state)
            except Exception:  # one bad invite must not hold up the batch's commands
                log.exception("could not answer the invite to %s", room_id)
        by_room: dict[str, list[Incoming]] = {}
        maybe_alone: list[str] = []
        skipped = 0
        for room_id, info in response.rooms.join.items():
            self.rooms.note_joined(room_id)
            events = list(info.timeline.events)
            sources = [s for s in map(event_source, [*info.state, *events]) if s is not None]
            if self.rooms.note_state(room_id, sources) or full_state:
                maybe_alone.append(room_id)
            if initial:
                # First start ever: what was said before the bot ran is history, not commands.
                skipped += sum(1 for s in map(event_source, events)
                               if read_text_message(s, self.user_id) is not None)
                continue
            if info.timeline.limited and info.timeline.prev_batch:
                events = [*await self._fill_gap(room_id, info.timeline.prev_batch), *events]
            for event in events:
                if self.keys.encrypted(event):
                    try:
                        late = await self.keys.hold(room_id, event, self._history_before)
                    except Exception:  # one odd event must not hold up every later batch
                        log.exception("ignoring an encrypted event in %s", room_id)
                        continue
                    if late is not None:
                        by_room.setdefault(room_id, []).append(late)
                else:
                    await self._read(room_id, event, by_room)
        for room_id, late in await self.keys.sweep():  # decrypted now, or given up
            if isinstance(late, Incoming):
                by_room.setdefault(room_id, []).append(late)
            else:
                await self._read(room_id, late, by_room)
        if skipped:
            log.info("first start: %d earlier messages left unanswered", skipped)
        answers: list[Delivered] = []
        left = sum(await asyncio.gather(
            *(self._handle_room(handler, items, answers) for items in by_room.values())
        ))
        if left:
            # The database could not be reached: this batch is fetched again (from
            # the saved position) and its handled commands are skipped by their claims.
            raise DatabaseUnavailable(f"{left} messages left for another try")
        for room_id in maybe_alone:
            try:
                await self.rooms.leave_if_alone(room_id)
            except Exception:
                log.exception("could not leave the empty room %s", room_id)
        return answers

    async def _answers_on_their_way(self, answers: list[Delivered]) -> None:
        """Wait (at most ANSWERS_WAIT_S) until the batch's answers were sent before
        asking for the next batch. A sync waiting at the homeserver while the answers
        are sent is woken by each of them and computed at the same moment as the asker's
        own sync: measured, that delays every answer by a few milliseconds
        (bench/FINDINGS.md). Commands sent meanwhile are in the next batch."""
        waits = [asyncio.ensure_future(answer.wait()) for answer in answers]
        if waits:
            _done, pending = await asyncio.wait(waits, timeout=ANSWERS_WAIT_S)
            for wait in pending:
                wait.cancel()

    async def _read(self, room_id: str, event: Any, by_room: dict[str, list[Incoming]]) -> None:
        """A poll response is recorded; a text message joins its room's list."""
        if await self._vote(event):
            return
        try:
            incoming = self._incoming(room_id, event)
        except Exception:  # one odd event must not hold up every later batch
            log.exception("ignoring an event in %s that could not be read", room_id)
            return
        if incoming is not None:
            by_room.setdefault(room_id, []).append(incoming)

    async def _vote(self, event: Any) -> bool:
        """Hand a poll response to `on_vote` (recorded before the batch's commands);
        whether the event was one. One that cannot be recorded is logged and dropped."""
        vote = read_poll_response(event_source(event), self.user_id)
        if vote is None:
            return False
        if self.on_vote is not None:
            try:
                await self.on_vote(vote)
            except Exception:
                log.exception("recording a poll response of %s failed", vote.voter)
        return True

    async def _handle_room(
        self, handler: Handler, messages: list[Incoming], answers: list[Delivered]
    ) -> int:
        """One room's messages in order; rooms are handled concurrently. How many were
        left for another try (the database could not be reached: the rest of the room
        waits too, to keep its order)."""
        for index, message in enumerate(messages):
            try:
                answers.append(await handler(message))
            except DatabaseUnavailable:
                return len(messages) - index
            except Exception:
                log.exception("handling %s from %s failed", message.event_id, message.sender)
        return 0

    async def _fill_gap(self, room_id: str, prev_batch: str) -> list[Any]:
        """Events the sync left out of a busy room's timeline, back to our last position
        or to the oldest age still answered, oldest first.

        A homeserver error is logged and the gap left; a network error propagates, so
        the whole batch is fetched again (the token was not saved).
        """
        cutoff_ms = (self.clock.now() - self._max_age()).timestamp() * 1000
        found: list[Any] = []
        token = prev_batch
        for _page in range(GAP_MAX_PAGES):
            response = await self.session.call(
                functools.partial(
                    self.client.room_messages, room_id, start=token, end=self._since,
                    direction=MessageDirection.back, limit=GAP_PAGE_SIZE,
                ),
                pacer=self.session.other_pacer,
            )
            if not isinstance(response, RoomMessagesResponse):
                log.warning("could not fetch the missed messages of %s: %s", room_id, response)
                break
            found.extend(response.chunk)
            oldest = event_source(response.chunk[-1]) if response.chunk else None
            oldest_ts = oldest.get("origin_server_ts") if oldest else None
            if (not response.chunk or not response.end or response.end == token
                    or (isinstance(oldest_ts, int) and oldest_ts < cutoff_ms)):
                break
            token = response.end
        log.info("fetched %d missed events of %s", len(found), room_id)
        found.reverse()
        return found

    def _max_age(self) -> timedelta:
        return timedelta(minutes=self.settings.command_max_age_minutes)

    def _incoming(self, room_id: str, event: Any) -> Incoming | None:
        source = event_source(event)
        if source is None:
            return None
        message = read_text_message(source, self.user_id)
        if message is None:
            return None
        sent_at = from_timestamp_ms(message.origin_server_ts)
        if self._history_before and sent_at is not None and sent_at < self._history_before:
            log.info("leaving %s from %s in %s unanswered: sent before the bot's first start",
                     message.event_id, message.sender, room_id)
            return None
        if too_old(sent_at, self.clock.now(), self._max_age()):
            log.info("leaving %s from %s in %s unanswered: sent %s, over %d minutes ago",
                     message.event_id, message.sender, room_id, sent_at,
                     self.settings.command_max_age_minutes)
            return None
        return Incoming(
            network=NETWORK,
            sender=message.sender,
            room=room_id,
            body=message.body,
            is_direct=self.rooms.is_direct(room_id, message.sender),
            event_id=message.event_id,
            thread_root=message.thread_root,
            sent_at=sent_at,
            channel=room_id,
        )
