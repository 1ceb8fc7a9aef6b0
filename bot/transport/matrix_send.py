"""Sending on Matrix: one outbox message as one or two events.

The outbox worker keeps order and retries; this module makes one attempt and
says whether another could help (`TransientDeliveryError`) or not
(`PermanentDeliveryError`). HTTP 429s are waited out with `retry_after_ms`
by the session's pacers. Transaction ids come from the message's key (the
outbox row's dedupe key), so a retried send, also after a restart, lands once.
Text goes out as an `m.notice` with a Markdown `body` and HTML
`formatted_body`; a file is uploaded and sent after its text. A poll is one
`m.poll.start` event in the configured `poll_room` (see `matrix_polls`). The
status board goes to the configured `status_room`, and its edits are
`m.replace` events carrying the whole new content in `m.new_content`.

Every event goes out through `send_event`. With encryption on, the room must
be known from a sync first (nio encrypts by what the room's state says); a room
the bot just made is waited for. An encrypted room is made ready
(`MatrixCrypto.ready_to_send`: devices, Olm sessions, the room key shared with
every device of its members, trusted on first use) in the same attempt as the
send, and nio encrypts the event; the relation (`m.relates_to`: reply, edit,
thread, poll) stays in the clear, as the spec asks. The transaction id is the
same whatever the ciphertext, so a resend still lands once.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Awaitable, Callable
from typing import Any

from nio import RoomSendResponse, UploadResponse

from bot.transport.base import (
    BOARD_ROOM,
    POLL_ROOM,
    Attachment,
    Outgoing,
    PermanentDeliveryError,
    TransientDeliveryError,
)
from bot.transport.matrix_format import file_content, notice_content, transaction_id
from bot.transport.matrix_polls import START, poll_start_content
from bot.transport.matrix_rooms import MatrixRooms
from bot.transport.matrix_session import MatrixSession, error_code
from bot.transport.pacing import Pacer

# Errors that no retry will fix.
PERMANENT_SEND_ERRORS = frozenset(
    {"M_FORBIDDEN", "M_NOT_FOUND", "M_TOO_LARGE", "M_BAD_JSON", "M_NOT_JSON", "M_INVALID_PARAM",
     "M_UNRECOGNIZED", "M_UNKNOWN_POS"}
)


class MatrixSender:
    def __init__(
        self, session: MatrixSession, rooms: MatrixRooms, poll_room: str | None = None,
        status_room: str | None = None,
    ) -> None:
        self.poll_room = poll_room
        self.status_room = status_room
        self.session = session
        self.client = session.client
        self.rooms = rooms

    async def deliver(self, message: Outgoing) -> str | None:
        """Send one message (text, then attachment) once logged in; the id of its
        last event.

        Raises PermanentDeliveryError when the homeserver refuses it for good and
        TransientDeliveryError when it is worth another try. HTTP 429s are waited
        out here (with the pacers). Each part's transaction id is derived from the
        message's key, so a retry, also after a restart, lands once.
        """
        target = message.room or message.user or "?"
        room_id = message.room
        key = message.key or "once-" + secrets.token_hex(8)  # no key: not idempotent
        if message.poll is not None:
            return await self._poll(message, key)
        if room_id == BOARD_ROOM:
            room_id = self._board_room()
        if room_id is None:
            room_id = await self.rooms.direct_room_for(target)
        reply_to, thread_root = None, None
        origin = message.in_reply_to
        if origin is not None and origin.room == room_id:
            reply_to, thread_root = origin.event_id, origin.thread_root
        sent = None
        if message.text.strip() or message.attachment is None:
            content = notice_content(message.text, reply_to=reply_to,
                                     thread_root=thread_root, mentions=message.mentions,
                                     members=self.rooms.member_names(room_id))
            txn = transaction_id(key, reply_to, target, 0, message.text)
            sent = await self.send_event(room_id, content, txn)
        if message.attachment is not None:
            uri = await self._upload(message.attachment)
            content = file_content(message.attachment, uri, reply_to=reply_to,
                                   thread_root=thread_root)
            digest = hashlib.sha256(message.attachment.data).hexdigest()
            txn = transaction_id(key, reply_to, target, 1,
                                 f"{message.attachment.filename}:{digest}")
            sent = await self.send_event(room_id, content, txn)
        return sent

    async def edit(self, message: Outgoing) -> None:
        """Replace the text of a message sent before (`message.replaces`): an
        `m.replace` event whose `m.new_content` is the whole new notice; its own body,
        the fallback for clients without edits, starts with `* `. The transaction id
        covers the text, so a retry lands once and a newer text is a new edit."""
        assert message.replaces is not None
        room_id = self._board_room() if message.room == BOARD_ROOM else message.room
        if room_id is None:
            raise PermanentDeliveryError("an edit needs the room of the message it edits")
        new = notice_content(message.text)
        new.pop("m.mentions", None)  # an edit pings nobody
        content = {
            **new, "body": "* " + new["body"], "formatted_body": "* " + new["formatted_body"],
            "m.new_content": new,
            "m.relates_to": {"rel_type": "m.replace", "event_id": message.replaces},
        }
        key = message.key or "once-" + secrets.token_hex(8)
        await self.send_event(room_id, content,
                              transaction_id(key, message.replaces, room_id, 2, message.text))

    def _board_room(self) -> str:
        if not self.status_room:
            raise PermanentDeliveryError("no matrix.status_room is configured for the board")
        return self.status_room

    async def _poll(self, message: Outgoing, key: str) -> str:
        assert message.poll is not None
        if message.room != POLL_ROOM or not self.poll_room:
            raise PermanentDeliveryError("no matrix.poll_room is configured for polls")
        content = poll_start_content(message.poll, message.text)
        txn = transaction_id(key, None, self.poll_room, 0, message.text)
        return await self.send_event(self.poll_room, content, txn, event_type=START)

    async def send_event(
        self, room_id: str, content: dict[str, Any], txn_id: str,
        event_type: str = "m.room.message",
    ) -> str:
        """Send one event (encrypted in an encrypted room); its event id."""
        crypto = self.session.crypto
        if crypto is not None:
            await self.rooms.until_synced(room_id)

        async def send() -> Any:
            if crypto is not None:
                await crypto.ready_to_send(room_id)
            return await self.client.room_send(room_id, event_type, content, tx_id=txn_id,
                                               ignore_unverified_devices=True)

        response = await self._attempt(send, pacer=self.session.send_pacer,
                                       what=f"sending to {room_id}")
        if not isinstance(response, RoomSendResponse):
            raise TransientDeliveryError(f"sending to {room_id}: {response}")
        return str(response.event_id)

    async def _upload(self, attachment: Attachment) -> str:
        response = await self._attempt(
            lambda: self._upload_once(attachment), pacer=self.session.other_pacer,
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
            response = await self.session.call(request, pacer=pacer)
        except Exception as exc:  # network errors after nio's own quick retry
            raise TransientDeliveryError(f"{what}: {type(exc).__name__}: {exc}") from exc
        if error_code(response) in PERMANENT_SEND_ERRORS:
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
