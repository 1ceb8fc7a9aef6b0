"""The people of a Zulip organization as the bot sees them: names, e-mails, roles.

`GET /users` is read at start and again when a message comes from, or a
reply names, someone not known yet (an id the last reading did not have is
not looked up again for REFRESH_EVERY_S seconds).
Organizers are the configured user ids or e-mails, and, when
`zulip.organizer_roles` says so, the organization's owners, administrators or
moderators (Zulip's `role`, as Matrix uses power levels). Names only label
people: a display name never grants anything.

An e-mail matches `email` or `delivery_email`. An organization that hides
addresses shows a fake `email` (`user1234@...`, usable only in the API) and
the real address as `delivery_email` to those allowed to see it, the bot
included when the person's setting lets members see it; otherwise
`delivery_email` is null and only a user id can name the person. So user ids
are the configuration that always works, as Zulip's docs recommend.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bot.transport.zulip_api import ZulipApi
from bot.transport.zulip_format import user_number
from bot.transport.zulip_network import ROLES, ZulipSettings

log = logging.getLogger(__name__)

REFRESH_EVERY_S = 30.0
# A role (administrator, moderator) given or taken counts after at most this long.
ROLES_STALE_AFTER_S = 300.0


@dataclass(frozen=True)
class ZulipUser:
    user_id: int
    email: str  # the API's address: a fake one when the person hides theirs
    full_name: str
    role: int
    is_bot: bool
    delivery_email: str | None = None  # the real address, when the bot may see it

    def addresses(self) -> set[str]:
        return {item.casefold() for item in (self.email, self.delivery_email) if item}


class Directory:
    def __init__(
        self, api: ZulipApi, settings: ZulipSettings,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.api = api
        self.settings = settings
        self.users: dict[int, ZulipUser] = {}
        self.me: ZulipUser | None = None
        self._monotonic = monotonic
        self._loaded_at: float | None = None
        self._not_found: set[int] = set()

    async def load_me(self) -> ZulipUser:
        answer = await self.api.paced("GET", "users/me")
        self.me = _user(answer)
        if self.me is None:
            raise ValueError(f"users/me did not describe a user: {answer}")
        return self.me

    async def refresh(self) -> None:
        answer = await self.api.paced("GET", "users")
        members = answer.get("members")
        found = [_user(m) for m in members] if isinstance(members, list) else []
        self.users = {user.user_id: user for user in found if user is not None}
        self._loaded_at = self._monotonic()

    async def know(self, user_ids: set[int], *, stale_after: float | None = None) -> None:
        """Make sure these people are known: read the users again when one is new (but
        not again and again for ids the last reading did not have); with
        `stale_after`, also when the last reading is older than that (roles change)."""
        age = None if self._loaded_at is None else self._monotonic() - self._loaded_at
        stale = age is None or (stale_after is not None and age > stale_after)
        unknown = user_ids - self.users.keys()
        if not unknown and not stale:
            return
        if not stale and unknown <= self._not_found and age is not None and (
                age < REFRESH_EVERY_S):
            return
        try:
            await self.refresh()
        except Exception as exc:  # names are a nicety; the message still goes out
            log.warning("could not read the organization's users: %s", exc)
            return
        self._not_found = unknown - self.users.keys()

    def names(self) -> dict[int, str]:
        return {uid: user.full_name for uid, user in self.users.items()}

    def by_name(self, full_name: str) -> int | None:
        """The id of the one person with this full name (ignoring case); None if not one."""
        found = [u.user_id for u in self.users.values()
                 if u.full_name.casefold() == full_name.casefold()]
        return found[0] if len(found) == 1 else None

    async def is_organizer(self, user: str) -> bool:
        number = user_number(user)
        if number is None:
            return False
        configured = self.settings.organizers
        if str(number) in configured:
            return True
        roles = [ROLES[name] for name in self.settings.organizer_roles if name in ROLES]
        emails = {item.casefold() for item in configured if "@" in item}
        if not roles and not emails:
            return False
        await self.know({number}, stale_after=ROLES_STALE_AFTER_S)
        person = self.users.get(number)
        if person is None:
            return False
        return bool(person.addresses() & emails) or (
            not person.is_bot and any(person.role <= role for role in roles))


def _user(raw: Any) -> ZulipUser | None:
    if not isinstance(raw, dict):
        return None
    uid, email, name = raw.get("user_id"), raw.get("email"), raw.get("full_name")
    role = raw.get("role", 400)
    if not isinstance(uid, int) or not isinstance(email, str) or not isinstance(name, str):
        return None
    real = raw.get("delivery_email")
    return ZulipUser(uid, email, name, role if isinstance(role, int) else 400,
                     bool(raw.get("is_bot")), real if isinstance(real, str) else None)
