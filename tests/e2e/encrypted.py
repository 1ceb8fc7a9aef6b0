"""People whose clients encrypt, as Element does: real nio clients with the e2e extra.

`EncryptedUser` is a `ChatUser` whose nio client has encryption on, its crypto
store in a folder of its own (in the test's tmp_path). After every sync it does
what a client does for its keys (upload, query, claim, queued to-device
messages); it sends with trust on first use, and opens encrypted direct chats
the way Element does (`is_direct`, preset `trusted_private_chat`,
`m.room.encryption` in the initial state). The events it records are the
decrypted ones (also those whose key came after them), so `expect_reply` and
the other `ChatUser` helpers read them; an answer it could not decrypt stays an
`m.room.encrypted` event, never a reply.
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from nio import (
    AsyncClient,
    AsyncClientConfig,
    EncryptionError,
    LoginResponse,
    MegolmEvent,
    RoomCreateResponse,
    RoomPreset,
    RoomSendResponse,
    RoomVisibility,
    ToDeviceResponse,
)
from nio.event_builders import ToDeviceMessage

from bot.transport.matrix_crypto import ENCRYPTION_STATE, MEGOLM
from tests.e2e.conftest import USER_SYNC_MS, ChatUser, unique
from tests.e2e.homeserver import Homeserver, RegisteredUser

_stores = itertools.count(1)


def encrypted_client(server: Homeserver, user_id: str, device_id: str | None,
                     store: Path) -> AsyncClient:
    store.mkdir(mode=0o700, parents=True, exist_ok=True)
    config = AsyncClientConfig(max_timeout_retry_wait_time=1, request_timeout=10,
                               encryption_enabled=True, store_sync_tokens=False)
    return AsyncClient(server.url, user_id, device_id=device_id, store_path=str(store),
                       config=config)



async def keep_keys(client: AsyncClient) -> None:
    """What an encrypting client does for its keys after a sync (as nio's sync_forever
    does): upload, query, claim, and send the to-device messages queued."""
    if client.should_upload_keys:
        await client.keys_upload()
    if client.should_query_keys:
        await client.keys_query()
    if client.should_claim_keys:
        await client.keys_claim(client.get_users_for_key_claiming())
    await client.send_to_device_messages()

class EncryptedUser(ChatUser):
    """A person whose client encrypts (one device; `second_device` logs in another)."""

    def __init__(self, server: Homeserver, account: RegisteredUser, store: Path) -> None:
        client = encrypted_client(server, account.user_id, account.device_id, store)
        client.restore_login(account.user_id, account.device_id, account.access_token)
        super().__init__(server, account, client)
        self.store = store
        self.devices: list[EncryptedUser] = []  # more devices of the same person

    async def close(self) -> None:
        for device in self.devices:
            await device.close()
        await super().close()

    async def sync(self, timeout_ms: int = USER_SYNC_MS) -> None:
        await super().sync(timeout_ms)
        await self.keys()
        self._decrypt_late()

    def _decrypt_late(self) -> None:
        """Decrypt what came before its key, as apps do when the key arrives."""
        for room_id, events in self.events.items():
            for index, source in enumerate(events):
                if source.get("type") != "m.room.encrypted":
                    continue
                event = MegolmEvent.from_dict({**source, "room_id": room_id})
                if not isinstance(event, MegolmEvent):
                    continue
                with contextlib.suppress(EncryptionError):  # its key has not come (yet)
                    events[index] = self.client.decrypt_event(event).source

    async def keys(self) -> None:
        await keep_keys(self.client)

    async def send_raw(
        self, room_id: str, content: dict[str, Any], event_type: str = "m.room.message"
    ) -> str:
        # Trust on first use, like the bot: every device of the room's members gets the key.
        response = await self.client.room_send(room_id, event_type, content,
                                               ignore_unverified_devices=True)
        assert isinstance(response, RoomSendResponse), response
        return str(response.event_id)

    async def create_room(
        self, invite: tuple[str, ...] = (), *, direct: bool = False, public: bool = False
    ) -> str:
        """An encrypted room (a direct chat as Element opens one with `direct`)."""
        response = await self.client.room_create(
            visibility=RoomVisibility.private, is_direct=direct, invite=list(invite),
            preset=RoomPreset.trusted_private_chat if direct else RoomPreset.private_chat,
            initial_state=[ENCRYPTION_STATE],
        )
        assert isinstance(response, RoomCreateResponse), response
        room_id = str(response.room_id)
        await self.wait_until(lambda: room_id in self.client.rooms, "the new room")
        return room_id

    async def join(self, room_id: str) -> None:
        await super().join(room_id)
        # Sending needs the room's state (nio encrypts by it): wait for it to come.
        await self.wait_until(lambda: room_id in self.client.rooms, "the joined room")

    async def second_device(self, store: Path) -> EncryptedUser:
        """The same person on another device (a password login), keys uploaded."""
        login = encrypted_client(self.server, self.user_id, None, store)
        response = await login.login(self.account.password, device_name="second")
        assert isinstance(response, LoginResponse), response
        await login.close()
        account = RegisteredUser(self.user_id, self.account.password,
                                 response.access_token, response.device_id)
        device = EncryptedUser(self.server, account, store)
        self.devices.append(device)
        await device.sync(timeout_ms=0)
        return device

    async def say_with_key_held_back(
        self, room_id: str, text: str, user: str
    ) -> tuple[str, dict[str, str]]:
        """Say `text` without giving `user`'s devices its room key (a key that is slow to
        come); its event id, and the key, for `give_key`."""
        devices = list(self.client.device_store.active_user_devices(user))
        assert devices, f"{user}'s devices are not known yet"
        for device in devices:
            self.client.blacklist_device(device)
        await self.client.share_group_session(room_id, ignore_unverified_devices=True)
        session = self.client.olm.outbound_group_sessions[room_id]
        key = {"algorithm": MEGOLM, "room_id": room_id, "session_id": session.id,
               "session_key": session.session_key}
        event_id = await self.say(room_id, text)
        for device in devices:  # the next message is shared with them again
            self.client.unblacklist_device(device)
        return event_id, key

    async def give_key(self, user: str, key: dict[str, str]) -> None:
        """Send a held-back room key (`m.room_key`, Olm-encrypted) to `user`'s devices."""
        olm = self.client.olm
        for device in olm.device_store.active_user_devices(user):
            session = olm.session_store.get(device.curve25519)
            assert session is not None, f"no Olm session with {device.id}"
            content = olm._olm_encrypt(session, device, "m.room_key", key)
            response = await self.client.to_device(
                ToDeviceMessage("m.room.encrypted", user, device.id, content))
            assert isinstance(response, ToDeviceResponse), response

    def undecrypted(self, room_id: str, sender: str) -> list[dict[str, Any]]:
        """Events from `sender` this client could not decrypt."""
        return [e for e in self.events[room_id]
                if e.get("sender") == sender and e.get("type") == "m.room.encrypted"]


MakeEncryptedUser = Callable[..., Awaitable[EncryptedUser]]


@pytest.fixture
async def make_encrypted_user(
    homeserver: Homeserver, tmp_path: Path
) -> AsyncIterator[MakeEncryptedUser]:
    """`await make_encrypted_user("ana")`: a registered person whose client encrypts (on
    `server=`, else the session's homeserver)."""
    users: list[EncryptedUser] = []

    async def make(name: str = "user", server: Homeserver | None = None) -> EncryptedUser:
        store = tmp_path / f"store-{next(_stores)}"
        target = server or homeserver
        user = EncryptedUser(target, target.register(unique(name)), store)
        await user.sync(timeout_ms=0)  # uploads its device keys
        users.append(user)
        return user

    yield make
    for user in users:
        await user.close()
