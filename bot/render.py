"""Rendering what a handler returns (Markdown, user text escaped) for people to read.

Handlers write CommonMark. Networks that show HTML get `html()` (raw HTML in the
text is escaped, never passed through); a plain-text view (a message's plain
body, the console, a message quoted in `!deliveries`) gets `plain_text()`: no
emphasis markers and no backslash
escapes, links with their address, lists with their markers, code spans in
backticks, and the line structure of the source.
"""

from __future__ import annotations

import functools
import re

from markdown_it import MarkdownIt
from markdown_it.token import Token

# `breaks` keeps the line breaks of multi-line replies (usage lines), which
# clients would otherwise join into one paragraph.
MARKDOWN = MarkdownIt("commonmark", {"html": False, "breaks": True})


_LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d{1,9}[.)])\s")


def _parse_source(markdown: str) -> str:
    """End a list at the first line that is neither an item nor indented.

    CommonMark reads such a line as a "lazy" continuation of the last item, so
    `- Day 2 …\nTimes are in UTC…` would put the note inside day 2. Replies are
    written a line per item (continuations indented), so an unindented line
    after a list is always a new paragraph.
    """
    out: list[str] = []
    in_list = False
    for line in markdown.split("\n"):
        if _LIST_ITEM.match(line):
            in_list = True
        elif not line.strip():
            in_list = False
        elif in_list and not line.startswith((" ", "\t")):
            out.append("")
            in_list = False
        out.append(line)
    return "\n".join(out)


@functools.lru_cache(maxsize=256)  # the same answers (help, lists) are rendered again and again
def html(markdown: str) -> str:
    """The HTML for a reply's Markdown; any HTML in the text comes out escaped."""
    return str(MARKDOWN.render(_parse_source(markdown))).strip()


@functools.lru_cache(maxsize=256)
def plain_text(markdown: str) -> str:
    """The text a person reads, without Markdown syntax or escapes."""
    out: list[str] = []
    lists: list[int | None] = []  # None: a bullet list; else the next number
    marker = ""
    last_line: int | None = None
    for token in MARKDOWN.parse(_parse_source(markdown)):
        kind = token.type
        if kind == "bullet_list_open":
            lists.append(None)
        elif kind == "ordered_list_open":
            lists.append(int(str(token.attrGet("start") or 1)))
        elif kind in ("bullet_list_close", "ordered_list_close"):
            lists.pop()
        elif kind == "list_item_open" and lists:
            number = lists[-1]
            marker = "- " if number is None else f"{number}. "
            if number is not None:
                lists[-1] = number + 1
        elif kind in ("inline", "fence", "code_block", "hr"):
            if kind == "inline":
                text = _inline(token.children or [])
            elif kind == "hr":
                text = "---"
            else:
                text = token.content.rstrip("\n")
            start = token.map[0] if token.map else None
            if last_line is not None and start is not None and start > last_line:
                out.append("")  # a blank line in the source between blocks
            indent = "  " * max(0, len(lists) - 1)
            lines = text.split("\n")
            lead = indent + marker
            out.append(lead + lines[0])
            out.extend(indent + " " * len(marker) + line if line else "" for line in lines[1:])
            marker = ""
            if token.map:
                last_line = token.map[1]
    return "\n".join(out)


def _inline(children: list[Token]) -> str:
    parts: list[str] = []
    links: list[tuple[str, int]] = []  # (address, where its text starts)
    for child in children:
        kind = child.type
        if kind == "text":
            parts.append(child.content)
        elif kind == "code_inline":
            parts.append(f"`{child.content}`")
        elif kind in ("softbreak", "hardbreak"):
            parts.append("\n")
        elif kind == "image":
            parts.append(child.content)
        elif kind == "link_open":
            links.append((str(child.attrGet("href") or ""), len(parts)))
        elif kind == "link_close" and links:
            address, start = links.pop()
            label = "".join(parts[start:])
            if address and label != address and not address.startswith("mailto:"):
                parts.append(f" ({address})")
    return "".join(parts)
