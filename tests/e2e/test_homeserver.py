"""Self-test of the disposable Synapse in :mod:`homeserver`.

Two users registered with the shared-secret API talk through matrix-nio; the
server is then killed (SIGKILL) and restarted on the same port and data, and
both users must still be able to sync with their old access tokens.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from nio import (
    AsyncClient,
    AsyncClientConfig,
    JoinResponse,
    RoomCreateResponse,
    RoomMessageText,
    RoomSendResponse,
    SyncResponse,
)

sys.path.insert(0, str(Path(__file__).resolve().parent))

from homeserver import Homeserver, HomeserverError, RegisteredUser

SYNC_TIMEOUT_MS = 2_000
DEADLINE_S = 10.0


@pytest.fixture
def homeserver(tmp_path: Path) -> Iterator[Homeserver]:
    server = Homeserver(tmp_path / "synapse")
    server.start()
    try:
        yield server
    finally:
        server.stop()


@asynccontextmanager
async def client_for(server: Homeserver, user: RegisteredUser) -> AsyncIterator[AsyncClient]:
    # Short retry backoff: after a restart the client must notice quickly.
    config = AsyncClientConfig(max_timeout_retry_wait_time=1, request_timeout=10)
    client = AsyncClient(server.url, user.user_id, config=config)
    client.restore_login(user.user_id, user.device_id, user.access_token)
    try:
        yield client
    finally:
        await client.close()


async def sync_ok(client: AsyncClient) -> SyncResponse:
    response = await asyncio.wait_for(client.sync(timeout=0, full_state=True), timeout=DEADLINE_S)
    assert isinstance(response, SyncResponse), response
    return response


async def wait_for_text(client: AsyncClient, room_id: str, body: str) -> RoomMessageText:
    """Sync until a text message with ``body`` shows up in ``room_id``."""

    async def loop() -> RoomMessageText:
        while True:
            response = await client.sync(timeout=SYNC_TIMEOUT_MS)
            assert isinstance(response, SyncResponse), response
            room = response.rooms.join.get(room_id)
            for event in room.timeline.events if room else []:
                if isinstance(event, RoomMessageText) and event.body == body:
                    return event

    return await asyncio.wait_for(loop(), timeout=DEADLINE_S)


async def send_text(client: AsyncClient, room_id: str, body: str) -> str:
    response = await client.room_send(
        room_id, "m.room.message", {"msgtype": "m.text", "body": body}
    )
    assert isinstance(response, RoomSendResponse), response
    return str(response.event_id)


@pytest.mark.e2e
@pytest.mark.asyncio
async def test_two_users_chat_and_survive_a_crash(homeserver: Homeserver) -> None:
    alice = homeserver.register("alice")
    bob = homeserver.register("bob", password="bobs-secret", admin=True)
    assert alice.user_id == "@alice:test.local"
    assert bob.password == "bobs-secret"
    with pytest.raises(HomeserverError, match="M_USER_IN_USE"):
        homeserver.register("alice")

    async with client_for(homeserver, alice) as a, client_for(homeserver, bob) as b:
        await sync_ok(a)
        await sync_ok(b)

        created = await a.room_create(name="self-test", invite=[bob.user_id])
        assert isinstance(created, RoomCreateResponse), created
        room_id = created.room_id
        joined = await b.join(room_id)
        assert isinstance(joined, JoinResponse), joined

        event_id = await send_text(a, room_id, "hello bob")
        received = await wait_for_text(b, room_id, "hello bob")
        assert received.event_id == event_id
        assert received.sender == alice.user_id
        assert not b.rooms[room_id].encrypted  # encryption off by default

        url = homeserver.url
        homeserver.kill()
        assert not homeserver.running
        homeserver.start()
        assert homeserver.url == url

        # Same users, same tokens, same data after the crash.
        await sync_ok(a)
        await sync_ok(b)
        assert room_id in b.rooms
        event_id = await send_text(a, room_id, "still here")
        received = await wait_for_text(b, room_id, "still here")
        assert received.event_id == event_id
