"""End-to-end encryption on Matrix: the device's keys, and rooms made ready to send to.

matrix-nio (its `e2e` extra, on vodozemac) does the cryptography; this module
decides when to ask the homeserver for what, always through the session's
`call` (HTTP 429s waited out, requests paced):

- The crypto store is a folder (mode 700) holding nio's own SQLite file, named
  after the account and the device. It is loaded after login for the device id
  kept in TransportState, so a restart is the same device with the same Olm
  account and sessions. The pickle key that encrypts the account's private keys
  in that file is a random secret kept in TransportState like the access token:
  the folder alone gives nothing away.
- Device keys and one-time keys are uploaded when nio says they are needed (after
  login, and after every sync, which reports how many one-time keys are left);
  the devices of the people the bot shares encrypted rooms with are queried when
  their lists change; one-time keys are claimed for devices whose Olm session
  broke; to-device messages nio queued (key requests, their cancellations) go out.
- Before a send to an encrypted room: its members are loaded, their devices
  queried, Olm sessions made with every device (one-time keys claimed), and the
  room key shared with all of them. Trust on first use: a device the homeserver
  lists for a member, signed by its own key, gets the room key without anyone
  verifying it, as nio's `ignore_unverified_devices` does; the people the bot
  talks to may use any client, and a bot cannot compare emoji with anyone.
- A message it cannot decrypt: the room key is asked for (bot/transport/matrix_keys.py
  keeps the message until then).

After the device keys are uploaded, `device_ready` (if set) is called with the
facts of the bot's own device (`OwnDevice`): the seam where the device gets
signed by its own account.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import os
import secrets
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nio import (
    Api,
    EncryptionError,
    JoinedMembersResponse,
    KeysClaimResponse,
    KeysQueryResponse,
    KeysUploadResponse,
    LocalProtocolError,
    MegolmEvent,
    RoomKeyRequestResponse,
    ShareGroupSessionResponse,
    ToDeviceResponse,
)
from nio.crypto import ENCRYPTION_ENABLED

from bot import logs
from bot.db.state import StateStore
from bot.transport.pacing import Pacer

if TYPE_CHECKING:  # the session makes this; at run time only it imports the other
    from bot.transport.matrix_session import MatrixSession

log = logging.getLogger(__name__)

STATE_PICKLE_KEY = "crypto_pickle_key"
MEGOLM = "m.megolm.v1.aes-sha2"
# The state event that makes a room encrypted, as the bot creates its direct chats.
ENCRYPTION_STATE = {"type": "m.room.encryption", "state_key": "",
                    "content": {"algorithm": MEGOLM}}


class CryptoUnavailable(Exception):
    """Encryption is on, but matrix-nio's e2e extra is not installed, or the store's
    folder cannot be made or protected."""


class DeviceLost(Exception):
    """The device's keys on the homeserver are not those of its store (the store was
    lost or replaced): the device can never decrypt again and must be replaced."""


class KeysNotReady(Exception):
    """The homeserver did not take (or give) keys a send needs: worth another try."""


@dataclass(frozen=True)
class OwnDevice:
    """The bot's device once its keys are on the homeserver: what signing it needs."""

    client: Any  # nio's AsyncClient, logged in, its store loaded
    user_id: str
    device_id: str
    ed25519: str  # the device's fingerprint key, as uploaded
    password: str | None  # for user-interactive auth; None with only an access token
    state: StateStore  # where secrets are kept (TransportState)
    call: Callable[..., Awaitable[Any]]  # the session's paced request, `call(request, pacer=)`
    pacer: Pacer


class MatrixCrypto:
    """The encryption side of one Matrix session (`matrix_session.MatrixSession`)."""

    def __init__(self, session: MatrixSession, store: Path) -> None:
        self.session = session
        self.client = session.client
        self.store = store
        self._lock = asyncio.Lock()  # one key query, claim or share at a time
        # Called once the device keys are on the homeserver (cross-signing the device).
        self.device_ready: Callable[[OwnDevice], Awaitable[None]] | None = None

    # -- the store and the device's keys -------------------------------------------

    async def open_store(self) -> None:
        """Before any login: the store's folder (mode 700) and its pickle key."""
        if not ENCRYPTION_ENABLED:
            raise CryptoUnavailable(
                "matrix.encryption is on, but matrix-nio's e2e extra is not installed "
                "(pip install 'matrix-nio[e2e]'); or set matrix.encryption = false")
        try:
            self.store.mkdir(mode=0o700, parents=True, exist_ok=True)
            os.chmod(self.store, 0o700)  # also a folder made by hand: the keys are in it
        except OSError as exc:
            raise CryptoUnavailable(
                f"cannot keep the encryption keys in {self.store} (matrix.store_path): "
                f"{exc.strerror or exc}") from None
        key = await self.session.state.get(STATE_PICKLE_KEY)
        if key is None:
            key = secrets.token_urlsafe(32)
            await self.session.state.set(STATE_PICKLE_KEY, key)
        logs.keep_out(key)
        self.client.config = replace(self.client.config, pickle_key=key)

    async def start(self) -> None:
        """After login: load the device's store and put its keys on the homeserver."""
        if not self.client.device_id:
            raise CryptoUnavailable("encryption needs a device: the homeserver named none "
                                    "for the access token (log in with matrix.password)")
        self.client.load_store()  # the same device (id from TransportState): same keys
        await self._keys_on_server()
        if self.client.should_upload_keys:
            await self._expect(self.client.keys_upload, KeysUploadResponse, "uploading keys")
        log.info("encryption on: device %s, keys in %s", self.client.device_id, self.store)
        if self.device_ready is not None:
            await self.device_ready(OwnDevice(
                client=self.client, user_id=self.session.user_id,
                device_id=self.client.device_id,
                ed25519=self.client.olm.account.identity_keys["ed25519"],
                password=self.session.settings.password, state=self.session.state,
                call=self.session.call, pacer=self.session.other_pacer,
            ))

    async def _keys_on_server(self) -> None:
        """Whether the homeserver holds this device's keys, and ours. A device logged out
        or deleted (then made again by the password login, with the same id) lost them:
        they are uploaded again, or nobody could encrypt for the bot. A device whose
        store was lost (the database kept, the folder not) has other keys there, which
        cannot be replaced: `DeviceLost`, and the session moves to a new device."""
        user, device = self.session.user_id, self.client.device_id
        method, path, data = Api.keys_query(self.client.access_token, {user})
        response = await self._expect(
            functools.partial(self.client._send, KeysQueryResponse, method, path, data),
            KeysQueryResponse, "looking up the device's own keys")
        payload = response.device_keys.get(user, {}).get(device)
        if payload is None:
            if self.client.olm_account_shared:
                log.warning("the homeserver has lost the keys of device %s; uploading them "
                            "again", device)
                self.client.olm.account.shared = False
            return
        held = payload.get("keys", {}).get(f"ed25519:{device}")
        if held != self.client.olm.account.identity_keys["ed25519"]:
            raise DeviceLost(f"the homeserver holds other keys for device {device} than the "
                             f"store in {self.store}")

    async def after_sync(self) -> None:
        """What a sync asks for: queued to-device messages, keys to upload, devices
        to query, broken Olm sessions to mend. A failure is logged (the next sync
        asks again)."""
        try:
            async with self._lock:
                for message in list(self.client.outgoing_to_device_messages):
                    await self._expect(functools.partial(self.client.to_device, message),
                                       ToDeviceResponse, "sending a to-device message")
                if self.client.should_upload_keys:
                    await self._expect(self.client.keys_upload, KeysUploadResponse,
                                       "uploading one-time keys")
                await self._query()
                if self.client.should_claim_keys:
                    await self._claim(self.client.get_users_for_key_claiming())
        except Exception as exc:  # the sync itself went well: not one of its failures
            log.warning("encryption keys: %s; trying again after the next sync",
                        exc or type(exc).__name__)

    # -- sending ---------------------------------------------------------------------

    async def ready_to_send(self, room_id: str) -> None:
        """Make an encrypted room ready for `room_send` (nothing for another room):
        every member's devices known, an Olm session with each, the room key shared."""
        room = self.client.rooms.get(room_id)
        if room is None or not room.encrypted:
            return
        async with self._lock:
            if not room.members_synced:
                await self._expect(functools.partial(self.client.joined_members, room_id),
                                   JoinedMembersResponse, f"loading the members of {room_id}")
            await self._query()
            olm = self.client.olm
            if not olm.should_share_group_session(room_id):
                return
            missing = self.client.get_missing_sessions(room_id)
            if missing:
                await self._claim(missing)
            await self._share(room_id, list(room.users))

    async def _share(self, room_id: str, users: list[str]) -> None:
        """Share the room's outbound key with every device of `users`, trusting them on
        first use. nio's own `share_group_session` drops the failures of its to-device
        requests (a device then cannot read the answer); here each request is paced
        like any other, and a failed one makes the key be shared anew on the retry."""
        olm = self.client.olm
        chunks = olm.share_group_session_parallel(room_id, users,
                                                  ignore_unverified_devices=True)
        for sharing_with, messages in chunks:
            method, path, data = Api.to_device(self.client.access_token, "m.room.encrypted",
                                               messages, uuid.uuid4())
            response = await self.session.call(
                functools.partial(self.client._send, ShareGroupSessionResponse, method, path,
                                  data, response_data=(room_id, sharing_with)),
                pacer=self.session.other_pacer,
            )
            if not isinstance(response, ShareGroupSessionResponse):
                self.client.invalidate_outbound_session(room_id)
                raise KeysNotReady(f"sharing the room key of {room_id}: {response}")
        # Marked shared also when no device was left to share with, as nio does.
        olm.outbound_group_sessions[room_id].shared = True

    # -- undecryptable messages ------------------------------------------------------

    async def request_key(self, event: MegolmEvent) -> None:
        """Ask for the room key of a message the bot cannot decrypt: from the device
        that sent it and (nio's `request_room_key`, which also records the request so
        a forwarded key is accepted) from the account's other devices."""
        with contextlib.suppress(LocalProtocolError):  # asked before for this session
            await self._expect(functools.partial(self.client.request_room_key, event),
                               RoomKeyRequestResponse, "asking for a room key")
        if event.device_id:
            message = event.as_key_request(event.sender, self.client.device_id,
                                           event.session_id, event.device_id)
            await self._expect(functools.partial(self.client.to_device, message),
                               ToDeviceResponse, "asking the sender for a room key")

    def decrypt(self, event: MegolmEvent) -> Any | None:
        """The message decrypted, once its key arrived; None while it has not."""
        try:
            return self.client.decrypt_event(event)
        except EncryptionError:
            return None

    # -- requests ----------------------------------------------------------------------

    async def _query(self) -> None:
        if self.client.should_query_keys:
            await self._expect(self.client.keys_query, KeysQueryResponse, "querying keys")

    async def _claim(self, devices: dict[str, list[str]]) -> None:
        await self._expect(functools.partial(self.client.keys_claim, devices),
                           KeysClaimResponse, "claiming one-time keys")

    async def _expect(self, request: Callable[[], Awaitable[Any]], kind: type,
                      what: str) -> Any:
        response = await self.session.call(request, pacer=self.session.other_pacer)
        if not isinstance(response, kind):
            raise KeysNotReady(f"{what}: {response}")
        return response
