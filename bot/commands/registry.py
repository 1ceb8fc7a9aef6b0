"""Every feature's commands, mounted in the order `!help` lists them."""

from __future__ import annotations

from bot.commands import help, profile
from bot.commands.framework import Registry


def build_registry() -> Registry:
    return Registry([help.commands, profile.commands])
