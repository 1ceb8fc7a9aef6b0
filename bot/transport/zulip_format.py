"""Zulip's side of the neutral messages, as pure functions (no I/O).

- People: a Zulip user is `zulip:<numeric user id>` in the bot (`Person.user_id`,
  `Incoming.sender`, notices): the id is stable across e-mail and name changes.
  The bot shows them as a silent mention, `@_**Full Name|1234**` (names the
  person without notifying them).
- Conversations (`Incoming.room`, `Outgoing.room`): `stream:<channel id>:<topic>`
  for a channel's topic, `dm:<user id>,<user id>` for a direct conversation
  (the other people in it, the bot left out).
- Reading: a message becomes the text a command is read from. A mention of the
  bot at its start is taken off (a channel message then counts as a command
  with the prefix); a mention of someone else (`@**Ana|12**`, silent or not)
  becomes their `zulip:12`, so `!room lead add R7 @**Ana**` names Ana.
- Rendering: handlers write CommonMark with user text backslash-escaped; Zulip
  reads the same emphasis, code spans, lists and links. What differs:
  `zulip:12` (alone or in a code span) becomes the silent mention; `<url>`
  becomes the bare address (Zulip links it). Zulip has no backslash escapes
  at all (its Markdown disables them and shows the backslash), but it passes
  character references through: each escape `\\*` becomes `&#42;`, which no
  Zulip pattern (emphasis, mentions, `:emoji:`, `$$math$$`, lists...) reads as
  syntax and which shows `*`. A hard break (a backslash ending a line) becomes
  a plain line break, Zulip's own. A message longer than the server takes
  (`max_message_length` in the `register` answer; 10,000 characters, the
  documented default, when absent) is split at line breaks.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

USER_PREFIX = "zulip:"
MAX_LENGTH = 10_000

_CODE_USER = re.compile(r"`+ ?zulip:(\d{1,12}) ?`+")
_BARE_USER = re.compile(r"(?<![\w:/])zulip:(\d{1,12})\b")
_MENTION = re.compile(r"@_?\*\*([^*|\n]+?)(?:\|(\d+))?\*\*")
_AUTOLINK = re.compile(r"<(https?://[^>\s]+)>")
_PARTIAL_REFERENCE = re.compile(r"&#\d*$")
# A CommonMark backslash escape (any ASCII punctuation), a hard break, or a run of
# backticks that may open a code span (an escaped backtick never does).
_TOKEN = re.compile(r"\\([!-/:-@\[-`{-~])|\\\n|(`+)")


def user_key(user_id: int) -> str:
    return f"{USER_PREFIX}{user_id}"


def user_number(key: str) -> int | None:
    """The numeric id in `zulip:1234`; None for anything else."""
    if key.startswith(USER_PREFIX) and key[len(USER_PREFIX):].isdigit():
        return int(key[len(USER_PREFIX):])
    return None


@dataclass(frozen=True)
class StreamTopic:
    stream_id: int | str  # a name only for the configured poll channel
    topic: str

    @property
    def key(self) -> str:
        return f"stream:{self.stream_id}:{self.topic}"

    @property
    def channel(self) -> str | None:
        """The channel's id, as a local room's chat records it."""
        return str(self.stream_id)


@dataclass(frozen=True)
class Direct:
    user_ids: tuple[int, ...]  # everyone in it but the bot, sorted

    @property
    def key(self) -> str:
        return "dm:" + ",".join(str(uid) for uid in self.user_ids)

    @property
    def channel(self) -> str | None:
        return None


Conversation = StreamTopic | Direct


def conversation_of(key: str) -> Conversation | None:
    """The conversation a room key names; None when it is not one of ours."""
    kind, _, rest = key.partition(":")
    if kind == "stream":
        stream, sep, topic = rest.partition(":")
        return StreamTopic(int(stream), topic) if sep and stream.isdigit() and topic else None
    if kind == "dm":
        ids = rest.split(",")
        if ids and all(part.isdigit() for part in ids):
            return Direct(tuple(sorted(int(part) for part in ids)))
    return None


@dataclass(frozen=True)
class ZulipMessage:
    """What the bot needs of a message object from `GET /messages` or an event."""

    id: int
    sender_id: int
    content: str
    conversation: Conversation
    is_direct: bool  # a one-to-one conversation with the bot
    sent_at: datetime | None


def read_message(raw: Any, own_id: int) -> ZulipMessage | None:
    """A message object as the API documents it; None for the bot's own and malformed ones."""
    if not isinstance(raw, Mapping):
        return None
    message_id, sender, content = raw.get("id"), raw.get("sender_id"), raw.get("content")
    if (not isinstance(message_id, int) or not isinstance(sender, int)
            or not isinstance(content, str) or sender == own_id):
        return None
    stamp = raw.get("timestamp")
    sent_at = (datetime.fromtimestamp(stamp, UTC)
               if isinstance(stamp, int | float) and 0 < stamp < 2**33 else None)
    if raw.get("type") == "stream":
        stream, topic = raw.get("stream_id"), raw.get("subject", raw.get("topic"))
        if not isinstance(stream, int) or not isinstance(topic, str) or not topic:
            return None
        return ZulipMessage(message_id, sender, content, StreamTopic(stream, topic), False,
                            sent_at)
    recipients = raw.get("display_recipient")
    if raw.get("type") != "private" or not isinstance(recipients, list):
        return None
    ids = {r.get("id") for r in recipients if isinstance(r, Mapping)}
    if not all(isinstance(uid, int) for uid in ids):
        return None
    others = tuple(sorted(uid for uid in ids if isinstance(uid, int) and uid != own_id))
    if not others:
        return None
    return ZulipMessage(message_id, sender, content, Direct(others),
                        others == (sender,), sent_at)


def command_text(
    content: str, *, own_id: int, own_name: str, prefix: str, resolve: Callable[[str], int | None]
) -> str:
    """The text the dispatcher reads: a leading mention of the bot becomes the prefix,
    mentions of people become their `zulip:<id>`; a mention that names nobody known
    stays as typed."""
    text = content.strip()
    lead = _MENTION.match(text)
    if lead is not None and _is_own(lead, own_id, own_name):
        text = prefix + text[lead.end():].lstrip()

    def person(match: re.Match[str]) -> str:
        number = int(match[2]) if match[2] else resolve(match[1].strip())
        return user_key(number) if number is not None else match[0]

    return _MENTION.sub(person, text)


def _is_own(match: re.Match[str], own_id: int, own_name: str) -> bool:
    if match[2]:
        return int(match[2]) == own_id
    return match[1].strip().casefold() == own_name.casefold()


def render(markdown: str, names: Mapping[int, str]) -> str:
    """A reply's Markdown for Zulip (see the module docstring)."""

    def mention(match: re.Match[str]) -> str:
        number = int(match[1])
        name = names.get(number)
        if name is None:
            return f"`{USER_PREFIX}{number}`"
        return f"@_**{_safe_name(name)}|{number}**"

    def text(part: str) -> str:
        return _BARE_USER.sub(mention, _AUTOLINK.sub(r"\1", part))

    out: list[str] = []
    plain: list[str] = []  # text since the last code span, escapes already rewritten
    position = 0
    while (token := _TOKEN.search(markdown, position)) is not None:
        plain.append(markdown[position:token.start()])
        position = token.end()
        if token[1] is not None:
            plain.append(f"&#{ord(token[1])};")
        elif token[2] is None:  # a hard break: keep a line that would look blank non-blank
            line = "".join(plain).rpartition("\n")[2]
            plain.append("&#32;\n" if not line.strip() else "\n")
        else:
            fence = token[2]
            close = re.compile(f"(?<!`){fence}(?!`)").search(markdown, position)
            if close is None:
                plain.append(fence)
                continue
            out.append(text("".join(plain)))
            plain = []
            span = markdown[token.start():close.end()]
            out.append(mention(user) if (user := _CODE_USER.fullmatch(span)) else span)
            position = close.end()
    plain.append(markdown[position:])
    out.append(text("".join(plain)))
    return "".join(out)


def _safe_name(name: str) -> str:
    """A full name inside `@_**…|id**`: no characters that would end the mention."""
    return " ".join(re.sub(r"[*|`]", " ", name).split()) or "?"


def split(text: str, limit: int = MAX_LENGTH) -> list[str]:
    """Parts of at most `limit` characters, cut at line breaks where possible."""
    parts: list[str] = []
    while len(text) > limit:
        cut = text.rfind("\n", 0, limit)
        if cut <= 0:
            cut = limit
            # Never in the middle of a character reference: both halves would show it.
            partial = _PARTIAL_REFERENCE.search(text, max(0, cut - 12), cut)
            cut = partial.start() if partial is not None and partial.start() > 0 else cut
        parts.append(text[:cut])
        text = text[cut:].lstrip("\n")
    if text or not parts:
        parts.append(text)
    return parts
