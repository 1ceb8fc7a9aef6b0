"""Zulip's poll widget, as pure functions: posting a `Poll`, reading votes on it.

- Posting: a message whose content is `/poll <question>` followed by one choice
  per line becomes a poll widget (zulip.com/help/create-a-poll); the server
  then adds a `widget` submessage from the sender with the question and the
  options. Each line is collapsed to one line of text; the bot's choices keep
  their order, so the n-th line is choice n.
- Votes: the clients send `POST /submessage` with `msg_type` `widget` and
  content `{"type": "vote", "key": "canned,<n>", "vote": 1}` (`-1` withdraws
  it); everyone who may see the message gets a `submessage` event with the
  message id, the voter's id and that content. `canned,<n>` names the n-th
  option of the poll as posted; options added later by people are keyed
  `<their user id>,<n>` and are not the form's choices, so they do not count.
"""

from __future__ import annotations

import json
from typing import Any

from bot.transport.base import Poll, Vote
from bot.transport.zulip_format import user_key

NETWORK = "zulip"
CANNED = "canned"


def _line(text: str) -> str:
    return " ".join(text.split())


def poll_content(poll: Poll) -> str:
    """The message content Zulip turns into a poll widget."""
    return "\n".join([f"/poll {_line(poll.question)}", *(_line(c) or "-" for c in poll.choices)])


def read_vote(event: Any, own_id: int) -> Vote | None:
    """The vote in a `submessage` event; None for anything else (the widget's own
    set-up, a new option, a question edit, the bot's own submessages, junk)."""
    if not isinstance(event, dict) or event.get("type") != "submessage":
        return None
    if event.get("msg_type") != "widget":
        return None
    message_id, sender_id = event.get("message_id"), event.get("sender_id")
    if not isinstance(message_id, int) or not isinstance(sender_id, int) or sender_id == own_id:
        return None
    try:
        content = json.loads(event.get("content") or "")
    except (TypeError, ValueError):
        return None
    if not isinstance(content, dict) or content.get("type") != "vote":
        return None
    key, vote = content.get("key"), content.get("vote")
    if not isinstance(key, str) or vote not in (1, -1) or isinstance(vote, bool):
        return None
    owner, _, index = key.partition(",")
    if owner != CANNED or not index.isdigit() or len(index) > 6:
        return None
    return Vote(NETWORK, user_key(sender_id), str(message_id), (int(index),), vote == 1)
