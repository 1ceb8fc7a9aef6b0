"""Splitting what people type into words, the way they mean it.

Quotes group words (`name="TU Delft classroom"`, `who='St Mary's staff'`), in the
forms phones and keyboards type them: `"…"`, `“…”`, `„…“`, `«…»`, `»…«`, `‹…›`,
`'…'`, `‘…’`, `‚…‘`. A value opened by one mark closes only by its partner, so the
other marks inside it are letters (`name=«the "Blue" room»`). An apostrophe
inside a word is a letter (`King’s`, `St Mary's`): a single quote opens a
quotation only at the start of a word or right after `key=`, and closes only
where the word ends (before a space or the end); a phone's apostrophe is the
plain one.
"""

from __future__ import annotations

import re
from typing import NamedTuple

# Each opening mark and the marks that close it. German and Polish close „ with “
# or ”; Swedish and Finnish write ”…” and »…», Danish »…«.
DOUBLE_QUOTES = {
    '"': '"', "“": "”", "„": "“”", "”": "”", "«": "»", "»": "«»", "‹": "›", "›": "‹",
}
# Single marks are also apostrophes, hence the rule about where words start and end.
SINGLE_QUOTES = {"'": "'", "‘": "’", "‚": "‘’", "’": "’"}
# French typography puts a (narrow) space inside guillemets: `« Oslo »` means `Oslo`.
_SPACED = frozenset("«»‹›")
# A phone's apostrophe is the plain one (`King’s` is stored as `King's`).
APOSTROPHES = str.maketrans({"’": "'", "‘": "'"})
OPTION_START = re.compile(r"[A-Za-z][A-Za-z0-9_-]*=")


class UnclosedQuote(ValueError):
    def __init__(self, opened: str) -> None:
        closes = " or ".join(DOUBLE_QUOTES.get(opened) or SINGLE_QUOTES[opened])
        super().__init__(f"a quotation mark is not closed: {opened} opened a value, {closes} "
                         "closes it")


class Token(NamedTuple):
    """One word as meant, where it ends in the text, and whether quotes grouped it."""

    text: str
    end: int
    quoted: bool


def tokenize(text: str) -> list[str]:
    """Split arguments into words; quotes group words (`name="TU Delft room"`)."""
    return [token.text for token in tokens(text)]


def tokens(text: str) -> list[Token]:
    found: list[Token] = []
    position = 0
    while (token := next_token(text, position)) is not None:
        found.append(token)
        position = token.end
    return found


def next_token(text: str, start: int) -> Token | None:
    """The word starting at or after `start`; None at the end."""
    i = start
    while i < len(text) and text[i].isspace():
        i += 1
    if i == len(text):
        return None
    word: list[str] = []
    quoted = False
    while i < len(text) and not text[i].isspace():
        char = text[i]
        if char in DOUBLE_QUOTES:
            close = _closing(text, i + 1, DOUBLE_QUOTES[char], word_end=False)
        elif char in SINGLE_QUOTES and (not word or "".join(word).endswith("=")):
            close = _closing(text, i + 1, SINGLE_QUOTES[char], word_end=True)
        else:
            word.append(char)
            i += 1
            continue
        if close < 0:
            raise UnclosedQuote(char)
        inside = text[i + 1 : close]
        word.append(inside.strip() if char in _SPACED else inside)
        quoted, i = True, close + 1
    return Token("".join(word).translate(APOSTROPHES), i, quoted)


def _closing(text: str, start: int, marks: str, *, word_end: bool) -> int:
    """The first of `marks` from `start` (only one that ends a word, if `word_end`); -1."""
    for i in range(start, len(text)):
        if text[i] in marks and (not word_end or i + 1 == len(text) or text[i + 1].isspace()):
            return i
    return -1
