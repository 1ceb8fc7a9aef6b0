"""The learner's side of an encrypted benchmark: a matrix-nio client with encryption.

`EncryptedClient` does what `bench.matrix.Client` does for the latency benchmark
(send, a sync loop that stamps each reply with the moment its sync answer
arrived, `reply_to`), in encrypted direct chats opened as Element opens them.
nio decrypts each sync before it is stamped, as a person's client must before
showing the answer; what the client does for its keys afterwards (upload, query,
claim) happens after the stamp. Sends trust the other devices on first use.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from pathlib import Path
from typing import Any

from nio import (
    AsyncClient,
    AsyncClientConfig,
    RoomCreateResponse,
    RoomPreset,
    RoomSendResponse,
    SyncResponse,
)

from bench.matrix import reply_target
from tests.e2e.encrypted import keep_keys
from tests.e2e.homeserver import Homeserver, RegisteredUser

ENCRYPTION = {"type": "m.room.encryption", "state_key": "",
              "content": {"algorithm": "m.megolm.v1.aes-sha2"}}


class EncryptedClient:
    """One account with an encrypting device, its store in `store`."""

    def __init__(self, server: Homeserver, account: RegisteredUser, store: Path) -> None:
        store.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.user_id = account.user_id
        self.client = AsyncClient(
            server.url, account.user_id, device_id=account.device_id, store_path=str(store),
            config=AsyncClientConfig(encryption_enabled=True, store_sync_tokens=False))
        self.client.restore_login(account.user_id, account.device_id, account.access_token)
        self.replies: dict[str, tuple[float, dict[str, Any]]] = {}  # replied-to id -> stamp
        self._changed = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def _sync(self, timeout_ms: int) -> None:
        response = await self.client.sync(timeout=timeout_ms)
        stamp = time.perf_counter()  # decrypted by now: what the person could read
        if not isinstance(response, SyncResponse):
            raise RuntimeError(f"sync: {response}")
        for info in response.rooms.join.values():
            for event in info.timeline.events:
                source = event.source
                target = reply_target(source)
                if target is not None and source.get("sender") != self.user_id:
                    self.replies.setdefault(target, (stamp, source))
        self._changed.set()
        await self._keys()

    async def _keys(self) -> None:
        await keep_keys(self.client)

    async def start(self) -> None:
        """A first sync (keys uploaded): ready to create rooms."""
        await self._sync(0)

    async def direct_chat(self, user: str, within: float = 60.0) -> str:
        """An encrypted direct chat with `user`, once they have joined it."""
        response = await self.client.room_create(
            is_direct=True, invite=[user], preset=RoomPreset.trusted_private_chat,
            initial_state=[ENCRYPTION])
        if not isinstance(response, RoomCreateResponse):
            raise RuntimeError(f"creating a room: {response}")
        room = str(response.room_id)
        deadline = time.perf_counter() + within
        while not self._joined(room, user):
            if time.perf_counter() > deadline:
                raise TimeoutError(f"{user} did not join {room}")
            await self._sync(1_000)
        return room

    def _joined(self, room: str, user: str) -> bool:
        matrix_room = self.client.rooms.get(room)
        member = matrix_room.users.get(user) if matrix_room else None
        return member is not None and not member.invited

    async def send(self, room: str, body: str) -> str:
        response = await self.client.room_send(room, "m.room.message",
                                               {"msgtype": "m.text", "body": body},
                                               ignore_unverified_devices=True)
        if not isinstance(response, RoomSendResponse):
            raise RuntimeError(f"sending: {response}")
        return str(response.event_id)

    async def listen(self) -> None:
        """Start the sync loop."""
        self.replies.clear()

        async def loop() -> None:
            while True:
                await self._sync(30_000)

        self._task = asyncio.create_task(loop(), name=f"sync {self.user_id}")

    async def reply_to(self, event_id: str, within: float = 30.0) -> tuple[float, dict[str, Any]]:
        deadline = time.perf_counter() + within
        while event_id not in self.replies:
            if self._task is not None and self._task.done():
                self._task.result()
            remaining = deadline - time.perf_counter()
            if remaining <= 0:
                raise TimeoutError(f"{self.user_id}: no reply to {event_id}")
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), timeout=remaining)
        return self.replies[event_id]

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self.client.close()
