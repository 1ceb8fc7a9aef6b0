"""Zulip's widgets in the API double: a `/poll` message and the submessages on it.

Written from the documented behaviour (zulip.com/help/create-a-poll, the
`submessage` event and `POST /submessage`) and the web client's poll data: a
message whose content starts with `/poll ` gets a `widget` submessage from its
sender, `{"widget_type": "poll", "extra_data": {"question": ..., "options": [...]}}`
(the first line after `/poll` is the question, every non-empty further line an
option); votes are submessages `{"type": "vote", "key": "canned,<n>", "vote": 1}`
(`-1` withdraws), `canned,<n>` naming the n-th option of the message.
"""

from __future__ import annotations

import json
from typing import Any

WIDGET = "widget"


class WidgetError(ValueError):
    """Submessage content the server refuses."""


def widget_of(content: str) -> dict[str, Any] | None:
    """The widget submessage content a new message gets, or None."""
    first, _, rest = content.partition(" ")
    if first != "/poll":
        return None
    lines = rest.splitlines()
    question = lines.pop(0).strip() if lines and lines[0].strip() else ""
    options = [line.strip() for line in lines if line.strip()]
    return {"widget_type": "poll", "extra_data": {"question": question, "options": options}}


def check_poll_data(raw: str) -> dict[str, Any]:
    """A poll submessage's content, checked as the server checks it."""
    try:
        data = json.loads(raw)
    except ValueError as exc:
        raise WidgetError("Invalid json for submessage") from exc
    if not isinstance(data, dict):
        raise WidgetError("Invalid poll data")
    kind = data.get("type")
    if kind == "vote":
        if not isinstance(data.get("key"), str) or data.get("vote") not in (1, -1):
            raise WidgetError("Invalid poll data")
    elif kind == "new_option":
        if not isinstance(data.get("idx"), int) or not isinstance(data.get("option"), str):
            raise WidgetError("Invalid poll data")
    elif kind == "question":
        if not isinstance(data.get("question"), str):
            raise WidgetError("Invalid poll data")
    else:
        raise WidgetError("Unknown type for poll data: " + str(kind))
    return data
