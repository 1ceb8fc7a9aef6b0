"""Matrix polls (MSC3381, in the spec since v1.7), as pure functions.

- Posting: an `m.poll.start` event whose content has the stable `m.poll` block
  (question, answers with ids `c0`, `c1`…, `kind` disclosed, `max_selections`
  all of them: the daily question allows several) and, for clients that still
  speak the proposal, its unstable twin `org.matrix.msc3381.poll.start`, plus
  text fallbacks (`m.text`, `org.matrix.msc1767.text`, `body`) for clients
  without polls, and an empty `m.mentions`: nobody is pinged by a name or
  `@room` in the question.
- Votes: an `m.poll.response` (or `org.matrix.msc3381.poll.response`) event
  referencing the poll (`m.relates_to`, `rel_type` `m.reference`) with the
  voter's whole selection (`m.selections`, or `answers` in the unstable block):
  it replaces their earlier response, and an empty one takes the vote back.
  Answer ids we did not post are not ours: such a response is ignored.
"""

from __future__ import annotations

from typing import Any

from bot.transport.base import Poll, Vote

NETWORK = "matrix"
START = "m.poll.start"
UNSTABLE_START = "org.matrix.msc3381.poll.start"
RESPONSES = ("m.poll.response", "org.matrix.msc3381.poll.response")
_MAX_ANSWER_ID = 8


def answer_id(index: int) -> str:
    return f"c{index}"


def poll_start_content(poll: Poll, fallback: str) -> dict[str, Any]:
    """The content of the `m.poll.start` event posting `poll`."""
    ids = [answer_id(n) for n in range(len(poll.choices))]
    stable = {
        "kind": "m.poll.disclosed",
        "max_selections": len(poll.choices),
        "question": {"m.text": [{"body": poll.question}]},
        "answers": [{"m.id": i, "m.text": [{"body": c}]} for i, c in zip(ids, poll.choices,
                                                                          strict=True)],
    }
    unstable = {
        "kind": "org.matrix.msc3381.poll.disclosed",
        "max_selections": len(poll.choices),
        "question": {"org.matrix.msc1767.text": poll.question},
        "answers": [{"id": i, "org.matrix.msc1767.text": c} for i, c in zip(ids, poll.choices,
                                                                             strict=True)],
    }
    return {
        "m.poll": stable,
        UNSTABLE_START: unstable,
        "m.text": [{"body": fallback}],
        "org.matrix.msc1767.text": fallback,
        "body": fallback,
        "m.mentions": {},
    }


def read_poll_response(source: Any, own_user_id: str) -> Vote | None:
    """The vote in a poll response event; None for anything else."""
    if not isinstance(source, dict) or source.get("type") not in RESPONSES:
        return None
    sender, content = source.get("sender"), source.get("content")
    if not isinstance(sender, str) or sender == own_user_id or not isinstance(content, dict):
        return None
    relation = content.get("m.relates_to")
    if not isinstance(relation, dict) or relation.get("rel_type") != "m.reference":
        return None
    poll = relation.get("event_id")
    selections = content.get("m.selections")
    if selections is None:
        unstable = content.get(RESPONSES[1])
        selections = unstable.get("answers") if isinstance(unstable, dict) else None
    if not isinstance(poll, str) or not isinstance(selections, list):
        return None
    choices = []
    for item in selections:
        if not (isinstance(item, str) and item.startswith("c") and item[1:].isdigit()
                and len(item) <= _MAX_ANSWER_ID):
            return None
        choices.append(int(item[1:]))
    return Vote(NETWORK, sender, poll, tuple(choices), chosen=True, replaces=True)
