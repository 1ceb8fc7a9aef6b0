"""Splitting what people type into words, the way they mean it.

Quotes group words (`name="TU Delft classroom"`, `who='St Mary's staff'`), but an
apostrophe inside a word is a letter (`King’s`, `St Mary's`), as phones type it.
A single quote opens a quotation only at the start of a word or right after
`key=`, and closes only where the word ends (before a space or the end).
Typographic quotes count as the plain ones.
"""

from __future__ import annotations

import re

SMART_QUOTES = str.maketrans({"“": '"', "”": '"', "„": '"', "‘": "'", "’": "'"})
OPTION_START = re.compile(r"[A-Za-z][A-Za-z0-9_-]*=")


class UnclosedQuote(ValueError):
    def __init__(self) -> None:
        super().__init__("a quotation mark is not closed")


def tokenize(text: str) -> list[str]:
    """Split arguments into words; quotes group words (`name="TU Delft room"`)."""
    words: list[str] = []
    position = 0
    while (found := next_token(text, position)) is not None:
        word, position = found
        words.append(word)
    return words


def next_token(text: str, start: int) -> tuple[str, int] | None:
    """The word starting at or after `start`, and where it ends; None at the end."""
    text = text.translate(SMART_QUOTES)
    i = start
    while i < len(text) and text[i].isspace():
        i += 1
    if i == len(text):
        return None
    word: list[str] = []
    while i < len(text) and not text[i].isspace():
        char = text[i]
        if char == '"':
            close = text.find('"', i + 1)
            if close < 0:
                raise UnclosedQuote()
            word.append(text[i + 1 : close])
            i = close + 1
        elif char == "'" and (not word or "".join(word).endswith("=")):
            close = _closing_apostrophe(text, i + 1)
            if close < 0:
                raise UnclosedQuote()
            word.append(text[i + 1 : close])
            i = close + 1
        else:
            word.append(char)
            i += 1
    return "".join(word), i


def _closing_apostrophe(text: str, start: int) -> int:
    """The first `'` from `start` that ends a word (space or end after it); -1 if none."""
    for match in re.finditer("'", text[start:]):
        end = start + match.end()
        if end == len(text) or text[end].isspace():
            return end - 1
    return -1
