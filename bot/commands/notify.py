"""Telling people what changed: the direct messages after an edit (see services/changes.py)."""

from __future__ import annotations

from bot.commands.context import Context
from bot.commands.framework import Notice
from bot.services import changes
from bot.text import code, default_zone_note


def change_notices(
    ctx: Context, before: changes.Snapshot, after: changes.Snapshot
) -> tuple[Notice, ...]:
    """One notice per person the change from `before` to `after` concerns, in their zone,
    with the commands that show the rest."""
    prefix = ctx.prefix
    shows = (
        f"{code(prefix + 'myroom')} shows your room; "
        f"{code(prefix + 'workshop ' + before.slug)} shows all days."
    )
    notices = []
    for change in changes.messages(
        before, after, editor=ctx.sender, default_zone=ctx.settings.bot.default_timezone
    ):
        lines = [*change.lines, shows]
        if not change.own_zone:
            lines.append(default_zone_note(change.zone, prefix))
        notices.append(Notice(change.user_id, "\n".join(lines)))
    return tuple(notices)


def told(notices: tuple[Notice, ...]) -> str:
    """` 3 people were told.` for a reply; nothing when nobody was."""
    if not notices:
        return ""
    return f" {len(notices)} {'person was' if len(notices) == 1 else 'people were'} told."
