"""Errors a person can fix: answered in the chat, never logged as bugs."""

from __future__ import annotations


class UserError(Exception):
    """Something the person asked for cannot be done; the message says why."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotAllowed(UserError):
    """The person lacks the right; the message names the right needed."""
