"""The check that the bot's text notifies nobody it does not mean to (Zulip and
Matrix), and that it catches a planted mention: tests/zulip/mentions.py, run
on every message of the transcript tests (tests/chat.py) and of the Zulip
tests (the API double)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot.text import escape
from bot.transport.base import FORGET_DIRECT, Outgoing, Poll
from tests import chat as chat_module
from tests.chat import ROOM, Chat, take_notifying
from tests.zulip import mentions
from tests.zulip.mentions import notifying_mentions, unmeant_notifications


@pytest.mark.parametrize("text", [
    "ask @**Ana**", "ask @**Ana Lopez|12**", "tell @*staff*", "@**all** come",
    "@**everyone**", "@**channel**", "@**topic**", "@**stream**",
    "\\@**Ana**",  # Zulip has no backslash escapes
    "an unclosed `code @**Ana**",
    "``not closed by one` @**Ana**",
    "```\ncode\n``\n```\n@**Ana**",  # the block ends at the second fence, not the ``
    "> quoted @**Ana**", "[@**Ana**](https://example.org)",
    "a `span`\n@**Ana** on the next line",
])
def test_a_notifying_mention_outside_code_is_found(text: str) -> None:
    assert notifying_mentions(text) != []


@pytest.mark.parametrize("text", [
    "silently @_**Ana|12**", "silently @_*staff*", "type `@**Ana**`",
    "``code with ` and @**Ana**``", "```\n@**all**\n```", "~~~ quote\n@**all**\n~~~",
    "```\nnever closed\n@**all**", "&#64;**Ana** and @&#42;&#42;all&#42;&#42;",
])
def test_silent_mentions_and_code_notify_nobody(text: str) -> None:
    assert notifying_mentions(text) == []


def test_a_mention_is_meant_only_by_its_exact_user_id() -> None:
    assert notifying_mentions("hi @**Ana|12**", meant={12}) == []
    assert notifying_mentions("hi @**Ana|123**", meant={12}) == ["@**Ana|123**"]
    assert notifying_mentions("hi @**Ana**", meant={12}) == ["@**Ana**"]  # says no id


def test_bot_text_is_checked_as_each_transport_would_send_it() -> None:
    assert unmeant_notifications(Outgoing("mention like @**Ana**", room=ROOM)) == [
        "Zulip @**Ana**"]
    # The Zulip formatter shows people as silent mentions or code, escapes as references.
    for fine in ("`zulip:12` has a seat", "ask zulip:12",
                 "you wrote " + escape("@**all** @*staff*"), "like `@**Ana**`"):
        assert unmeant_notifications(Outgoing(fine, room=ROOM)) == []
    meant = Outgoing("You were added", room=ROOM, mentions=("@ana:uni.no",))
    assert unmeant_notifications(meant) == []
    forget = Outgoing("", room=ROOM, mentions=("zulip:12",), action=FORGET_DIRECT)
    assert unmeant_notifications(forget) == []
    poll = Outgoing("How was today?", room="poll", poll=Poll("How was @**all**?", ("ok",)))
    assert unmeant_notifications(poll) == ["Zulip @**all**"]


def test_matrix_content_that_mentions_someone_unmeant_is_found(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def planted(**told: Any) -> Any:
        def content(text: str, **_: Any) -> dict[str, Any]:
            return {"msgtype": "m.notice", "body": text, **told}
        return content

    message = Outgoing("Seats are open", room=ROOM, mentions=("@ana:uni.no",))
    monkeypatch.setattr(mentions, "notice_content",
                        planted(**{"m.mentions": {"user_ids": ["@eve:uni.no"]}}))
    assert unmeant_notifications(message) == [
        "Matrix m.mentions {'user_ids': ['@eve:uni.no']}"]
    monkeypatch.setattr(mentions, "notice_content", planted(**{"m.mentions": {"room": True}}))
    assert unmeant_notifications(message) == ["Matrix m.mentions {'room': True}"]
    monkeypatch.setattr(mentions, "notice_content", planted())
    assert unmeant_notifications(message)[0].startswith("Matrix: no m.mentions")


async def test_a_planted_mention_in_a_transcript_is_caught_at_the_end_of_the_test(
    tmp_path: Path,
) -> None:
    chat = await Chat.open(tmp_path)
    try:
        assert (await chat.say("@ana:uni.no", "!tz")).reply  # notifies nobody
        await chat.transport.deliver(Outgoing("mention the person, like @**Ana**", room=ROOM))
    finally:
        await chat.close()
    found = take_notifying()  # what tests/conftest.py would fail the test with
    assert found == ["Zulip @**Ana** in 'mention the person, like @**Ana**'"]
    assert chat_module._TRANSPORTS == []
