"""The re-plan at start, done only when something it depends on besides the database changed.

Commands keep the reminder table in step with the database's facts (each re-plans
what it touched, bot/scheduling/reminders.py). What they cannot see is a change
outside the database between two runs: the `[reminders]` section (offsets,
`enabled`, `form_closing_before`), the feedback windows (the reminder before a
form's window closes is due from them), the command prefix and default time
zone the texts use, the feedback forms in use (`[feedback] enabled`, the
shipped forms and `forms_file`), the zone rules the texts are written with, and
the code (the bot's version, its source and its migrations).
`fingerprint(settings)` is a hash of all of them; `replan_if_changed` re-plans
every unfinished workshop only when the database has no fingerprint (a first
start, or a database from before fingerprints) or another one, and stores the
new one in the same transaction as the plan, in the bot's key/value row
`("bot", "reminders_planned_with")` of `transport_state`. A start with nothing
changed skips the re-plan (about 1.3 s on 10,000 learners, docs/performance.md).
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import zoneinfo
from datetime import datetime
from importlib import metadata
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

import bot
from bot.config import Settings
from bot.db import migrate
from bot.db.state import put, value_of
from bot.scheduling import reminders
from bot.services import feedback

# Where the fingerprint of the last re-plan at start is kept (beside the feedback key).
ROW = ("bot", "reminders_planned_with")


@functools.cache
def _code() -> str:
    """A hash of the bot's source and migration scripts: a new version, or a changed
    file of a checkout, re-plans once (~10 ms to read, once per process)."""
    digest = hashlib.sha256(bot.__version__.encode())
    folders = dict.fromkeys((Path(bot.__file__).resolve().parent, migrate.migrations_dir()))
    for folder in folders:
        for path in sorted(folder.rglob("*.py")):
            digest.update(path.relative_to(folder).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


@functools.cache
def _zone_rules() -> str:
    """The version of the time zone rules `zoneinfo` uses: the system's first, then
    the tzdata package's."""
    for folder in zoneinfo.TZPATH:
        version = Path(folder, "tzdata.zi")
        if version.is_file():
            with version.open(encoding="utf-8") as lines:
                return f"{folder}: {lines.readline().strip()}"
    try:
        return f"tzdata {metadata.version('tzdata')}"
    except metadata.PackageNotFoundError:
        return "none"


def fingerprint(settings: Settings) -> str:
    """A hash of what the plan is made from besides the database."""
    forms = feedback.forms(settings) if settings.feedback.enabled else {}
    inputs = {
        "reminders": dataclasses.asdict(settings.reminders),
        "prefix": settings.bot.prefix,
        "default_timezone": settings.bot.default_timezone,
        "forms": {name: repr(form) for name, form in sorted(forms.items())},
        # When the windows close moves the reminders due before they do.
        "windows": [settings.feedback.daily_window, settings.feedback.final_window],
        "zone_rules": _zone_rules(),
        "code": _code(),
    }
    return hashlib.sha256(json.dumps(inputs, sort_keys=True).encode()).hexdigest()


async def replan_if_changed(
    session: AsyncSession, settings: Settings, now: datetime
) -> int | None:
    """Re-plan every unfinished workshop when the fingerprint is not the stored one and
    store it, in the caller's transaction; how many reminder rows changed, or None when
    the plan was made with the same fingerprint and nothing was re-planned."""
    wanted = fingerprint(settings)
    if await value_of(session, *ROW) == wanted:
        return None
    changed = await reminders.replan(session, settings, now)
    await put(session, *ROW, wanted)
    return changed
