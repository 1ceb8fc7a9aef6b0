"""Zulip, as the rest of the bot knows it: its `[zulip]` section and registration.

A Zulip person is stored as `zulip:` and their numeric user id; in a command a
person is mentioned (`@**Ana Lopez**`), which the transport turns into the id.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bot import networks
from bot.transport.base import Transport

# The roles that may make someone an organizer (`zulip.organizer_roles`), with
# Zulip's numbers for them (a user's `role` in the API).
ROLES = {"owner": 100, "administrator": 200, "moderator": 300}


def _organizer(item: str) -> None:
    if not re.fullmatch(r"\d{1,12}|[^@\s]+@[^@\s]+", item):
        raise ValueError("Zulip user ids (digits, as strings: \"1234\") or e-mail addresses")


def _role(item: str) -> None:
    if item not in ROLES:
        raise ValueError("roles among " + ", ".join(ROLES))


@dataclass(frozen=True)
class ZulipSettings:
    """A Zulip bot account (the values of its zuliprc) and who organizes there."""

    site: str = field(default="", metadata={"each": "url"})
    email: str = ""
    api_key: str | None = None
    organizers: tuple[str, ...] = field(
        default=(), metadata={"check": _organizer, "doc": "numeric user ids or e-mails"}
    )
    organizer_roles: tuple[str, ...] = field(
        default=(), metadata={"check": _role, "doc": "owner, administrator, moderator"}
    )
    command_max_age_minutes: int = field(default=10, metadata={"min": 0})
    max_retry_wait_seconds: float = field(default=2.0, metadata={"min": 0.1})
    poll_channel: str | None = field(
        default=None, metadata={"doc": "channel for the daily poll; none: no poll"}
    )
    poll_topic: str = "feedback"
    status_channel: str | None = field(
        default=None, metadata={"doc": "channel for the status board; none: no board"}
    )
    status_topic: str = "status board"


def _organizers(section: ZulipSettings) -> tuple[str, ...]:
    return tuple(f"zulip:{item}" if item.isdigit() else item for item in section.organizers)


def _transport(wiring: networks.Wiring) -> Transport:
    from bot.transport.zulip import ZulipTransport

    return ZulipTransport(wiring.section, wiring.state, wiring.clock,
                          prefix=wiring.settings.bot.prefix, on_vote=wiring.on_vote)


NETWORK = networks.register(networks.Network(
    name="zulip",
    title="Zulip",
    user_id=re.compile(r"zulip:\d{1,12}"),
    id_example="zulip:1234",
    person_usage="@**Name**",
    person_example="@**Ana Lopez**",
    section=ZulipSettings,
    secrets={"api_key": "CLASSROOM_BOT_ZULIP_API_KEY"},
    needed=(networks.Needed(("site",)), networks.Needed(("email",)),
            networks.Needed(("api_key",), hint="the bot's zuliprc has it")),
    login="a Zulip site, email and api_key",
    organizers=_organizers,
    polls=lambda section: bool(section.poll_channel),
    board=lambda section: bool(section.status_channel),
    transport=_transport,
))
