"""Who a message of the bot notifies: the checks run on every message the tests see.

On Zulip a person is notified by `@**Full Name**` or `@**Full Name|12**`, a user
group by `@*group*`, everyone by the wildcards `@**all**`, `@**everyone**`,
`@**channel**`, `@**topic**`, `@**stream**`. A silent mention (`@_**Name|12**`,
`@_*group*`) names without notifying, and nothing in a code span or a code block
is a mention. Zulip has no backslash escapes, so a backslash protects nothing.
Where unsure the check is stricter than Zulip: a mention in a quote or a link
text counts, and a code span ends at the end of its line.

On Matrix, who is notified is the content's `m.mentions` (intentional mentions:
with it present, clients do not ping for a name or `@room` in the text), so it
must list only the people the bot meant, and nobody (`{}`) by default.

Meant is `Outgoing.mentions`; a message on the Zulip wire does not say whom it
means, so there (the API double's check) no notifying mention is meant.
"""

from __future__ import annotations

import re
from collections.abc import Collection

from bot.transport.base import Outgoing
from bot.transport.matrix_format import notice_content
from bot.transport.matrix_polls import poll_start_content
from bot.transport.zulip_format import render, user_number
from bot.transport.zulip_polls import poll_content

_FENCE = re.compile(r" {0,3}(`{3,}|~{3,})")
_TICKS = re.compile(r"`+")
_NOTIFYING = re.compile(r"@(?:\*\*[^*\n]+?\*\*|\*[^*\n]+?\*)")
_MENTIONED_ID = re.compile(r"\|(\d+)\*\*$")


def prose(content: str) -> list[str]:
    """The lines of a Zulip message outside code blocks, code spans blanked out."""
    lines: list[str] = []
    fence: str | None = None  # the opening fence of the code block we are in
    for line in content.split("\n"):
        opened = _FENCE.match(line)
        if fence is not None:
            if opened and opened[1][0] == fence[0] and len(opened[1]) >= len(fence) and (
                    not line[opened.end():].strip()):
                fence = None
            continue
        if opened:
            fence = opened[1]
            continue
        lines.append(_without_spans(line))
    return lines


def _without_spans(line: str) -> str:
    """A code span opens with a run of backticks and closes with a run of the same
    length; a run that never closes is plain text."""
    out: list[str] = []
    position = 0
    while (run := _TICKS.search(line, position)) is not None:
        close = re.compile(f"(?<!`){run[0]}(?!`)").search(line, run.end())
        if close is None:
            out.append(line[position:run.end()])
            position = run.end()
            continue
        out.append(line[position:run.start()] + " " * (close.end() - run.start()))
        position = close.end()
    out.append(line[position:])
    return "".join(out)


def notifying_mentions(content: str, meant: Collection[int] = ()) -> list[str]:
    """The mentions in a Zulip message that notify someone not in `meant` (user ids)."""
    found: list[str] = []
    for line in prose(content):
        for mention in _NOTIFYING.findall(line):
            number = _MENTIONED_ID.search(mention)
            if number is None or int(number[1]) not in meant:
                found.append(mention)
    return found


def unmeant_notifications(message: Outgoing) -> list[str]:
    """Whom an outgoing message would notify without meaning to, on either network:
    its text rendered by the Zulip transport's formatter, and the `m.mentions` the
    Matrix transport's formatter puts in its content. Empty when it notifies only
    people in `message.mentions`."""
    if message.action is not None:
        return []  # not a message: nothing is shown to anyone
    meant_ids = {n for n in (user_number(m) for m in message.mentions) if n is not None}
    zulip = poll_content(message.poll) if message.poll is not None else render(
        message.text, {})
    problems = [f"Zulip {mention}" for mention in notifying_mentions(zulip, meant_ids)]
    content = (poll_start_content(message.poll, message.text) if message.poll is not None
               else notice_content(message.text, mentions=message.mentions))
    told = content.get("m.mentions")
    if not isinstance(told, dict):
        problems.append("Matrix: no m.mentions, so every client pings for names and @room")
    elif told.get("room") or not set(told.get("user_ids", ())) <= set(message.mentions):
        problems.append(f"Matrix m.mentions {told}")
    return problems
