"""A person's own settings: time zone."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from bot.commands.context import Context
from bot.commands.framework import CommandSet
from bot.services import people
from bot.text import code, when

commands = CommandSet()


@commands.command(
    "tz",
    help="Show your time zone, or set it; all times I show you are in it.",
    example="!tz Europe/Oslo",
)
async def tz(ctx: Context, zone: ZoneInfo | None = None) -> str:
    now = ctx.now()
    if zone is None:
        if ctx.person is None or ctx.person.timezone is None:
            return (
                f"You have not set a time zone, so I show times in {code(ctx.zone.key)} "
                f"(now {when(now, ctx.zone)}). Set yours with {code(ctx.prefix + 'tz Area/City')}."
            )
        return f"Your time zone is {code(ctx.zone.key)} (now {when(now, ctx.zone)})."
    await people.set_zone(ctx.session, ctx.message.network, ctx.sender, zone, now)
    return f"Your time zone is now {code(zone.key)} (now {when(now, zone)})."
