"""Sending on Zulip: one outbox message as one message (or a few, when longer than
the server's `max_message_length`).

A reply goes to the channel and topic, or the direct conversation, it answers;
a message to a person (`Outgoing.user`) is a direct message. A file is
uploaded (`POST /user_uploads`) and linked at the end of the text. HTTP 429s
are waited out with `Retry-After` (the API's pacers); other failures say
whether a retry could help (`TransientDeliveryError`) or not
(`PermanentDeliveryError`).

Zulip has no transaction ids, so a send cut short by a crash cannot simply be
repeated. Before each send the bot notes, per target (the outbox lane: one
message at a time), which message part it is sending (by the outbox row's key)
and the highest message id it knows of. The note stays until the next message
to that target replaces it, which happens only after this one was marked sent.
So when a part is about to be sent and the note already names it, an earlier
attempt may have landed: the bot reads its own messages in that conversation
newer than the noted id, and when one has the same content (the upload link
aside), counts the part as sent instead of sending it again. The cost: one
small database write per message; the notes are one row per conversation, keyed
by a keyed hash of it (never a plain hash of a user id), and forget-me drops the
person's.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import re
import secrets
from collections.abc import Callable
from typing import Any

from bot.db.state import StateStore
from bot.transport.base import (
    BOARD_ROOM,
    FORGET_DIRECT,
    POLL_ROOM,
    Attachment,
    Outgoing,
    PermanentDeliveryError,
    TransientDeliveryError,
)
from bot.transport.zulip_api import Unreachable, ZulipApi, ZulipError
from bot.transport.zulip_format import (
    Conversation,
    Direct,
    StreamTopic,
    conversation_of,
    render,
    split,
    user_number,
)
from bot.transport.zulip_network import ZulipSettings
from bot.transport.zulip_people import Directory
from bot.transport.zulip_polls import poll_content

log = logging.getLogger(__name__)

# Codes no retry will fix (the channel or person is gone, the message is refused).
PERMANENT_CODES = frozenset({"STREAM_DOES_NOT_EXIST", "BAD_REQUEST", "NOT_FOUND",
                             "USER_DEACTIVATED", "REQUEST_VARIABLE_INVALID"})
# How many of its own latest messages in a conversation the bot reads to find one
# that was in flight when it crashed.
RECHECK_MESSAGES = 50
_UPLOAD = re.compile(r"/user_uploads/[^)\s]+")
_MENTIONED = re.compile(r"zulip:(\d{1,12})")
# The `transport_state` key of the secret the in-flight notes' keys are made with.
NOTE_SECRET = "in-flight-secret"


class ZulipSender:
    def __init__(
        self, api: ZulipApi, directory: Directory, state: StateStore,
        high_water: Callable[[], int], sent: Callable[[int], None],
        settings: ZulipSettings, longest: Callable[[], int],
    ) -> None:
        self.settings = settings
        self.longest = longest  # the server's `max_message_length`
        self.api = api
        self.directory = directory
        self.state = state
        self.high_water = high_water
        self.sent = sent
        self._note_secret: bytes | None = None
        self._note_lock = asyncio.Lock()

    async def in_flight_note(self, target: str) -> str:
        """The `transport_state` key of the note on the last message part sent to a
        target (the outbox lane's room or user): `<part key>|<highest message id known
        then>`. A keyed hash (HMAC-SHA256, with a random key kept in the database), so
        the key does not name the person: an unsalted hash of `zulip:7` is found by
        hashing every small number."""
        async with self._note_lock:
            if self._note_secret is None:
                stored = await self.state.get(NOTE_SECRET)
                if stored is None:
                    stored = secrets.token_hex(32)
                    await self.state.set(NOTE_SECRET, stored)
                self._note_secret = bytes.fromhex(stored)
        digest = hmac.new(self._note_secret, target.encode(), hashlib.sha256).hexdigest()
        return "in-flight:" + digest[:32]

    async def act(self, message: Outgoing) -> None:
        """Forget-me (FORGET_DIRECT): drop the in-flight notes of the person's direct
        conversation (by user and by the conversation where they confirmed)."""
        if message.action != FORGET_DIRECT:
            return
        for target in {*message.mentions[:1], *([message.room] if message.room else [])}:
            await self.state.set(await self.in_flight_note(target), None)

    async def deliver(self, message: Outgoing) -> str | None:
        """Send the message (in parts when very long); the id of its last part."""
        conversation = self._target(message)
        await self.directory.know({int(n) for n in _MENTIONED.findall(message.text)})
        if message.poll is not None:
            parts = [poll_content(message.poll)]
        else:
            text = render(message.text, self.directory.names())
            if message.attachment is not None:
                text = (text.rstrip() + "\n\n" if text.strip() else "") + await self._upload(
                    message.attachment)
            parts = split(text, self.longest())
        lane = message.room or message.user or ""
        sent: str | None = None
        for index, part in enumerate(parts):
            key = None if message.key is None else f"{message.key}#{index}"
            sent = await self._send_once(conversation, part, key, lane)
        return sent

    async def edit(self, message: Outgoing) -> None:
        """Replace a message's content (`PATCH /messages/{id}`, the documented edit;
        the bot edits only its own messages). Longer than the server takes: cut, and
        said so at the end."""
        assert message.replaces is not None
        if not message.replaces.isdigit():
            raise PermanentDeliveryError(f"{message.replaces!r} is not a Zulip message id")
        text = render(message.text, self.directory.names())
        longest = self.longest()
        if len(text) > longest:
            text = text[:longest - 2].rstrip() + " …"
        await self._request("PATCH", f"messages/{message.replaces}", {"content": text},
                            send=True, what=f"editing message {message.replaces}")

    def _target(self, message: Outgoing) -> Conversation:
        if message.user is not None:
            number = user_number(message.user)
            if number is None:
                raise PermanentDeliveryError(f"{message.user} is not a Zulip user id")
            return Direct((number,))
        if message.room == BOARD_ROOM:
            if not self.settings.status_channel:
                raise PermanentDeliveryError("no zulip.status_channel is configured for the "
                                             "board")
            return StreamTopic(self.settings.status_channel, self.settings.status_topic)
        if message.room == POLL_ROOM:
            if not self.settings.poll_channel:
                raise PermanentDeliveryError("no zulip.poll_channel is configured for polls")
            return StreamTopic(self.settings.poll_channel, self.settings.poll_topic)
        conversation = conversation_of(message.room or "")
        if conversation is None:
            raise PermanentDeliveryError(f"{message.room!r} is not a Zulip conversation")
        return conversation

    async def _send_once(
        self, conversation: Conversation, content: str, key: str | None, lane: str
    ) -> str | None:
        """Send one part unless it landed before a crash; its message id if known."""
        note = await self.in_flight_note(lane)
        if key is not None:
            noted = await self.state.get(note)
            noted_key, _, after = (noted or "").rpartition("|")
            if noted_key == key and after.isdigit():
                landed = await self._landed(conversation, content, int(after))
                if landed is not None:
                    log.info("%s had landed before a crash; not sending it again", key)
                    return str(landed)
            else:
                await self.state.set(note, f"{key}|{self.high_water()}")
        answer = await self._request("POST", "messages", _message_params(conversation, content),
                                     send=True, what=f"sending to {conversation.key}")
        if isinstance(answer.get("id"), int):
            self.sent(answer["id"])
            return str(answer["id"])
        return None

    async def _landed(
        self, conversation: Conversation, content: str, after: int
    ) -> int | None:
        """The id of the bot's message with this content newer than `after`, if any."""
        me = self.directory.me
        assert me is not None
        narrow: list[dict[str, Any]] = [{"operator": "sender", "operand": me.user_id}]
        if isinstance(conversation, StreamTopic):
            narrow += [{"operator": "stream", "operand": conversation.stream_id},
                       {"operator": "topic", "operand": conversation.topic}]
        else:
            narrow.append({"operator": "dm", "operand": list(conversation.user_ids)})
        answer = await self._request("GET", "messages", {
            "anchor": "newest", "num_before": RECHECK_MESSAGES, "num_after": 0,
            "narrow": narrow, "apply_markdown": False,
        }, send=False, what=f"reading {conversation.key}")
        wanted = _UPLOAD.sub("/user_uploads/…", content).strip()
        for found in answer.get("messages", []):
            if (isinstance(found, dict) and isinstance(found.get("id"), int)
                    and found["id"] > after and isinstance(found.get("content"), str)
                    and _UPLOAD.sub("/user_uploads/…", found["content"]).strip() == wanted):
                return int(found["id"])
        return None

    async def _upload(self, attachment: Attachment) -> str:
        answer = await self._request("POST", "user_uploads", None, send=False,
                                     what=f"uploading {attachment.filename}",
                                     upload=attachment)
        link = answer.get("url") or answer.get("uri")
        if not isinstance(link, str):
            raise TransientDeliveryError(f"uploading {attachment.filename}: no link: {answer}")
        label = re.sub(r"[\[\]\\`*_]", "", attachment.filename) or "file"
        return f"[{label}]({link})"

    async def _request(
        self, method: str, endpoint: str, params: dict[str, Any] | None, *, send: bool,
        what: str, upload: Attachment | None = None,
    ) -> dict[str, Any]:
        pacer = self.api.send_pacer if send else self.api.other_pacer
        try:
            return await self.api.paced(method, endpoint, params, pacer=pacer, upload=upload)
        except ZulipError as error:
            if error.code in PERMANENT_CODES or error.status in (403, 404, 413):
                raise PermanentDeliveryError(f"{what}: {error}") from error
            raise TransientDeliveryError(f"{what}: {error}") from error
        except Unreachable as exc:
            raise TransientDeliveryError(f"{what}: {exc}") from exc
        except TimeoutError as exc:
            raise TransientDeliveryError(f"{what}: timed out") from exc


def _message_params(conversation: Conversation, content: str) -> dict[str, Any]:
    if isinstance(conversation, StreamTopic):
        return {"type": "stream", "to": conversation.stream_id, "topic": conversation.topic,
                "content": content}
    return {"type": "private", "to": list(conversation.user_ids), "content": content}
