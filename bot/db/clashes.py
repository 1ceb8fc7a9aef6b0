"""Transactions the database refused because another one got there first (a clash),
told apart from bugs: the dispatcher runs a clashing command again from the start."""

from __future__ import annotations

from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm.exc import StaleDataError

CLASH_ATTEMPTS = 5
# PostgreSQL's unique and foreign key violations, serialization failure and
# deadlock: what a transaction meets when another one got there first.
CLASH_SQLSTATES = frozenset({"23505", "23503", "40001", "40P01"})
# The same two violations as SQLite words them.
CLASH_SQLITE = ("UNIQUE constraint failed", "FOREIGN KEY constraint failed")


class Clash(Exception):
    """A command kept meeting transactions that ran at the same time."""


def is_clash(exc: Exception) -> bool:
    """Did the database refuse the transaction because of a concurrent one? A unique
    or foreign key violation (the other transaction took the seat, the event, the
    name first, or deleted the row referred to), a serialization failure or
    deadlock, or a row deleted meanwhile. Other errors (a NULL where none may be)
    are bugs, not races."""
    if isinstance(exc, StaleDataError):
        return True
    if isinstance(exc, DBAPIError):
        driver = exc.orig
        state = getattr(driver, "sqlstate", None) or getattr(driver, "pgcode", None)
        if state is not None:
            return state in CLASH_SQLSTATES
        return isinstance(exc, IntegrityError) and str(driver).startswith(CLASH_SQLITE)
    return False
