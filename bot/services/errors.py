"""Errors a person can fix: answered in the chat, never logged as bugs."""

from __future__ import annotations


class UserError(Exception):
    """Something the person asked for cannot be done; the message says why."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotAllowed(UserError):
    """The person lacks the right; the message names the right needed."""


class TooManyRooms(UserError):
    """A person who hosts `most` rooms of a workshop already asked for one more."""

    def __init__(self, most: int, hosted: list[str]) -> None:
        super().__init__(f"You host {len(hosted)} rooms already, the most one person may.")
        self.most = most
        self.hosted = hosted  # the codes of the rooms they host, R1 R2 ...
