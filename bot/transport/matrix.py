"""The Matrix transport: matrix-nio behind the network-neutral Transport protocol.

This is the only module that imports nio. What it adds on top of nio, and why
(the measured nio and Synapse behaviour is in /work/shared/TESTING.md):

- Its own supervised sync loop instead of nio's `sync_forever`, which spins
  without pause on errors and dies on a broken response: exponential backoff
  with jitter, capped at `max_retry_wait_seconds` so a restarted homeserver
  is seen within seconds; the first sync bounded by `asyncio.wait_for`; a new
  password login when the access token is rejected.
- Restarts neither repeat nor skip a command. The sync token is saved only
  after every command of a batch has been handled; the dispatcher claims each
  event id in the command's own transaction, so a batch delivered again after
  a crash is skipped event by event. After a restart the first sync starts
  from the saved token (with full state), fills a gap in a busy room's
  timeline from the room's history, and answers what is younger than
  `command_max_age_minutes`. The very first start (no saved token) answers
  nothing sent before it, in any room: old history is not a queue of commands.
- Login by password once, then the access token and device id live in the
  database (`TransportState`) and are reused; or a configured access token.
- One outbound queue with a lane per room (order kept per room), HTTP 429
  honoured with `retry_after_ms` (nio is told to return 429s instead of
  sleeping on them forever), transaction ids derived from the message so a
  retried send lands once, and every final failure logged with the
  command's reference.
- Invites accepted only from allowed users or servers (and organizers);
  rooms where the bot is left alone are left; direct chats found in (or
  recorded into) the bot's `m.direct` account data; power levels from the
  room state, with room creators of version 12 rooms above every level.
- No end-to-end encryption: encrypted rooms are logged once and not read.

`run_matrix(settings)` is the `classroom-bot run` entry point.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import json
import logging
import random
import secrets
from collections.abc import Awaitable, Callable, Collection, Iterable
from datetime import datetime, timedelta
from typing import Any, TypeVar
from urllib.parse import quote

from nio import (
    AsyncClient,
    AsyncClientConfig,
    DirectRoomsResponse,
    ErrorResponse,
    JoinResponse,
    LoginResponse,
    MessageDirection,
    RoomCreateResponse,
    RoomLeaveResponse,
    RoomMessagesResponse,
    RoomPreset,
    RoomSendResponse,
    SyncResponse,
    UploadResponse,
    WhoamiResponse,
)

from bot.clock import Clock
from bot.config import MatrixSettings
from bot.db.state import StateStore
from bot.transport.base import (
    Attachment,
    Handler,
    Incoming,
    LoginFailed,
    Outgoing,
    PermanentDeliveryError,
    TransientDeliveryError,
)
from bot.transport.matrix_format import (
    direct_rooms,
    file_content,
    notice_content,
    read_text_message,
    transaction_id,
)
from bot.transport.matrix_policy import (
    from_timestamp_ms,
    invite_allowed,
    is_direct_room,
    power_level_of,
    too_old,
)
from bot.transport.pacing import Pacer
from bot.transport.retry import backoff_delay

log = logging.getLogger(__name__)

NETWORK = "matrix"

# Keys of the facts kept in TransportState between runs.
STATE_USER_ID = "user_id"
STATE_ACCESS_TOKEN = "access_token"
STATE_DEVICE_ID = "device_id"
STATE_SYNC_TOKEN = "sync_token"

REQUEST_TIMEOUT_S = 30.0
# The first sync (timeout=0, possibly full state) has no client-side timeout in nio.
FIRST_SYNC_DEADLINE_S = 120.0
# How much longer than the long-poll itself a sync may take before we give up on it.
SYNC_GRACE_S = 30.0
BACKOFF_BASE_S = 0.25
# Events per room in one sync; a busier room sets `limited` and the gap is paginated.
TIMELINE_LIMIT = 50
GAP_PAGE_SIZE = 100
GAP_MAX_PAGES = 20
# How long one request waits out HTTP 429 answers before it counts as a failed attempt.
SEND_DEADLINE_S = 600.0

# Errors that no retry will fix.
PERMANENT_SEND_ERRORS = frozenset(
    {"M_FORBIDDEN", "M_NOT_FOUND", "M_TOO_LARGE", "M_BAD_JSON", "M_NOT_JSON", "M_INVALID_PARAM",
     "M_UNRECOGNIZED", "M_UNKNOWN_POS"}
)
REJECTED_TOKEN_ERRORS = frozenset({"M_UNKNOWN_TOKEN", "M_MISSING_TOKEN"})
REJECTED_LOGIN_ERRORS = frozenset(
    {"M_FORBIDDEN", "M_USER_DEACTIVATED", "M_INVALID_PARAM", "M_INVALID_USERNAME"}
)

R = TypeVar("R")


class MatrixLoginError(LoginFailed):
    """The bot cannot log in, and retrying will not help until the configuration changes."""


class _Stopped(Exception):
    """stop() was called while waiting."""


class _Transient(Exception):
    """A temporary failure (homeserver down, 5xx): retried with backoff."""


def _error_code(response: Any) -> str | None:
    if isinstance(response, ErrorResponse):
        code = response.status_code
        return str(code) if code is not None else None
    return None


def _retry_after_s(response: Any) -> float | None:
    """Seconds the homeserver asked us to wait (HTTP 429), or None."""
    if _error_code(response) != "M_LIMIT_EXCEEDED":
        return None
    retry_ms = getattr(response, "retry_after_ms", None)
    return max(0.05, float(retry_ms) / 1000) if isinstance(retry_ms, int | float) else 5.0


def _event_source(event: Any) -> dict[str, Any] | None:
    source = getattr(event, "source", None)
    return source if isinstance(source, dict) else None


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
        self.state = state
        self.clock = clock
        self.user_id = settings.user_id
        self._allowed_inviters = (*settings.allow_invites_from, *trusted_inviters)
        self._rand = rand
        self.client = AsyncClient(
            settings.homeserver,
            settings.user_id,
            config=AsyncClientConfig(
                # 429s come back to us: the outbound queue paces itself instead of
                # nio sleeping inside one request, forever by default.
                max_limit_exceeded=0,
                # One immediate retry (a pooled connection the server closed), then the
                # error reaches our own loops and their backoff.
                max_timeouts=1,
                max_timeout_retry_wait_time=settings.max_retry_wait_seconds,
                request_timeout=REQUEST_TIMEOUT_S,
                encryption_enabled=False,
                store_sync_tokens=False,
            ),
        )
        self.ready = asyncio.Event()  # set once the first sync has been processed
        self._stopping = asyncio.Event()
        self._logged_in = asyncio.Event()
        self._send_pacer = Pacer()  # message sends: Synapse's rc_message bucket
        self._other_pacer = Pacer()  # joins, logins, uploads... other buckets
        self._direct: dict[str, list[str]] = {}
        self._created_direct: dict[str, str] = {}
        self._direct_lock = asyncio.Lock()
        self._since: str | None = None
        self._history_before: datetime | None = None
        self._warned_encrypted: set[str] = set()
        # Room id -> (creators, room version) from m.room.create; nio does not keep creators.
        self._creators: dict[str, tuple[tuple[str, ...], str | None]] = {}

    # -- the Transport protocol ------------------------------------------

    async def run(self, handler: Handler) -> None:
        """Log in, then sync and hand every new text message to `handler` until stop()."""
        try:
            await self._supervised(self._log_in, "log in")
            self._logged_in.set()
            await self._sync_loop(handler)
        except _Stopped:
            pass
        finally:
            self._logged_in.clear()
            await self.client.close()

    async def stop(self) -> None:
        """Stop syncing; the commands of the batch being handled finish first."""
        self._stopping.set()

    async def power_level(self, room: str, user: str) -> int | None:
        matrix_room = self.client.rooms.get(room)
        if matrix_room is None:
            return None
        creators, version = self._creators.get(room, ((), None))
        levels = matrix_room.power_levels
        return power_level_of(
            user,
            levels={str(k): int(v) for k, v in levels.users.items()},
            users_default=int(levels.defaults.users_default),
            creators=creators,
            room_version=version,
        )

    # -- waiting and retrying --------------------------------------------

    async def _pause(self, seconds: float) -> None:
        """Sleep, but wake up (raising _Stopped) as soon as stop() is called."""
        try:
            await asyncio.wait_for(self._stopping.wait(), timeout=seconds)
        except TimeoutError:
            return
        raise _Stopped

    async def _until_stopped(self, work: Awaitable[R]) -> R:
        """Run `work`; cancel it and raise _Stopped if stop() comes first."""
        task = asyncio.ensure_future(work)
        stopper = asyncio.ensure_future(self._stopping.wait())
        try:
            await asyncio.wait({task, stopper}, return_when=asyncio.FIRST_COMPLETED)
        except BaseException:
            task.cancel()
            raise
        finally:
            stopper.cancel()
        if not task.done():
            task.cancel()
            await asyncio.wait({task})  # let it unwind; its outcome no longer matters
            raise _Stopped
        return task.result()

    async def _supervised(self, step: Callable[[], Awaitable[None]], what: str) -> None:
        """Retry `step` with backoff while the homeserver is unreachable or failing."""
        attempt = 0
        while True:
            if self._stopping.is_set():
                raise _Stopped
            try:
                await self._until_stopped(step())
                return
            except (MatrixLoginError, _Stopped):
                raise
            except Exception as exc:
                attempt += 1
                delay = self._backoff(attempt)
                log.warning("could not %s (attempt %d): %s; retrying in %.1f s",
                            what, attempt, exc or type(exc).__name__, delay)
                await self._pause(delay)

    def _backoff(self, attempt: int) -> float:
        return backoff_delay(
            attempt, base=BACKOFF_BASE_S, cap=self.settings.max_retry_wait_seconds, rand=self._rand
        )

    async def _call(self, request: Callable[[], Awaitable[Any]], *, pacer: Pacer) -> Any:
        """Make a request, waiting out HTTP 429 answers for up to SEND_DEADLINE_S."""
        loop = asyncio.get_running_loop()
        give_up = loop.time() + SEND_DEADLINE_S
        while True:
            response = await pacer.run(request)
            wait = _retry_after_s(response)
            if wait is None or loop.time() + wait > give_up:
                return response
            log.info("rate limited by the homeserver; waiting %.1f s", wait)
            pacer.limited_for(wait)

    # -- login -------------------------------------------------------------

    async def _log_in(self) -> None:
        """Use a configured or saved access token if the homeserver accepts it, else log in."""
        saved_user = await self.state.get(STATE_USER_ID)
        if saved_user is not None and saved_user != self.user_id:
            # The database belonged to another account: its token and sync position are not ours.
            log.warning("forgetting the saved Matrix session of %s", saved_user)
            for key in (STATE_ACCESS_TOKEN, STATE_DEVICE_ID, STATE_SYNC_TOKEN):
                await self.state.set(key, None)
        await self.state.set(STATE_USER_ID, self.user_id)
        saved_token = await self.state.get(STATE_ACCESS_TOKEN)
        saved_device = await self.state.get(STATE_DEVICE_ID)
        candidates: list[tuple[str, str, str | None]] = []
        if self.settings.access_token:
            candidates.append(("configured access token", self.settings.access_token, None))
        if saved_token and saved_token != self.settings.access_token:
            candidates.append(("saved access token", saved_token, saved_device))
        for label, token, device in candidates:
            if await self._token_works(token, device):
                log.info("logged in to %s as %s (device %s) with the %s",
                         self.settings.homeserver, self.user_id, self.client.device_id, label)
                return
            log.warning("the homeserver rejected the %s", label)
        await self._password_login(saved_device)

    async def _token_works(self, token: str, device: str | None) -> bool:
        self.client.restore_login(self.user_id, device or "", token)
        response = await self._call(self.client.whoami, pacer=self._other_pacer)
        if isinstance(response, WhoamiResponse):
            if response.user_id != self.user_id:
                raise MatrixLoginError(
                    f"the access token belongs to {response.user_id}, "
                    f"not to matrix.user_id {self.user_id}"
                )
            self.client.device_id = response.device_id or device or ""
            return True
        if _error_code(response) in REJECTED_TOKEN_ERRORS:
            return False
        raise _Transient(f"checking the access token: {response}")

    async def _password_login(self, device: str | None) -> None:
        if not self.settings.password:
            raise MatrixLoginError(
                f"the homeserver {self.settings.homeserver} rejected the access token of "
                f"{self.user_id}, and no matrix.password is configured to log in again"
            )
        # The same device as before, so the bot does not leave a trail of devices behind.
        self.client.access_token = ""
        self.client.device_id = device
        password = self.settings.password
        response = await self._call(
            lambda: self.client.login(password, device_name=self.settings.device_name),
            pacer=self._other_pacer,
        )
        if not isinstance(response, LoginResponse):
            if _error_code(response) in REJECTED_LOGIN_ERRORS:
                raise MatrixLoginError(
                    f"cannot log in to {self.settings.homeserver} as {self.user_id}: {response}"
                )
            raise _Transient(f"logging in: {response}")
        await self.state.set(STATE_ACCESS_TOKEN, response.access_token)
        await self.state.set(STATE_DEVICE_ID, response.device_id)
        log.info("logged in to %s as %s with the password (device %s)",
                 self.settings.homeserver, self.user_id, response.device_id)

    # -- the sync loop -----------------------------------------------------

    async def _sync_loop(self, handler: Handler) -> None:
        self._since = await self.state.get(STATE_SYNC_TOKEN)
        if self._since is None:
            # The very first start: what was said before now is history, also in rooms
            # the bot joins during this run (their first timeline reaches back).
            self._history_before = self.clock.now()
        first = True
        failures = 0
        need_login = False
        while not self._stopping.is_set():
            try:
                if need_login:
                    await self._until_stopped(self._password_login(self.client.device_id or None))
                    need_login = False
                response = await self._until_stopped(self._sync(first))
                if isinstance(response, SyncResponse):
                    if failures:
                        log.info("syncing with %s again after %d failed attempts",
                                 self.settings.homeserver, failures)
                    failures = 0
                    await self._process(
                        response, handler, initial=self._since is None, full_state=first
                    )
                    self._since = response.next_batch
                    # Saved only now, after every command of the batch was handled.
                    await self.state.set(STATE_SYNC_TOKEN, self._since)
                    first = False
                    self.ready.set()
                    continue
                if _error_code(response) in REJECTED_TOKEN_ERRORS:
                    log.warning("the homeserver no longer accepts the access token; logging in")
                    await self.state.set(STATE_ACCESS_TOKEN, None)
                    need_login = True
                    continue
                problem: object = response
            except (_Stopped, MatrixLoginError):
                raise
            except Exception as exc:
                problem = exc or type(exc).__name__
            failures += 1
            delay = self._backoff(failures)
            log.warning("sync failed (attempt %d): %s; retrying in %.1f s",
                        failures, problem, delay)
            await self._pause(delay)

    async def _sync(self, first: bool) -> Any:
        sync_filter = {"room": {"timeline": {"limit": TIMELINE_LIMIT}}}
        if first:
            # Right after a restart, full state: the rooms' members and power levels.
            return await asyncio.wait_for(
                self.client.sync(
                    timeout=0, since=self._since, full_state=self._since is not None,
                    sync_filter=sync_filter,
                ),
                timeout=FIRST_SYNC_DEADLINE_S,
            )
        return await asyncio.wait_for(
            self.client.sync(
                timeout=self.settings.sync_timeout_seconds * 1000, since=self._since,
                sync_filter=sync_filter,
            ),
            timeout=self.settings.sync_timeout_seconds + SYNC_GRACE_S,
        )

    async def _process(
        self, response: Any, handler: Handler, *, initial: bool, full_state: bool
    ) -> None:
        """Everything one sync batch asks for; returns when all its commands are handled.

        `initial`: the very first sync of this account's database (history is not
        answered). `full_state`: the batch carries every room's whole state, so every
        room can be checked for being empty.
        """
        for event in response.account_data_events:
            if getattr(event, "type", None) == "m.direct":
                self._direct = direct_rooms(getattr(event, "content", None))
        for room_id, info in response.rooms.invite.items():
            try:
                await self._on_invite(room_id, info.invite_state)
            except Exception:  # one bad invite must not hold up the batch's commands
                log.exception("could not answer the invite to %s", room_id)
        by_room: dict[str, list[Incoming]] = {}
        maybe_alone: list[str] = []
        skipped = 0
        for room_id, info in response.rooms.join.items():
            events = list(info.timeline.events)
            sources = [s for s in map(_event_source, [*info.state, *events]) if s is not None]
            self._note_creators(room_id, sources)
            if full_state or any(self._someone_left(s) for s in sources):
                maybe_alone.append(room_id)
            if initial:
                # First start ever: what was said before the bot ran is history, not commands.
                skipped += sum(1 for s in map(_event_source, events)
                               if read_text_message(s, self.user_id) is not None)
                continue
            if info.timeline.limited and info.timeline.prev_batch:
                events = [*await self._fill_gap(room_id, info.timeline.prev_batch), *events]
            for event in events:
                incoming = self._incoming(room_id, event)
                if incoming is not None:
                    by_room.setdefault(room_id, []).append(incoming)
        if skipped:
            log.info("first start: %d earlier messages left unanswered", skipped)
        await asyncio.gather(*(self._handle_room(handler, items) for items in by_room.values()))
        for room_id in maybe_alone:
            try:
                await self._leave_if_alone(room_id)
            except Exception:
                log.exception("could not leave the empty room %s", room_id)

    def _someone_left(self, source: dict[str, Any]) -> bool:
        content = source.get("content")
        return (
            source.get("type") == "m.room.member"
            and source.get("state_key") != self.user_id
            and isinstance(content, dict)
            and content.get("membership") in ("leave", "ban")
        )

    def _note_creators(self, room_id: str, sources: Iterable[dict[str, Any]]) -> None:
        for source in sources:
            content = source.get("content")
            if source.get("type") != "m.room.create" or not isinstance(content, dict):
                continue
            sender = source.get("sender")
            extra = content.get("additional_creators")
            creators = [sender] + (extra if isinstance(extra, list) else [])
            version = content.get("room_version", "1")
            self._creators[room_id] = (
                tuple(c for c in creators if isinstance(c, str)),
                version if isinstance(version, str) else None,
            )

    async def _handle_room(self, handler: Handler, messages: list[Incoming]) -> None:
        """One room's messages in order; rooms are handled concurrently."""
        for message in messages:
            try:
                await handler(message)
            except Exception:
                log.exception("handling %s from %s failed", message.event_id, message.sender)

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
            response = await self._call(
                functools.partial(
                    self.client.room_messages, room_id, start=token, end=self._since,
                    direction=MessageDirection.back, limit=GAP_PAGE_SIZE,
                ),
                pacer=self._other_pacer,
            )
            if not isinstance(response, RoomMessagesResponse):
                log.warning("could not fetch the missed messages of %s: %s", room_id, response)
                break
            found.extend(response.chunk)
            oldest = _event_source(response.chunk[-1]) if response.chunk else None
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
        source = _event_source(event)
        if source is None:
            return None
        if source.get("type") == "m.room.encrypted" and room_id not in self._warned_encrypted:
            self._warned_encrypted.add(room_id)
            log.warning("%s is encrypted; the bot cannot read it (no end-to-end encryption)",
                        room_id)
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
        room = self.client.rooms.get(room_id)
        members = list(room.users) if room is not None else []
        marked = {r for rooms in self._direct.values() for r in rooms}
        marked.update(self._created_direct.values())
        return Incoming(
            network=NETWORK,
            sender=message.sender,
            room=room_id,
            body=message.body,
            is_direct=is_direct_room(room_id, self.user_id, message.sender, members, marked),
            event_id=message.event_id,
            thread_root=message.thread_root,
            sent_at=sent_at,
        )

    # -- rooms: invites, leaving, direct chats ------------------------------

    async def _on_invite(self, room_id: str, invite_state: Iterable[Any]) -> None:
        inviter: str | None = None
        direct = False
        for event in invite_state:
            source = _event_source(event)
            if source is None:
                continue
            # nio pops `content` out of the source of invite member events.
            content = source.get("content", getattr(event, "content", None))
            if (source.get("type") == "m.room.member" and source.get("state_key") == self.user_id
                    and isinstance(content, dict) and content.get("membership") == "invite"):
                sender = source.get("sender")
                inviter = sender if isinstance(sender, str) else None
                direct = content.get("is_direct") is True
        if invite_allowed(inviter, room_id, self._allowed_inviters):
            response = await self._call(lambda: self.client.join(room_id),
                                        pacer=self._other_pacer)
            if not isinstance(response, JoinResponse):
                log.warning("could not join %s (invited by %s): %s", room_id, inviter, response)
                return
            log.info("joined %s, invited by %s", room_id, inviter)
            if direct and inviter is not None:
                await self._remember_direct(inviter, room_id)
        else:
            response = await self._call(lambda: self.client.room_leave(room_id),
                                        pacer=self._other_pacer)
            log.info("rejected the invite to %s from %s (not in matrix.allow_invites_from)%s",
                     room_id, inviter,
                     "" if isinstance(response, RoomLeaveResponse) else f": {response}")

    async def _leave_if_alone(self, room_id: str) -> None:
        room = self.client.rooms.get(room_id)
        # Only on evidence: the bot's own membership known and nobody else joined or
        # invited. (A room can arrive in a sync before its state does: no members at all.)
        if room is None or set(room.users) != {self.user_id}:
            return
        response = await self._call(lambda: self.client.room_leave(room_id),
                                    pacer=self._other_pacer)
        if isinstance(response, RoomLeaveResponse):
            log.info("left %s: nobody else is in it", room_id)
        else:
            log.warning("could not leave the empty room %s: %s", room_id, response)

    async def _direct_room_for(self, user: str) -> str:
        """The direct chat with `user`: one we know, else a new one (recorded in m.direct)."""
        for room_id in self._direct.get(user, []):
            room = self.client.rooms.get(room_id)
            if room is not None and user in room.users:
                return room_id
        if user in self._created_direct:
            return self._created_direct[user]  # created in this run, maybe not synced yet
        for room in self.client.rooms.values():
            if set(room.users) == {self.user_id, user}:
                return str(room.room_id)
        response = await self._call(
            lambda: self.client.room_create(
                is_direct=True, invite=[user], preset=RoomPreset.trusted_private_chat
            ),
            pacer=self._other_pacer,
        )
        if not isinstance(response, RoomCreateResponse):
            raise TransientDeliveryError(f"could not create a direct chat with {user}: {response}")
        room_id = str(response.room_id)
        self._created_direct[user] = room_id
        log.info("created the direct chat %s with %s", room_id, user)
        await self._remember_direct(user, room_id)
        return room_id

    async def _remember_direct(self, user: str, room_id: str) -> None:
        """Add the room to the bot's m.direct account data (read, add, write back)."""
        async with self._direct_lock:
            current = dict(self._direct)
            try:
                response = await self._call(self.client.list_direct_rooms,
                                            pacer=self._other_pacer)
                if isinstance(response, DirectRoomsResponse):
                    current = direct_rooms(response.rooms)
                rooms = current.setdefault(user, [])
                if room_id in rooms:
                    self._direct = current
                    return
                rooms.append(room_id)
                path = (f"/_matrix/client/v3/user/{quote(self.user_id, safe='')}"
                        "/account_data/m.direct")
                answer = await self.client.send(
                    "PUT", path, json.dumps(current),
                    headers={"Authorization": f"Bearer {self.client.access_token}",
                             "Content-Type": "application/json"},
                )
                status = answer.status
                await answer.read()  # frees the connection
                if status != 200:
                    raise _Transient(f"HTTP {status}")
                self._direct = current
            except Exception as exc:
                # The room still works as a direct chat; only other clients will not know.
                log.warning("could not record %s as a direct chat with %s: %s", room_id, user, exc)

    # -- sending -------------------------------------------------------------

    async def deliver(self, message: Outgoing) -> None:
        """Send one message (text, then attachment) once logged in.

        Raises PermanentDeliveryError when the homeserver refuses it for good and
        TransientDeliveryError when it is worth another try. HTTP 429s are waited
        out here (with the pacers). Each part's transaction id is derived from the
        message's key, so a retry, also after a restart, lands once.
        """
        await self._wait_logged_in()
        target = message.room or message.user or "?"
        room_id = message.room
        if room_id is None:
            room_id = await self._direct_room_for(target)
        reply_to, thread_root = None, None
        origin = message.in_reply_to
        if origin is not None and origin.room == room_id:
            reply_to, thread_root = origin.event_id, origin.thread_root
        key = message.key or "once-" + secrets.token_hex(8)  # no key: not idempotent
        if message.text.strip() or message.attachment is None:
            content = notice_content(message.text, reply_to=reply_to,
                                     thread_root=thread_root, mentions=message.mentions)
            txn = transaction_id(key, reply_to, target, 0, message.text)
            await self._send_event(room_id, content, txn)
        if message.attachment is not None:
            uri = await self._upload(message.attachment)
            content = file_content(message.attachment, uri, reply_to=reply_to,
                                   thread_root=thread_root)
            digest = hashlib.sha256(message.attachment.data).hexdigest()
            txn = transaction_id(key, reply_to, target, 1,
                                 f"{message.attachment.filename}:{digest}")
            await self._send_event(room_id, content, txn)

    async def _wait_logged_in(self) -> None:
        if self._logged_in.is_set():
            return
        try:
            await self._until_stopped(self._logged_in.wait())
        except _Stopped:
            raise TransientDeliveryError("the Matrix transport is stopping") from None

    async def _send_event(self, room_id: str, content: dict[str, Any], txn_id: str) -> str:
        """Send one event; its event id."""
        response = await self._attempt(
            lambda: self.client.room_send(room_id, "m.room.message", content, tx_id=txn_id),
            pacer=self._send_pacer, what=f"sending to {room_id}",
        )
        if not isinstance(response, RoomSendResponse):
            raise TransientDeliveryError(f"sending to {room_id}: {response}")
        return str(response.event_id)

    async def _upload(self, attachment: Attachment) -> str:
        response = await self._attempt(
            lambda: self._upload_once(attachment), pacer=self._other_pacer,
            what=f"uploading {attachment.filename}",
        )
        if not isinstance(response, UploadResponse):
            raise TransientDeliveryError(f"uploading {attachment.filename}: {response}")
        return str(response.content_uri)

    async def _attempt(
        self, request: Callable[[], Awaitable[Any]], *, pacer: Pacer, what: str
    ) -> Any:
        """One request (429s waited out); a typed DeliveryError for anything else."""
        try:
            response = await self._call(request, pacer=pacer)
        except Exception as exc:  # network errors after nio's own quick retry
            raise TransientDeliveryError(f"{what}: {type(exc).__name__}: {exc}") from exc
        if _error_code(response) in PERMANENT_SEND_ERRORS:
            raise PermanentDeliveryError(f"{what}: {response}")
        return response

    async def _upload_once(self, attachment: Attachment) -> Any:
        data = attachment.data
        response, _keys = await self.client.upload(
            lambda _got_429, _got_timeouts: data,
            content_type=attachment.content_type,
            filename=attachment.filename,
            filesize=len(data),
        )
        return response
