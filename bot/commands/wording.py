"""The words for the services' typed errors: what went wrong, and what to type instead.

A service raises an error carrying the facts (bot/services/errors.py); the
dispatcher turns it into the answer here, with the bot's prefix and a person
written as the asker's network writes one. An error with
no wording of its own is answered with its message.
"""

from __future__ import annotations

from functools import singledispatch
from zoneinfo import ZoneInfo

from bot import networks
from bot.networks import PERSON
from bot.services.errors import (
    BelowSeated,
    BelowSignedUp,
    DaysPassed,
    LastLead,
    NoCurrentWorkshop,
    NoSuchRoom,
    NoSuchSession,
    NotFinished,
    RoomWithdrawn,
    UserError,
    WithdrawInstead,
    WorkshopEnded,
)
from bot.text import code, when


def refusal(error: UserError, prefix: str, network: str) -> str:
    """The answer to a refused request in the asker's words: commands with their
    `prefix`, a person as their network writes one in a command."""
    return networks.get(network).usage(word(error, prefix))


@singledispatch
def word(error: UserError, prefix: str) -> str:
    """The answer to a refused request, for a person who types commands with `prefix`;
    the wording of the error's most specific class."""
    return error.message


@word.register
def no_current_workshop(error: NoCurrentWorkshop, prefix: str) -> str:
    return (
        f"No workshop is set up yet. An organizer adds one with {code(prefix + 'workshop add')}."
    )


@word.register
def no_such_room(error: NoSuchRoom, prefix: str) -> str:
    return f"There is no room {error.code}. {code(prefix + 'rooms')} lists the rooms."


@word.register
def room_withdrawn(error: RoomWithdrawn, prefix: str) -> str:
    return f"{error.code} was withdrawn. {code(prefix + 'rooms')} lists the open rooms."


@word.register
def withdraw_instead(error: WithdrawInstead, prefix: str) -> str:
    return f"To withdraw {error.code}, use {code(prefix + 'room withdraw ' + error.code)}."


@word.register
def last_lead(error: LastLead, prefix: str) -> str:
    add = code(f"{prefix}room lead add {error.code} {PERSON}")
    withdraw = code(f"{prefix}room withdraw {error.code}")
    return (
        f"You are the last host or team lead of {error.code}, so nobody would run it. "
        f"Add someone first with {add}, or withdraw the room with {withdraw}."
    )


@word.register
def no_such_session(error: NoSuchSession, prefix: str) -> str:
    return (
        f"There is no onboarding session O{error.number} in {code(error.slug)}. "
        f"{code(prefix + 'onboarding')} lists them."
    )


@word.register
def below_seated(error: BelowSeated, prefix: str) -> str:
    seated = error.seated
    return (
        f"{error.code} has {seated} learner{'s' if seated != 1 else ''} with a seat, so its "
        f"capacity cannot be less than {seated} (capacity={error.asked} was asked)."
    )


@word.register
def below_signed_up(error: BelowSignedUp, prefix: str) -> str:
    signed = error.seated
    return (
        f"{signed} {'are' if signed != 1 else 'is'} signed up for {error.code}, so its "
        f"capacity cannot be less than {signed} (capacity={error.asked} was asked)."
    )


@word.register
def workshop_ended(error: WorkshopEnded, prefix: str) -> str:
    last = f" (its last day was {error.last_day:%a %d %b %Y})" if error.last_day else ""
    return (
        f"The workshop {code(error.slug)} has ended{last}: seats, waitlist places and "
        f"rooms can no longer be taken or added. {code(prefix + 'workshops')} lists the "
        "workshops."
    )


@word.register
def days_passed(error: DaysPassed, prefix: str) -> str:
    days = ", ".join(f"day {number} ({day:%a %d %b %Y})" for number, day in error.passed)
    if error.every:
        what = f"all its days have passed: {days}"
    else:
        what = f"{days} {'has' if len(error.passed) == 1 else 'have'} passed, and a " \
            "workshop is added before its first day"
    return (
        f"Not created: {what}. Today is {error.today:%a %d %b %Y} in {error.zone}. "
        f"Give {code(prefix + 'workshop add')} days from today on (is the year right?)."
    )


@word.register
def not_finished(error: NotFinished, prefix: str) -> str:
    if error.state == "archived":
        return f"The workshop {code(error.slug)} is archived already."
    ends = f"; its last day ends {when(error.ends_at, ZoneInfo(error.zone))}" \
        if error.ends_at else ""
    return (
        f"The workshop {code(error.slug)} is {error.state}{ends}. Only a finished workshop "
        f"is archived: {code(prefix + 'workshops')} shows their states."
    )
