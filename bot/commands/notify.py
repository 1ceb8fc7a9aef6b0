"""Telling people what changed: the direct messages after an edit (see services/changes.py)."""

from __future__ import annotations

from bot.commands.context import Context
from bot.commands.framework import Notice
from bot.services import changes


def change_notices(
    ctx: Context, before: changes.Snapshot, after: changes.Snapshot
) -> tuple[Notice, ...]:
    """One notice per person the change from `before` to `after` concerns, in their zone."""
    return tuple(
        Notice(user, text)
        for user, text in changes.messages(
            before,
            after,
            editor=ctx.sender,
            default_zone=ctx.settings.bot.default_timezone,
            prefix=ctx.prefix,
        )
    )


def told(notices: tuple[Notice, ...]) -> str:
    """` 3 people were told.` for a reply; nothing when nobody was."""
    if not notices:
        return ""
    return f" {len(notices)} {'person was' if len(notices) == 1 else 'people were'} told."
