"""The state of the Zulip API double: one organization (realm) in memory.

Written from the documented API (zulip.com/api), not from Zulip's code: users
with roles, channels (streams) with subscribers, messages (channel + topic, or
direct), event queues, and uploads. Only the server's loop touches it (see
`double.py`), so it needs no locks. What a message looks like follows the
documented message object of `GET /messages` and of `message` events.
"""

from __future__ import annotations

import asyncio
import html
import itertools
import json
import secrets
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from tests.zulip.widgets import WIDGET, WidgetError, check_poll_data, widget_of

# Zulip's roles (the `role` field of a user): lower is more powerful.
OWNER, ADMINISTRATOR, MODERATOR, MEMBER, GUEST = 100, 200, 300, 400, 600
# The longest message Zulip accepts by default (its `max_message_length`).
MAX_MESSAGE_LENGTH = 10_000
# Who may see a person's real e-mail address (their `email_address_visibility`).
EVERYONE, MEMBERS, ADMINS, NOBODY, MODERATORS = 1, 2, 3, 4, 5
_SEES_ADDRESS = {EVERYONE: GUEST, MEMBERS: MEMBER, ADMINS: ADMINISTRATOR, NOBODY: 0,
                 MODERATORS: MODERATOR}


class ApiError(Exception):
    """An answer in Zulip's error shape: {"result": "error", "msg", "code"} and a status."""

    def __init__(self, msg: str, code: str = "BAD_REQUEST", status: int = 400,
                 **extra: Any) -> None:
        super().__init__(msg)
        self.msg, self.code, self.status, self.extra = msg, code, status, extra

    def body(self) -> dict[str, Any]:
        return {"result": "error", "msg": self.msg, "code": self.code, **self.extra}


@dataclass
class User:
    user_id: int
    email: str
    full_name: str
    role: int = MEMBER
    is_bot: bool = False
    address_visibility: int = EVERYONE
    api_key: str = field(default_factory=lambda: secrets.token_hex(16))

    @property
    def api_email(self) -> str:
        """The address the API shows: the real one only when everyone may see it,
        else a fake one that works in the API and nowhere else (bots never hide)."""
        if self.address_visibility == EVERYONE or self.is_bot:
            return self.email
        return f"user{self.user_id}@hidden.zulip.test"

    def delivery_email(self, viewer: User) -> str | None:
        """The real address as `viewer` is shown it; None when they may not see it."""
        if self.is_bot or viewer.user_id == self.user_id:
            return self.email
        return self.email if viewer.role <= _SEES_ADDRESS[self.address_visibility] else None

    def member(self, viewer: User) -> dict[str, Any]:
        """The user as `GET /users` lists it to `viewer`."""
        return {
            "user_id": self.user_id, "email": self.api_email,
            "delivery_email": self.delivery_email(viewer),
            "full_name": self.full_name, "role": self.role, "is_bot": self.is_bot,
            "is_active": True, "is_admin": self.role <= ADMINISTRATOR,
            "is_owner": self.role == OWNER, "is_guest": self.role == GUEST,
            "timezone": "", "avatar_url": None, "date_joined": "2026-01-01T00:00:00+00:00",
        }


@dataclass
class Stream:
    stream_id: int
    name: str
    subscribers: set[int] = field(default_factory=set)
    invite_only: bool = False
    description: str = ""
    creator: int | None = None  # administers the channel, as organization admins do
    archived: bool = False


@dataclass
class Message:
    id: int
    sender: User
    content: str
    timestamp: int
    stream: Stream | None = None
    topic: str = ""
    recipients: tuple[User, ...] = ()  # a direct message: everyone in it, sender included
    submessages: list[dict[str, Any]] = field(default_factory=list)  # widgets (polls)
    earlier: list[str] = field(default_factory=list)  # its contents before each edit

    def visible_to(self, user_id: int) -> bool:
        if self.stream is not None:
            return user_id in self.stream.subscribers
        return any(user.user_id == user_id for user in self.recipients)

    def as_json(self, viewer: int, *, apply_markdown: bool) -> dict[str, Any]:
        content = (f"<p>{html.escape(self.content)}</p>" if apply_markdown else self.content)
        out: dict[str, Any] = {
            "id": self.id, "sender_id": self.sender.user_id,
            "sender_email": self.sender.api_email,
            "sender_full_name": self.sender.full_name, "sender_realm_str": "zulip",
            "content": content,
            "content_type": "text/html" if apply_markdown else "text/x-markdown",
            "timestamp": self.timestamp, "client": "double", "is_me_message": False,
            "reactions": [], "submessages": list(self.submessages), "topic_links": [],
            "avatar_url": None,
            "flags": self.flags(viewer),
        }
        if self.stream is not None:
            out.update(type="stream", stream_id=self.stream.stream_id,
                       display_recipient=self.stream.name, subject=self.topic,
                       recipient_id=1000 + self.stream.stream_id)
        else:
            out.update(
                type="private", subject="",
                display_recipient=[{"id": u.user_id, "email": u.api_email,
                                    "full_name": u.full_name, "is_mirror_dummy": False}
                                   for u in sorted(self.recipients, key=lambda u: u.user_id)],
                recipient_id=2000 + min(u.user_id for u in self.recipients),
            )
        return out

    def flags(self, viewer: int) -> list[str]:
        flags = ["read"] if viewer == self.sender.user_id else []
        if f"|{viewer}**" in self.content:
            flags.append("mentioned")
        return flags


@dataclass
class Queue:
    queue_id: str
    user_id: int
    event_types: tuple[str, ...] | None
    apply_markdown: bool
    last_used: float
    events: list[dict[str, Any]] = field(default_factory=list)
    next_id: int = 0
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    def add(self, event: dict[str, Any]) -> None:
        self.events.append({**event, "id": self.next_id})
        self.next_id += 1
        self.changed.set()

    def wants(self, kind: str) -> bool:
        return self.event_types is None or kind in self.event_types


class Realm:
    """Users, channels, messages, queues and uploads of one organization."""

    def __init__(self, *, monotonic: Any = time.monotonic,
                 max_message_length: int = MAX_MESSAGE_LENGTH) -> None:
        self.max_message_length = max_message_length
        self.users: dict[int, User] = {}
        self.streams: dict[int, Stream] = {}
        self.messages: list[Message] = []
        self.queues: dict[str, Queue] = {}
        self.uploads: dict[str, tuple[str, bytes]] = {}
        self._ids = itertools.count(10)
        self._message_ids = itertools.count(100)
        self.monotonic = monotonic

    # -- people and channels ---------------------------------------------------

    def add_user(self, full_name: str, email: str, *, role: int = MEMBER,
                 is_bot: bool = False, address_visibility: int = EVERYONE) -> User:
        user = User(next(self._ids), email, full_name, role, is_bot, address_visibility)
        self.users[user.user_id] = user
        return user

    def by_login(self, email: str) -> User | None:
        """Who logs in with this address: the API checks the real one."""
        return next((u for u in self.users.values() if u.email.lower() == email.lower()), None)

    def by_email(self, email: str) -> User | None:
        """The user whose real address (what one logs in with) or API address this is."""
        return next((u for u in self.users.values()
                     if email.lower() in (u.email.lower(), u.api_email.lower())), None)

    def add_stream(self, name: str, subscribers: Iterable[User] = ()) -> Stream:
        stream = Stream(next(self._ids), name, {u.user_id for u in subscribers})
        self.streams[stream.stream_id] = stream
        return stream

    def stream(self, ref: str | int) -> Stream:
        for stream in self.streams.values():
            if str(ref) in (str(stream.stream_id), stream.name):
                return stream
        raise ApiError(f"Channel '{ref}' does not exist", "STREAM_DOES_NOT_EXIST",
                       stream=str(ref))

    def person(self, ref: str | int) -> User:
        user = self.users.get(ref) if isinstance(ref, int) else (
            self.users.get(int(ref)) if str(ref).isdigit() else self.by_email(str(ref)))
        if user is None:
            raise ApiError(f"Invalid user ID {ref}" if str(ref).isdigit()
                           else f"Invalid email '{ref}'")
        return user

    # -- messages --------------------------------------------------------------

    def post(self, sender: User, content: str, *, stream: Stream | None = None,
             topic: str = "", to: Iterable[User] = ()) -> Message:
        if not content.strip():
            raise ApiError("Message must not be empty")
        if len(content) > self.max_message_length:  # what Zulip does with a longer one
            content = content[: self.max_message_length - 20] + "\n[message truncated]"
        if stream is not None and not topic.strip():
            raise ApiError("Topic can't be empty!")
        recipients = () if stream is not None else tuple(
            {u.user_id: u for u in (*to, sender)}.values())
        message = Message(next(self._message_ids), sender, content, int(time.time()),
                          stream, topic, recipients)
        widget = widget_of(content)
        if widget is not None:  # in the message as sent: no event of its own
            message.submessages.append(self._submessage(message, sender, json.dumps(widget)))
        self.messages.append(message)
        for queue in self.queues.values():
            if queue.wants("message") and message.visible_to(queue.user_id):
                payload = message.as_json(queue.user_id, apply_markdown=queue.apply_markdown)
                queue.add({"type": "message", "message": payload,
                           "flags": payload["flags"]})
        return message

    def edit(self, editor: User, message_id: int, content: str | None) -> Message:
        """`PATCH /messages/{id}` with `content`: only the sender edits a message's
        content; everyone who may see it gets an `update_message` event."""
        message = next((m for m in self.messages if m.id == message_id), None)
        if message is None or (not message.visible_to(editor.user_id) and (
                message.sender.user_id != editor.user_id)):
            raise ApiError("Invalid message(s)")
        if content is None:
            raise ApiError("Nothing to change")
        if message.sender.user_id != editor.user_id:
            raise ApiError("You don't have permission to edit this message")
        if len(content) > self.max_message_length:
            content = content[: self.max_message_length - 20] + "\n[message truncated]"
        original = message.content
        message.earlier.append(original)
        message.content = content
        for queue in self.queues.values():
            if queue.wants("update_message") and message.visible_to(queue.user_id):
                queue.add({"type": "update_message", "user_id": editor.user_id,
                           "message_id": message.id, "message_ids": [message.id],
                           "edit_timestamp": int(time.time()), "rendering_only": False,
                           "content": content, "orig_content": original,
                           "rendered_content": f"<p>{html.escape(content)}</p>",
                           "flags": message.flags(queue.user_id)})
        return message

    def _submessage(self, message: Message, sender: User, content: str) -> dict[str, Any]:
        return {"id": next(self._ids), "message_id": message.id, "sender_id": sender.user_id,
                "msg_type": WIDGET, "content": content}

    def submit(self, sender: User, message_id: int, msg_type: str, content: str) -> None:
        """`POST /submessage`: a vote (or option, or question) on a widget, told to
        everyone who may see the message by a `submessage` event."""
        message = next((m for m in self.messages if m.id == message_id), None)
        if message is None or not message.visible_to(sender.user_id):
            raise ApiError("Invalid message(s)")
        if msg_type != WIDGET:
            raise ApiError("Invalid msg_type")
        if not message.submessages:
            raise ApiError("Message is not a widget")
        try:
            check_poll_data(content)
        except WidgetError as error:
            raise ApiError(str(error)) from error
        sub = self._submessage(message, sender, content)
        message.submessages.append(sub)
        for queue in self.queues.values():
            if queue.wants("submessage") and message.visible_to(queue.user_id):
                queue.add({"type": "submessage", "submessage_id": sub["id"],
                           **{k: v for k, v in sub.items() if k != "id"}})

    def history(self, viewer: int, narrow: list[tuple[str, str, bool]]) -> list[Message]:
        """The messages `viewer` may see that match every term of the narrow."""
        found = [m for m in self.messages if m.visible_to(viewer)]
        for operator, operand, negated in narrow:
            found = [m for m in found if self._matches(m, operator, operand, viewer) != negated]
        return found

    def _matches(self, message: Message, operator: str, operand: str, viewer: int) -> bool:
        if operator in ("stream", "channel"):
            return message.stream is not None and (
                operand in (message.stream.name, str(message.stream.stream_id)))
        if operator == "topic":
            return message.stream is not None and message.topic.lower() == operand.lower()
        if operator == "sender":
            return operand in (message.sender.api_email, str(message.sender.user_id))
        if operator in ("pm-with", "dm"):
            wanted = {self.person(p.strip()).user_id for p in str(operand).split(",") if p}
            wanted.add(viewer)
            return message.stream is None and {u.user_id for u in message.recipients} == wanted
        if operator == "is" and operand in ("private", "dm"):
            return message.stream is None
        if operator == "id":
            return str(message.id) == operand
        if operator == "search":
            return operand.lower() in message.content.lower()
        raise ApiError(f"Invalid narrow operator: unknown operator {operator}")

    # -- event queues ------------------------------------------------------------

    def register(self, user: User, event_types: tuple[str, ...] | None,
                 apply_markdown: bool) -> Queue:
        queue = Queue(f"{int(time.time())}:{secrets.token_hex(4)}", user.user_id,
                      event_types, apply_markdown, self.monotonic())
        self.queues[queue.queue_id] = queue
        return queue

    def queue_of(self, user: User, queue_id: str) -> Queue:
        queue = self.queues.get(queue_id)
        if queue is None or queue.user_id != user.user_id:
            raise ApiError(f"Bad event queue ID: {queue_id}", "BAD_EVENT_QUEUE_ID",
                           queue_id=queue_id)
        queue.last_used = self.monotonic()
        return queue

    def expire(self, *, user_id: int | None = None, idle_for: float | None = None) -> int:
        """Drop queues (of one user, or those idle this long); how many went."""
        now = self.monotonic()
        gone = [q for q in self.queues.values()
                if (user_id is None or q.user_id == user_id)
                and (idle_for is None or now - q.last_used > idle_for)]
        for queue in gone:
            del self.queues[queue.queue_id]
            queue.changed.set()  # a long-poll on it answers BAD_EVENT_QUEUE_ID
        return len(gone)

    @property
    def max_message_id(self) -> int:
        return self.messages[-1].id if self.messages else -1


def json_param(params: dict[str, str], name: str, default: Any) -> Any:
    """Zulip's parameters are JSON-encoded unless they are plain strings."""
    if name not in params:
        return default
    try:
        return json.loads(params[name])
    except json.JSONDecodeError:
        raise ApiError(f"Argument \"{name}\" is not valid JSON.") from None


def parse_narrow(raw: Any) -> list[tuple[str, str, bool]]:
    """A narrow: [{"operator", "operand", "negated"}] or the legacy [[operator, operand]]."""
    if not isinstance(raw, list):
        raise ApiError("Invalid narrow")
    terms = []
    for term in raw:
        if isinstance(term, dict):
            operand = term.get("operand")
            if isinstance(operand, list):
                operand = ",".join(str(item) for item in operand)
            terms.append((str(term.get("operator")), str(operand),
                          bool(term.get("negated", False))))
        elif isinstance(term, list) and len(term) == 2:
            terms.append((str(term[0]), str(term[1]), False))
        else:
            raise ApiError("Invalid narrow")
    return terms
