"""Every feature's commands, mounted in the order `!help` lists them."""

from __future__ import annotations

from bot.commands import (
    announce,
    deliveries,
    feedback,
    help,
    onboarding,
    profile,
    reminders,
    rooms,
    seats,
    team,
    workshops,
)
from bot.commands.framework import CommandSet, Registry

COMMAND_SETS: tuple[CommandSet, ...] = (
    help.commands,
    profile.commands,
    workshops.commands,
    rooms.commands,
    seats.commands,
    team.commands,
    onboarding.commands,
    reminders.commands,
    announce.commands,
    deliveries.commands,
    feedback.commands,
)


def build_registry(*extra: CommandSet) -> Registry:
    return Registry([*COMMAND_SETS, *extra])
