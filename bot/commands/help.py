"""`!help`: generated from the command declarations, filtered by the asker's role."""

from __future__ import annotations

from typing import Annotated

from bot.commands.context import Context
from bot.commands.framework import Arg, CommandSet, Rest
from bot.services.errors import UserError
from bot.services.roles import Role
from bot.text import code

commands = CommandSet()

_HEADINGS = {
    Role.EVERYONE: "Everyone",
    Role.LEAD: "Team leads and hosts",
    Role.ORGANIZER: "Organizers",
}


@commands.command(
    "help",
    help="List the commands you may use, or show details and an example for one.",
    example="!help tz",
    read_only=True,
)
async def help_(
    ctx: Context, command: Annotated[str | None, Arg(metavar="command"), Rest] = None
) -> str:
    prefix = ctx.prefix
    if command is not None:
        name = command.removeprefix(prefix)
        found = ctx.registry.get(name)
        if found is None or found.role > ctx.role:
            close = ctx.registry.suggest(name, ctx.role)
            hint = f" Did you mean {code(prefix + close[0])}?" if close else ""
            raise UserError(f"There is no command {code(prefix + name)} you can use.{hint}")
        return found.describe(prefix, ctx.network)
    sections = []
    for role, heading in _HEADINGS.items():
        listed = [c for c in ctx.registry.visible_to(ctx.role) if c.role == role]
        if listed:
            lines = [f"- {code(c.usage(prefix, ctx.network))}: {c.help}" for c in listed]
            sections.append(f"**{heading}**\n" + "\n".join(lines))
    footer = f"Type {code(prefix + 'help command')} for details and an example."
    if ctx.message.is_direct:
        footer += " In a direct chat with me the prefix is optional."
    return "\n\n".join([*sections, footer])
