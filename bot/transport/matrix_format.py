"""Matrix message content, both ways: what an event says, and what the bot sends.

Pure functions over plain JSON-like dicts, so they are tested without a
homeserver: reading a text message out of a timeline event (tolerant of any
malformed content), turning pills into user ids, rendering Markdown replies to
HTML, building reply and file contents, and deriving the transaction ids that
make a retried send land only once.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any
from urllib.parse import unquote

from bot.render import html, plain_text
from bot.transport.base import Attachment

HTML_FORMAT = "org.matrix.custom.html"

# A user pill: https://matrix.to/#/@ana:uni.no (possibly percent-encoded, with
# ?via=...) or the matrix: URI scheme, matrix:u/ana:uni.no.
_MATRIX_TO = re.compile(r"^https?://matrix\.to/#/([^/?#\s]+)", re.IGNORECASE)
_MATRIX_URI_USER = re.compile(r"^matrix:u/([^/?#\s]+)", re.IGNORECASE)
_USER_ID = re.compile(r"^@[^:\s/]+:[^\s/]+$")


@dataclass(frozen=True)
class TextMessage:
    """The parts of an `m.text` event that a command needs."""

    event_id: str
    sender: str
    body: str
    origin_server_ts: int | None
    thread_root: str | None


def read_text_message(event: Any, own_user_id: str) -> TextMessage | None:
    """The text a person typed in a timeline event, or None when the bot should ignore it.

    Ignored: anything but `m.room.message` with msgtype `m.text` (notices are
    other bots talking; files and emotes are not commands), the bot's own
    messages, edits (the original was already handled), and every malformed
    event (missing or non-string body, content that is not an object...).
    """
    if not isinstance(event, Mapping) or event.get("type") != "m.room.message":
        return None
    sender = event.get("sender")
    event_id = event.get("event_id")
    content = event.get("content")
    if not isinstance(sender, str) or not isinstance(event_id, str) or sender == own_user_id:
        return None
    if not isinstance(content, Mapping) or content.get("msgtype") != "m.text":
        return None
    body = content.get("body")
    if not isinstance(body, str):
        return None
    relation = content.get("m.relates_to")
    relation = relation if isinstance(relation, Mapping) else {}
    if relation.get("rel_type") == "m.replace":
        return None
    thread_root = relation.get("event_id") if relation.get("rel_type") == "m.thread" else None
    text = body
    formatted = content.get("formatted_body")
    if content.get("format") == HTML_FORMAT and isinstance(formatted, str):
        with_ids = text_with_pills(formatted)
        if with_ids is not None:
            text = with_ids
    if isinstance(relation.get("m.in_reply_to"), Mapping):
        text = strip_reply_fallback(text)
    timestamp = event.get("origin_server_ts")
    return TextMessage(
        event_id=event_id,
        sender=sender,
        body=text,
        origin_server_ts=timestamp
        if isinstance(timestamp, int) and not isinstance(timestamp, bool)
        else None,
        thread_root=thread_root if isinstance(thread_root, str) else None,
    )


def user_id_of_link(href: str) -> str | None:
    """The user id a pill links to, or None for any other link."""
    href = href.strip()
    if match := _MATRIX_TO.match(href):
        candidate = unquote(match[1])
    elif match := _MATRIX_URI_USER.match(href):
        candidate = "@" + unquote(match[1])
    else:
        return None
    return candidate if _USER_ID.match(candidate) else None


class _PillText(HTMLParser):
    """HTML to plain text, with each user pill replaced by the user id it links to."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.pills = 0
        self._in_pill = 0  # >0 while inside a pill: its display name is dropped
        self._in_reply = 0  # >0 inside <mx-reply>, the quoted message of a reply

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "mx-reply":
            self._in_reply += 1
        elif tag == "a":
            user = user_id_of_link(dict(attrs).get("href") or "")
            if self._in_pill:
                self._in_pill += 1
            elif user is not None and not self._in_reply:
                self.parts.append(user)
                self.pills += 1
                self._in_pill = 1
        elif tag == "br" and not self._in_reply:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag == "mx-reply":
            self._in_reply = max(0, self._in_reply - 1)
        elif tag == "a" and self._in_pill:
            self._in_pill -= 1
        elif tag in ("p", "div", "li", "blockquote", "pre") and not self._in_reply:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._in_pill and not self._in_reply:
            self.parts.append(data)


def text_with_pills(formatted_body: str) -> str | None:
    """The message as plain text with pills as user ids; None when it has no user pill.

    Clients show a pill as the person's display name and put only that name in
    the plain `body`; a command needs the user id (`!room lead add R7 @ana:uni.no`).
    """
    parser = _PillText()
    try:
        parser.feed(formatted_body)
        parser.close()
    except Exception:  # html.parser is lenient, but a malformed event must never crash us
        return None
    if not parser.pills:
        return None
    return "".join(parser.parts).strip()


def strip_reply_fallback(body: str) -> str:
    """Drop the quoted `> <@someone> ...` lines older clients put before a reply's text."""
    lines = body.split("\n")
    if not lines or not lines[0].startswith(("> <", "> * <")):
        return body
    index = 0
    while index < len(lines) and lines[index].startswith(">"):
        index += 1
    if index < len(lines) and lines[index] == "":
        return "\n".join(lines[index + 1 :])
    return body


def render_markdown(text: str) -> str:
    """The HTML for a reply's Markdown; any HTML in the text comes out escaped."""
    return html(text)


def relation(reply_to: str | None, thread_root: str | None) -> dict[str, Any] | None:
    """`m.relates_to` for an answer: a reply to the command, inside its thread if it had one."""
    if thread_root is not None:
        # A real reply inside the thread, not the fallback a thread-unaware client adds.
        return {
            "rel_type": "m.thread",
            "event_id": thread_root,
            "is_falling_back": False,
            "m.in_reply_to": {"event_id": reply_to or thread_root},
        }
    if reply_to is not None:
        return {"m.in_reply_to": {"event_id": reply_to}}
    return None


# What a display name must not hold for a substring test to cover the homeserver's
# match of it: glob wildcards.
_GLOB = re.compile(r"[*?\[\]]")


def could_ping(body: str, names: Iterable[str] | None) -> bool:
    """Whether the legacy push rules (for events without `m.mentions`) could notify
    someone for `body`: it holds `@room`, or one of `names` (the room's members'
    display names and localparts) in any case. `names` None: the members are not
    known, so it could. Conservative on purpose: the rules match whole words, this
    any substring (case-folded), and a name with glob wildcards always counts."""
    if names is None:
        return True
    folded = _folds(body)
    return any(_GLOB.search(name) is not None
               or any(part in whole for part, whole in zip(_folds(name), folded, strict=True))
               for name in ["@room", *names] if name)


# Letters that case-insensitive matching takes for an ASCII one (dotless and dotted i,
# long s, the Kelvin sign), as regular expressions do.
_ODD_LETTERS = str.maketrans({"ı": "i", "İ": "i", "ſ": "s", "\u212a": "k"})


def _folds(text: str) -> tuple[str, str]:
    """`text` case-folded, and upper-cased first (so that ß meets SS both ways)."""
    plain = text.translate(_ODD_LETTERS)
    return plain.casefold(), plain.upper().casefold()


def notice_content(
    text: str,
    *,
    reply_to: str | None = None,
    thread_root: str | None = None,
    mentions: Sequence[str] = (),
    members: Iterable[str] | None = None,
) -> dict[str, Any]:
    """An `m.notice`: the Markdown rendered as HTML, and as plain text for `body`.

    `m.mentions` lists the people meant. When nobody is meant it is an empty
    object, which tells clients and the homeserver not to ping for a name or
    `@room` in the text, unless the text could ping nobody anyway
    (`could_ping` over `members`, the names of the room's members): then it is
    left out, since Synapse checks every `m.mentions` against a JSON schema
    built anew for each event, several milliseconds of its time per answer.
    """
    body = plain_text(text)
    content: dict[str, Any] = {
        "msgtype": "m.notice",
        "body": body,
        "format": HTML_FORMAT,
        "formatted_body": render_markdown(text),
    }
    if mentions:
        content["m.mentions"] = {"user_ids": list(dict.fromkeys(mentions))}
    elif could_ping(body, members):
        content["m.mentions"] = {}
    relates = relation(reply_to, thread_root)
    if relates is not None:
        content["m.relates_to"] = relates
    return content


def file_content(
    attachment: Attachment,
    content_uri: str,
    *,
    reply_to: str | None = None,
    thread_root: str | None = None,
) -> dict[str, Any]:
    """An `m.file` (or `m.image` for image/*) pointing at an uploaded file."""
    is_image = attachment.content_type.lower().startswith("image/")
    content: dict[str, Any] = {
        "msgtype": "m.image" if is_image else "m.file",
        "body": attachment.filename,
        "filename": attachment.filename,
        "url": content_uri,
        "info": {"mimetype": attachment.content_type, "size": len(attachment.data)},
        "m.mentions": {},
    }
    relates = relation(reply_to, thread_root)
    if relates is not None:
        content["m.relates_to"] = relates
    return content


def transaction_id(
    reference: str, reply_to: str | None, target: str, index: int, text: str
) -> str:
    """A transaction id that is the same every time the same message part is sent.

    The homeserver treats a repeated PUT with the same id (same access token) as
    the same event, so a send retried after a lost answer lands once. The target
    and the text keep the parts of one command's answer (a reply, notices to
    several people) apart.
    """
    key = json.dumps([reference, reply_to, target, index, text], ensure_ascii=True)
    return "cb" + hashlib.sha256(key.encode()).hexdigest()[:40]


def direct_rooms(content: Any) -> dict[str, list[str]]:
    """The `m.direct` account data (user id -> room ids), with anything malformed dropped."""
    if not isinstance(content, Mapping):
        return {}
    found: dict[str, list[str]] = {}
    for user, rooms in content.items():
        if isinstance(user, str) and isinstance(rooms, list):
            found[user] = [room for room in rooms if isinstance(room, str)]
    return found
