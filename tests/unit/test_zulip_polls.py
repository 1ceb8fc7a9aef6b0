"""Zulip's poll widget (bot/transport/zulip_polls.py): the `/poll` message posted, and
reading votes from `submessage` events as the official clients send them."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bot.messages import Poll, Vote
from bot.transport.zulip_polls import poll_content, read_vote

BOT = 7


def event(content: Any, *, sender: int = 21, message: Any = 100, kind: str = "submessage",
          msg_type: str = "widget") -> dict[str, Any]:
    raw = content if isinstance(content, str) else json.dumps(content)
    return {"type": kind, "msg_type": msg_type, "content": raw, "message_id": message,
            "sender_id": sender, "submessage_id": 5, "id": 3}


def test_a_poll_is_the_question_then_one_choice_per_line() -> None:
    poll = Poll("Day 1 of  Spring:\nToday was", ("too fast", " right\tspeed ", ""))
    assert poll_content(poll) == "/poll Day 1 of Spring: Today was\ntoo fast\nright speed\n-"


def test_a_vote_and_its_withdrawal() -> None:
    assert read_vote(event({"type": "vote", "key": "canned,2", "vote": 1}), BOT) == Vote(
        "zulip", "zulip:21", "100", (2,), True)
    assert read_vote(event({"type": "vote", "key": "canned,0", "vote": -1}), BOT) == Vote(
        "zulip", "zulip:21", "100", (0,), False)


@pytest.mark.parametrize("content", [
    {"widget_type": "poll", "extra_data": {"question": "Q", "options": ["a"]}},  # set-up
    {"type": "new_option", "idx": 1, "option": "pizza"},
    {"type": "question", "question": "Q?"},
    {"type": "vote", "key": "21,1", "vote": 1},  # an option someone added: not the form's
    {"type": "vote", "key": "canned,x", "vote": 1},
    {"type": "vote", "key": "canned,-1", "vote": 1},
    {"type": "vote", "key": "canned,1", "vote": 2},
    {"type": "vote", "key": "canned,1", "vote": True},
    {"type": "vote", "key": "canned,1"},
    {"type": "vote", "key": 1, "vote": 1},
    ["vote"],
    "not json {",
])
def test_anything_but_a_vote_on_a_canned_option_is_not_a_vote(content: Any) -> None:
    assert read_vote(event(content), BOT) is None


def test_the_bots_own_submessages_and_other_events_are_not_votes() -> None:
    vote = {"type": "vote", "key": "canned,1", "vote": 1}
    assert read_vote(event(vote, sender=BOT), BOT) is None
    assert read_vote(event(vote, kind="message"), BOT) is None
    assert read_vote(event(vote, msg_type="other"), BOT) is None
    assert read_vote(event(vote, message="100"), BOT) is None
    assert read_vote("junk", BOT) is None
