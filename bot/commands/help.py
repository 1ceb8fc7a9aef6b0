"""`!help`: generated from the command declarations, filtered by the asker's role."""

from __future__ import annotations

import weakref
from typing import Annotated

from bot.commands.context import Context
from bot.commands.framework import Arg, CommandSet, Registry, Rest
from bot.networks import Network
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
    return listing(ctx.registry, ctx.role, prefix, ctx.network, direct=ctx.message.is_direct)


# The listing follows from the declarations alone, which never change once mounted:
# worked out once per registry, role, prefix, network and kind of chat.
_LISTINGS: weakref.WeakKeyDictionary[Registry, dict[tuple[Role, str, str, bool], str]] = (
    weakref.WeakKeyDictionary())


def listing(registry: Registry, role: Role, prefix: str, network: Network, *,
            direct: bool) -> str:
    """The commands `role` may use, under their role's heading."""
    known = _LISTINGS.setdefault(registry, {})
    key = (role, prefix, network.person_usage, direct)  # all the network changes in it
    if key in known:
        return known[key]
    sections = []
    for heading_role, heading in _HEADINGS.items():
        listed = [c for c in registry.visible_to(role) if c.role == heading_role]
        if listed:
            lines = [f"- {code(c.usage(prefix, network))}: {c.help}" for c in listed]
            sections.append(f"**{heading}**\n" + "\n".join(lines))
    footer = f"Type {code(prefix + 'help command')} for details and an example."
    if direct:
        footer += " In a direct chat with me the prefix is optional."
    known[key] = "\n\n".join([*sections, footer])
    return known[key]
