"""Every feature's commands, mounted in the order `!help` lists them, and every
feature's conversation kinds (bot/conversations/kinds.py)."""

from __future__ import annotations

from bot.commands import (
    announce,
    attendance,
    attendance_ask,
    deliveries,
    feedback,
    feedback_form,
    forget_me,
    help,
    onboarding,
    profile,
    reminders,
    rooms,
    seat_elsewhere,
    seats,
    status,
    team,
    workshops,
)
from bot.commands.framework import CommandSet, Registry
from bot.conversations.kinds import Kinds, KindSet

COMMAND_SETS: tuple[CommandSet, ...] = (
    help.commands,
    profile.commands,
    workshops.commands,
    rooms.commands,
    seats.commands,
    team.commands,
    status.commands,
    onboarding.commands,
    reminders.commands,
    announce.commands,
    deliveries.commands,
    feedback.commands,
    attendance.commands,
    forget_me.commands,
)

KIND_SETS: tuple[KindSet, ...] = (feedback_form.kinds, forget_me.kinds, seat_elsewhere.kinds,
                                  attendance_ask.kinds)


def build_registry(*extra: CommandSet) -> Registry:
    return Registry([*COMMAND_SETS, *extra])


def build_kinds(*extra: KindSet) -> Kinds:
    return Kinds([*KIND_SETS, *extra])


# What a reminder that asks offers through (given to the reminders by bot/app.py).
KINDS = build_kinds()
