"""A user id inside free text, found only where the whole id stands.

Forget-me replaces the forgotten person's id in free text (a notice that named
them, a reminder, a display name, a form's answer), and must never touch an
id it is a part of: forgetting `@ana:example.org` leaves `@ana:example.org:8448`
(a port), `@ana:example.orgx`, `@ana:example.org.uk` and `@x@ana:example.org`
(a historical localpart) as they are; forgetting `zulip:1` leaves `zulip:12`.

So an occurrence counts only when the characters around it cannot continue an
id: before it, none of a localpart's characters (nor `@`, nor a backslash); after it, no
letter, digit, `_` or `-`, and no `.` or `:` followed by what a server name or
port goes on with. A `.` or `:` ending a sentence ("thanks @ana:example.org.")
is punctuation. The id is also found as Markdown-escaped text (`escape`), as
the bot writes user-supplied ids into its messages.
"""

from __future__ import annotations

import re
from functools import lru_cache

from bot.text import escape

# What may come right before an id without being part of a longer one.
_BEFORE = r"(?<![A-Za-z0-9._=\-/+@\\])"
# What may come right after: not a character that continues a server name,
# localpart or port, nor a `.`/`:` followed by one (`.uk`, `:8448`, `:[`).
_AFTER = r"(?![A-Za-z0-9_\-]|[.:][A-Za-z0-9\[])"


@lru_cache(maxsize=64)
def pattern(user_id: str) -> re.Pattern[str]:
    """The whole id (or its Markdown-escaped form) bounded as above."""
    forms = sorted({user_id, escape(user_id)}, key=len, reverse=True)
    return re.compile(_BEFORE + "(?:" + "|".join(map(re.escape, forms)) + ")" + _AFTER)


def replace(text: str, user_id: str, gone: str) -> str:
    """The text with every whole occurrence of the id replaced by `gone`."""
    if user_id not in text and escape(user_id) not in text:
        return text
    return pattern(user_id).sub(gone, text)


def without_line(lines: str | None, user_id: str) -> str | None:
    """A list of ids, one a line (`mentions`), without exactly the line `user_id`;
    None when nothing is left."""
    if lines is None:
        return None
    kept = [line for line in lines.splitlines() if line != user_id]
    return "\n".join(kept) or None
