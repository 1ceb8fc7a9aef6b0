"""People of a Zulip organization in the end-to-end tests, driven by the official client.

`Org` is a fresh API double with the bot's account (a generic bot subscribed to
the `workshop` channel) and `person()` to add people; `ZulipPerson` sends with
the official `zulip` client and reads the bot's answers from its own event
queue (long-polls that the double's heartbeat ends every second), so waiting
is polling with a deadline, never a fixed sleep. The client is synchronous:
every call runs in a worker thread, off the loop the bot may be running on.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Callable
from typing import Any

import pytest
import zulip

from tests.zulip.double import ZulipDouble
from tests.zulip.realm import EVERYONE, MEMBER, Stream, User

CHANNEL = "workshop"
TOPIC = "general"
WAIT_S = 20.0


class ZulipPerson:
    def __init__(self, org: Org, user: User) -> None:
        self.org = org
        self.user = user
        self.user_id = user.user_id
        self.key = f"zulip:{user.user_id}"  # how the bot names them
        self.client = zulip.Client(email=user.email, api_key=user.api_key, site=org.double.url,
                                   client="e2e-person")
        self.client.retry_on_errors = False
        queue = self.client.register(event_types=["message"], apply_markdown=False)
        self.queue_id: str = queue["queue_id"]
        self.last_event_id: int = queue["last_event_id"]
        self.inbox: list[dict[str, Any]] = []  # the bot's messages not matched yet

    async def _call(self, method: Callable[..., dict[str, Any]], *args: Any) -> dict[str, Any]:
        answer = await asyncio.to_thread(method, *args)
        assert answer.get("result") == "success", answer
        return answer

    async def say(self, text: str, *, topic: str = TOPIC, channel: str = CHANNEL) -> int:
        """A message in a channel's topic; its id."""
        answer = await self._call(self.client.send_message, {
            "type": "stream", "to": channel, "topic": topic, "content": text})
        return int(answer["id"])

    async def tell_bot(self, text: str) -> int:
        """A direct message to the bot; its id."""
        answer = await self._call(self.client.send_message, {
            "type": "private", "to": [self.org.bot.user_id], "content": text})
        return int(answer["id"])

    async def tell_group(self, others: tuple[ZulipPerson, ...], text: str) -> int:
        """A direct message to the bot and others together (a group conversation)."""
        answer = await self._call(self.client.send_message, {
            "type": "private", "to": [self.org.bot.user_id, *(p.user_id for p in others)],
            "content": text})
        return int(answer["id"])

    async def vote(self, message_id: int, choice: int, *, chosen: bool = True) -> None:
        """Click a poll's `choice`-th option (0-based) as the web client does: a
        `widget` submessage (`chosen=False` takes the vote back)."""
        content = json.dumps({"type": "vote", "key": f"canned,{choice}",
                              "vote": 1 if chosen else -1})
        await self._call(lambda: self.client.call_endpoint(
            url="submessage", method="POST",
            request={"message_id": message_id, "msg_type": "widget", "content": content}))

    async def expect(
        self, pattern: str, *, direct: bool | None = None, topic: str | None = None,
        within: float = WAIT_S,
    ) -> dict[str, Any]:
        """The next message from the bot whose content matches `pattern` (a regex)."""
        deadline = time.monotonic() + within
        while True:
            for message in self.inbox:
                if self._fits(message, pattern, direct, topic):
                    self.inbox.remove(message)
                    return message
            if time.monotonic() >= deadline:
                pytest.fail(f"{self.user.full_name} got no message matching {pattern!r} "
                            f"within {within:.0f} s; got: {[m['content'] for m in self.inbox]}")
            await self._poll()

    async def quiet(self, seconds: float) -> list[dict[str, Any]]:
        """Everything the bot sends in the next `seconds` (to show nothing more came)."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            await self._poll()
        got, self.inbox = self.inbox, []
        return got

    @staticmethod
    def _fits(message: dict[str, Any], pattern: str, direct: bool | None,
              topic: str | None) -> bool:
        if direct is not None and (message["type"] == "private") != direct:
            return False
        if topic is not None and message.get("subject") != topic:
            return False
        return re.search(pattern, message["content"]) is not None

    async def _poll(self) -> None:
        answer = await asyncio.to_thread(self.client.get_events, queue_id=self.queue_id,
                                         last_event_id=self.last_event_id)
        if answer.get("result") != "success":
            await asyncio.sleep(0.1)  # the double is down: the poll's pacing, not a wait
            return
        for event in answer["events"]:
            self.last_event_id = max(self.last_event_id, event["id"])
            message = event.get("message")
            if event["type"] == "message" and message["sender_id"] == self.org.bot.user_id:
                self.inbox.append(message)


class Org:
    """A fresh organization on a fresh double, with the bot's account."""

    def __init__(self, double: ZulipDouble) -> None:
        self.double = double
        self.bot = double.add_user("Classroom Bot", "classroom-bot@zulip.test", is_bot=True)
        self.channel: Stream = double.add_stream(CHANNEL, self.bot)

    def person(self, name: str, *, role: int = MEMBER, email: str | None = None,
               address_visibility: int = EVERYONE) -> ZulipPerson:
        """Someone in the `workshop` channel; `email` is their real address, which
        `address_visibility` may hide from the API's `email`."""
        user = self.double.add_user(name, email or f"{name.lower().replace(' ', '.')}@uni.test",
                                    role=role, address_visibility=address_visibility)
        self.double.subscribe(self.channel, user)
        return ZulipPerson(self, user)
