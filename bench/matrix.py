"""The people's side of a benchmark: thin client-API calls over one aiohttp session.

`Client` is one account: it sends, creates and joins rooms, and `listen()` runs
a long-polling sync loop that stamps every timeline event with the moment its
sync answer arrived (`time.perf_counter()`), so a reply's latency is the
time from just before the send to that stamp. Everything is plain HTTP, so
the bot and the echo floor are measured by the same code.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
import uuid
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote

import aiohttp

from tests.e2e.homeserver import Homeserver, RegisteredUser

SYNC_FILTER = (
    '{"room":{"timeline":{"limit":200,"types":["m.room.message"]},'
    '"state":{"lazy_load_members":true,"types":[]},"ephemeral":{"types":[]},'
    '"account_data":{"types":[]}},"presence":{"types":[]},"account_data":{"types":[]}}'
)

_txn = itertools.count(1)


class MatrixError(RuntimeError):
    pass


def reply_target(event: dict[str, Any]) -> str | None:
    relates = event.get("content", {}).get("m.relates_to")
    if isinstance(relates, dict) and isinstance(relates.get("m.in_reply_to"), dict):
        target = relates["m.in_reply_to"].get("event_id")
        return target if isinstance(target, str) else None
    return None


class Client:
    """One account on the homeserver, over a shared aiohttp session."""

    def __init__(self, http: aiohttp.ClientSession, server: Homeserver,
                 account: RegisteredUser) -> None:
        self.http = http
        self.url = server.url
        self.user_id = account.user_id
        self.token = account.access_token
        self.arrived: dict[str, float] = {}  # event id -> when its sync answer arrived
        self.replies: dict[str, tuple[float, dict[str, Any]]] = {}  # replied-to id -> stamp
        self.events: list[tuple[float, str, dict[str, Any]]] = []  # (stamp, room, event)
        self._changed = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.next_batch: str | None = None

    async def call(self, method: str, path: str, body: Any = None) -> dict[str, Any]:
        async with self.http.request(
            method, self.url + path, json=body,
            headers={"Authorization": f"Bearer {self.token}"},
        ) as response:
            data: dict[str, Any] = await response.json()
            if response.status == 429:
                await asyncio.sleep(data.get("retry_after_ms", 100) / 1000)
                return await self.call(method, path, body)
            if response.status != 200:
                raise MatrixError(f"{method} {path}: {response.status} {data}")
            return data

    async def send(self, room: str, body: str, **content: Any) -> str:
        txn = f"{uuid.uuid4().hex}-{next(_txn)}"
        data = await self.call(
            "PUT", f"/_matrix/client/v3/rooms/{quote(room)}/send/m.room.message/{txn}",
            {"msgtype": "m.text", "body": body, **content},
        )
        return str(data["event_id"])

    async def create_room(self, invite: Iterable[str] = (), *, direct: bool = False) -> str:
        data = await self.call("POST", "/_matrix/client/v3/createRoom", {
            "preset": "trusted_private_chat" if direct else "private_chat",
            "is_direct": direct, "invite": list(invite),
        })
        return str(data["room_id"])

    async def join(self, room: str) -> None:
        await self.call("POST", f"/_matrix/client/v3/join/{quote(room)}", {})

    async def invite(self, room: str, user: str) -> None:
        await self.call("POST", f"/_matrix/client/v3/rooms/{quote(room)}/invite",
                        {"user_id": user})

    async def members(self, room: str) -> dict[str, str]:
        data = await self.call("GET", f"/_matrix/client/v3/rooms/{quote(room)}/members")
        return {e["state_key"]: e["content"].get("membership") for e in data["chunk"]}

    async def set_account_data(self, kind: str, content: dict[str, Any]) -> None:
        await self.call(
            "PUT", f"/_matrix/client/v3/user/{quote(self.user_id)}/account_data/{kind}", content
        )

    # -- listening -------------------------------------------------------------

    async def _sync(self, timeout_ms: int) -> None:
        params = {"timeout": str(timeout_ms), "filter": SYNC_FILTER}
        if self.next_batch:
            params["since"] = self.next_batch
        async with self.http.get(
            self.url + "/_matrix/client/v3/sync", params=params,
            headers={"Authorization": f"Bearer {self.token}"},
        ) as response:
            data = await response.json()
        stamp = time.perf_counter()
        if response.status != 200:
            raise MatrixError(f"sync: {response.status} {data}")
        self.next_batch = data["next_batch"]
        for room, info in data.get("rooms", {}).get("join", {}).items():
            for event in info.get("timeline", {}).get("events", []):
                self.arrived.setdefault(event["event_id"], stamp)
                self.events.append((stamp, room, event))
                target = reply_target(event)
                if target is not None and event.get("sender") != self.user_id:
                    self.replies.setdefault(target, (stamp, event))
        self._changed.set()

    async def listen(self) -> None:
        """Start the sync loop (after one sync that skips what came before)."""
        await self._sync(0)
        self.events.clear()
        self.replies.clear()

        async def loop() -> None:
            while True:
                await self._sync(30_000)

        self._task = asyncio.create_task(loop(), name=f"sync {self.user_id}")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def wait_for(self, check: Any, within: float, what: str) -> Any:
        """Until `check()` is truthy (checked after each sync answer); its value."""
        deadline = time.perf_counter() + within
        while True:
            if self._task is not None and self._task.done():
                self._task.result()
            value = check()
            if value:
                return value
            remaining = deadline - time.perf_counter()
            if remaining <= 0:
                raise TimeoutError(f"{self.user_id}: no {what} within {within:.0f} s")
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), timeout=remaining)

    async def reply_to(self, event_id: str, within: float = 30.0) -> tuple[float, dict[str, Any]]:
        found: tuple[float, dict[str, Any]] = await self.wait_for(
            lambda: self.replies.get(event_id), within, f"reply to {event_id}"
        )
        return found

    async def message_from(self, room: str, sender: str, since: int,
                           within: float = 30.0) -> tuple[float, dict[str, Any]]:
        """The first event from `sender` in `room` among `events[since:]`: the answer of a
        bot that does not mark its answers as replies (take `since = len(events)` before
        the send)."""
        def first() -> tuple[float, dict[str, Any]] | None:
            return next(((stamp, event) for stamp, where, event in self.events[since:]
                         if where == room and event.get("sender") == sender), None)

        found: tuple[float, dict[str, Any]] = await self.wait_for(
            first, within, f"message from {sender}")
        return found


def register(server: Homeserver, name: str, password: str | None = None) -> RegisteredUser:
    localpart = f"{name}-{uuid.uuid4().hex[:8]}"
    if password is None:
        return server.register(localpart)
    return server.register(localpart, password=password)


async def room_with(owner: Client, others: Iterable[Client], *, invite_only: Iterable[str] = (),
                    direct: bool = False) -> str:
    """A room created by `owner`, joined by `others`, with `invite_only` invited."""
    people = list(others)
    room = await owner.create_room([p.user_id for p in people] + list(invite_only),
                                   direct=direct)
    await gather_limited([c.join(room) for c in people])
    return room


async def gather_limited(work: Iterable[Any], limit: int = 8) -> list[Any]:
    """Await coroutines with at most `limit` at a time (set-up, not measured)."""
    gate = asyncio.Semaphore(limit)

    async def one(job: Any) -> Any:
        async with gate:
            return await job

    return list(await asyncio.gather(*(one(job) for job in work)))


async def wait_joined(owner: Client, room: str, user: str, within: float = 60.0) -> None:
    """Until `user` has joined `room` (asked every 50 ms)."""
    deadline = time.perf_counter() + within
    while (await owner.members(room)).get(user) != "join":
        if time.perf_counter() > deadline:
            raise TimeoutError(f"{user} did not join {room}")
        await asyncio.sleep(0.05)  # polling interval
