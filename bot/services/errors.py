"""Errors a person can fix: answered in the chat, never logged as bugs.

A service raises the typed error with the facts; what to type next (with the
prefix, and a person in the asker's network's form) is chat text, so the command
layer words it (bot/commands/wording.py). Each error's own message is neutral,
naming no command, and is what the person reads if nobody words it.
"""

from __future__ import annotations

from datetime import date, datetime


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


class NoCurrentWorkshop(UserError):
    """No workshop is current: nothing to list, join or remind of yet."""

    def __init__(self) -> None:
        super().__init__("No workshop is set up yet.")


class NoSuchRoom(UserError):
    """No local room has the code asked for (`R7`)."""

    def __init__(self, code: str) -> None:
        super().__init__(f"There is no room {code}.")
        self.code = code


class RoomWithdrawn(UserError):
    """A seat was asked for in a room that was withdrawn."""

    def __init__(self, code: str) -> None:
        super().__init__(f"{code} was withdrawn.")
        self.code = code


class WithdrawInstead(UserError):
    """An edit asked for status=withdrawn: withdrawing has its own command, which
    tells the learners and frees their seats."""

    def __init__(self, code: str) -> None:
        super().__init__(f"{code} cannot be withdrawn by an edit.")
        self.code = code


class LastLead(UserError):
    """The last host or team lead of an open room asked to step down."""

    def __init__(self, code: str) -> None:
        super().__init__(
            f"You are the last host or team lead of {code}, so nobody would run it."
        )
        self.code = code


class NoSuchSession(UserError):
    """No onboarding session `O{number}` in the workshop `slug`."""

    def __init__(self, number: int, slug: str) -> None:
        super().__init__(f"There is no onboarding session O{number} in {slug}.")
        self.number = number
        self.slug = slug


class BelowSeated(UserError):
    """A room's capacity below the learners seated in it (`seated`), `asked` given."""

    def __init__(self, code: str, seated: int, asked: int) -> None:
        super().__init__(
            f"{code}'s capacity cannot be less than {seated}, the seats taken "
            f"({asked} was asked)."
        )
        self.code = code
        self.seated = seated
        self.asked = asked


class BelowSignedUp(BelowSeated):
    """An onboarding session's capacity below its sign-ups: there is no waitlist
    for sessions, so some would be left without a seat, unsaid."""


class WorkshopEnded(UserError):
    """A seat, a waitlist place or a room asked for after the workshop's last day."""

    def __init__(self, slug: str, last_day: date | None) -> None:
        super().__init__(f"The workshop {slug} has ended.")
        self.slug = slug
        self.last_day = last_day


class DaysPassed(UserError):
    """Days of a new workshop (`passed`: number and date) before `today` in its zone
    (`zone`); `every`: all of its days are."""

    def __init__(
        self, passed: tuple[tuple[int, date], ...], every: bool, today: date, zone: str
    ) -> None:
        shown = ", ".join(f"day {number} ({day.isoformat()})" for number, day in passed)
        super().__init__(f"{shown[0].upper()}{shown[1:]} {'is' if len(passed) == 1 else 'are'}"
                         f" before today, {today.isoformat()} in {zone}.")
        self.passed = passed
        self.every = every
        self.today = today
        self.zone = zone


class NotFinished(UserError):
    """An archive asked for a workshop that has not ended (`state`: planned or running;
    `ends_at`: its last day's end, `zone` the workshop's) or was archived already
    (`state`: archived)."""

    def __init__(self, slug: str, state: str, ends_at: datetime | None, zone: str) -> None:
        super().__init__(f"The workshop {slug} is {state}, not finished.")
        self.slug = slug
        self.state = state
        self.ends_at = ends_at
        self.zone = zone
