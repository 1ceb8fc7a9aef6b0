"""Matrix polls (bot/transport/matrix_polls.py): the `m.poll.start` content posted, and
votes read from stable and unstable (MSC3381) poll responses."""

from __future__ import annotations

from typing import Any

import pytest

from bot.messages import Poll, Vote
from bot.transport.matrix_polls import poll_start_content, read_poll_response

BOT = "@bot:example.org"
POLL = "$poll"


def test_the_start_event_has_the_stable_and_unstable_poll_and_a_text_fallback() -> None:
    content = poll_start_content(Poll("Today was", ("too fast", "too slow")), "1. too fast")
    stable = content["m.poll"]
    assert stable["question"] == {"m.text": [{"body": "Today was"}]}
    assert stable["answers"] == [{"m.id": "c0", "m.text": [{"body": "too fast"}]},
                                 {"m.id": "c1", "m.text": [{"body": "too slow"}]}]
    assert (stable["kind"], stable["max_selections"]) == ("m.poll.disclosed", 2)
    unstable = content["org.matrix.msc3381.poll.start"]
    assert unstable["question"] == {"org.matrix.msc1767.text": "Today was"}
    assert unstable["answers"][1] == {"id": "c1", "org.matrix.msc1767.text": "too slow"}
    assert content["body"] == content["org.matrix.msc1767.text"] == "1. too fast"
    assert content["m.mentions"] == {}  # a name in the question pings nobody


def event(content: Any, kind: str = "m.poll.response", sender: str = "@lars:x.org"
          ) -> dict[str, Any]:
    return {"type": kind, "sender": sender, "content": content, "event_id": "$r"}


REF = {"rel_type": "m.reference", "event_id": POLL}


def test_a_response_is_the_voters_whole_selection() -> None:
    vote = read_poll_response(event({"m.relates_to": REF, "m.selections": ["c0", "c2"]}), BOT)
    assert vote == Vote("matrix", "@lars:x.org", POLL, (0, 2), True, replaces=True)
    unstable = event({"m.relates_to": REF,
                      "org.matrix.msc3381.poll.response": {"answers": ["c1"]}},
                     kind="org.matrix.msc3381.poll.response")
    assert read_poll_response(unstable, BOT) == Vote("matrix", "@lars:x.org", POLL, (1,),
                                                     True, replaces=True)
    empty = read_poll_response(event({"m.relates_to": REF, "m.selections": []}), BOT)
    assert empty is not None and empty.choices == ()  # the vote taken back


@pytest.mark.parametrize("source", [
    event({"m.relates_to": REF, "m.selections": ["c0"]}, kind="m.room.message"),
    event({"m.relates_to": REF, "m.selections": ["c0"]}, sender=BOT),
    event({"m.relates_to": {"rel_type": "m.thread", "event_id": POLL}, "m.selections": ["c0"]}),
    event({"m.relates_to": REF, "m.selections": ["pizza"]}),  # not an answer we posted
    event({"m.relates_to": REF, "m.selections": [0]}),
    event({"m.relates_to": REF, "m.selections": "c0"}),
    event({"m.relates_to": REF}),
    event({"m.selections": ["c0"]}),
    event(["c0"]),
    None,
])
def test_anything_else_is_not_a_vote(source: Any) -> None:
    assert read_poll_response(source, BOT) is None
