"""Rooms on Matrix: invites, leaving empty rooms, direct chats, power levels.

- Invites are accepted only from allowed users or servers (and organizers).
- A room where the bot is left alone is left (not a local room's chat or its
  Space, bot/transport/matrix_chats.py); rooms the bot has left are
  remembered, and their (stale) state, power levels included, is not consulted.
- A room is a direct chat with a person only when Matrix says so: it is in the
  bot's `m.direct` account data under that person, or it was created as direct
  (the person's invite said `is_direct`, or the bot created it). Two members
  alone never make a direct chat. A direct chat the person left or rejected
  is forgotten (also in `m.direct`), and the next private message opens a new
  one; creating one is a request like any other, retried by the outbox worker.
  Forget-me has the bot leave and forget every direct chat with the person.
  With encryption on, the bot creates its direct chats encrypted, and an
  encrypted direct chat is as direct as any; with it off, an encrypted one is
  passed over for a new, unencrypted one.
- A send waits for the room to be known from a sync (`until_synced`): with
  encryption on, nio encrypts or not by the room's state.
- Power levels come from the room state, with creators of version 12 rooms
  above every level, and only for current members: a person who left, was
  kicked or banned, is only invited, or was never in the room has none there,
  whatever the room's `users_default`.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
from collections.abc import Collection, Iterable
from typing import Any
from urllib.parse import quote

from nio import (
    DirectRoomsResponse,
    JoinResponse,
    RoomCreateResponse,
    RoomForgetResponse,
    RoomLeaveResponse,
    RoomPreset,
)

from bot.transport.base import PermanentDeliveryError, TransientDeliveryError
from bot.transport.matrix_chats import is_own_chat
from bot.transport.matrix_crypto import ENCRYPTION_STATE
from bot.transport.matrix_format import direct_rooms
from bot.transport.matrix_policy import invite_allowed, is_direct_room, power_level_of
from bot.transport.matrix_session import MatrixSession, Transient, error_code, event_source

log = logging.getLogger(__name__)

# How long a send waits for a room to appear in a sync (a room just made: ~0.1 s).
SYNCED_WAIT_S = 10.0


class MatrixRooms:
    """What the bot knows about its rooms, and the requests that change them."""

    def __init__(self, session: MatrixSession, allowed_inviters: Collection[str]) -> None:
        self.session = session
        self.client = session.client
        self.user_id = session.user_id
        self._allowed_inviters = tuple(allowed_inviters)
        self._direct: dict[str, list[str]] = {}  # the bot's m.direct: person -> rooms
        self._direct_lock = asyncio.Lock()
        self._created: set[str] = set()  # direct chats created in this run
        self._left: set[str] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        # Room id -> (creators, room version) from m.room.create; nio does not keep creators.
        self._creators: dict[str, tuple[tuple[str, ...], str | None]] = {}
        self._synced: dict[str, asyncio.Event] = {}  # rooms a send waits to see in a sync

    # -- what syncs tell -----------------------------------------------------

    def note_direct(self, content: Any) -> None:
        """The bot's `m.direct` account data, as a sync delivered it."""
        self._direct = direct_rooms(content)

    def note_joined(self, room_id: str) -> None:
        self._left.discard(room_id)
        if (seen := self._synced.pop(room_id, None)) is not None:
            seen.set()

    async def until_synced(self, room_id: str) -> None:
        """Until a sync has shown the room (at once for a known one)."""
        if room_id in self.client.rooms:
            return
        if room_id in self._left:
            raise PermanentDeliveryError(f"the bot is no longer in {room_id}")
        seen = self._synced.setdefault(room_id, asyncio.Event())
        try:
            await asyncio.wait_for(seen.wait(), timeout=SYNCED_WAIT_S)
        except TimeoutError:
            raise TransientDeliveryError(f"{room_id} has not come in a sync yet") from None

    def note_left(self, room_id: str) -> None:
        """The bot is no longer in the room: its state is history."""
        self._left.add(room_id)
        self._creators.pop(room_id, None)

    def note_state(self, room_id: str, sources: Iterable[dict[str, Any]]) -> bool:
        """Take in a room's state and timeline events; whether someone else left it."""
        someone_left = False
        for source in sources:
            content = source.get("content")
            if not isinstance(content, dict):
                continue
            kind, key = source.get("type"), source.get("state_key")
            if kind == "m.room.create":
                self._note_creators(room_id, source, content)
            elif (kind == "m.room.member" and key != self.user_id and isinstance(key, str)
                  and content.get("membership") in ("leave", "ban")):
                someone_left = True
                if room_id in self._direct.get(key, []):
                    log.info("%s left or rejected the direct chat %s; forgetting it", key, room_id)
                    self.forget_direct(key, room_id)
        return someone_left

    def _note_creators(self, room_id: str, source: dict[str, Any], content: dict[str, Any]) -> None:
        sender = source.get("sender")
        extra = content.get("additional_creators")
        creators = [sender] + (extra if isinstance(extra, list) else [])
        version = content.get("room_version", "1")
        self._creators[room_id] = (
            tuple(c for c in creators if isinstance(c, str)),
            version if isinstance(version, str) else None,
        )

    # -- facts -----------------------------------------------------------------

    def is_direct(self, room_id: str, sender: str) -> bool:
        return room_id not in self._left and is_direct_room(
            room_id, self.user_id, sender, self._direct
        )

    def power_level(self, room_id: str, user: str) -> int | None:
        matrix_room = self.client.rooms.get(room_id)
        if matrix_room is None or room_id in self._left:
            return None
        # nio keeps joined and invited members (no lazy loading: the bot's sync filter
        # asks for every member) and drops those who leave, are kicked or banned.
        member = matrix_room.users.get(user)
        if member is None or member.invited:
            return None
        creators, version = self._creators.get(room_id, ((), None))
        levels = matrix_room.power_levels
        return power_level_of(
            user,
            levels={str(k): int(v) for k, v in levels.users.items()},
            users_default=int(levels.defaults.users_default),
            creators=creators,
            room_version=version,
        )

    def member_names(self, room_id: str) -> list[str] | None:
        """The display names and localparts of the room's other members (joined or
        invited), as the legacy push rules match them; None when not known."""
        matrix_room = self.client.rooms.get(room_id)
        if matrix_room is None or room_id in self._left or not matrix_room.users:
            return None
        names: list[str] = []
        for user_id, member in matrix_room.users.items():
            if user_id != self.user_id:
                names.append(user_id[1:].partition(":")[0])
                if member.display_name:
                    names.append(member.display_name)
        return names

    # -- invites and leaving -----------------------------------------------------

    async def on_invite(self, room_id: str, invite_state: Iterable[Any]) -> None:
        inviter: str | None = None
        direct = False
        for event in invite_state:
            source = event_source(event)
            if source is None:
                continue
            # nio pops `content` out of the source of invite member events.
            content = source.get("content", getattr(event, "content", None))
            if (source.get("type") == "m.room.member" and source.get("state_key") == self.user_id
                    and isinstance(content, dict) and content.get("membership") == "invite"):
                sender = source.get("sender")
                inviter = sender if isinstance(sender, str) else None
                direct = content.get("is_direct") is True
        if invite_allowed(inviter, self._allowed_inviters):
            response = await self.session.call(lambda: self.client.join(room_id),
                                               pacer=self.session.other_pacer)
            if not isinstance(response, JoinResponse):
                log.warning("could not join %s (invited by %s): %s", room_id, inviter, response)
                return
            log.info("joined %s, invited by %s", room_id, inviter)
            self.note_joined(room_id)
            if direct and inviter is not None:
                await self._update_direct(inviter, room_id, add=True)
        else:
            response = await self.session.call(lambda: self.client.room_leave(room_id),
                                               pacer=self.session.other_pacer)
            log.info("rejected the invite to %s from %s (not in matrix.allow_invites_from)%s",
                     room_id, inviter,
                     "" if isinstance(response, RoomLeaveResponse) else f": {response}")

    async def leave_if_alone(self, room_id: str) -> None:
        room = self.client.rooms.get(room_id)
        # Only on evidence: the bot's own membership known and nobody else joined or
        # invited. (A room can arrive in a sync before its state does: no members at all.)
        if room is None or room_id in self._left or set(room.users) != {self.user_id}:
            return
        if is_own_chat(room.canonical_alias, self.user_id):  # a local room's chat, its Space
            return
        response = await self.session.call(lambda: self.client.room_leave(room_id),
                                           pacer=self.session.other_pacer)
        if isinstance(response, RoomLeaveResponse):
            log.info("left %s: nobody else is in it", room_id)
            self.note_left(room_id)
        else:
            log.warning("could not leave the empty room %s: %s", room_id, response)

    # -- direct chats --------------------------------------------------------------

    async def direct_room_for(self, user: str) -> str:
        """The direct chat with `user`: one Matrix marks as such, else a new one."""
        encryption = self.session.crypto is not None
        for room_id in reversed(self._direct.get(user, [])):
            room = self.client.rooms.get(room_id)
            if room_id in self._left or (room is not None and room.encrypted and not encryption):
                continue
            if (room is None and room_id in self._created) or (
                room is not None and user in room.users  # joined or invited
            ):
                return room_id
        response = await self.session.call(
            lambda: self.client.room_create(
                is_direct=True, invite=[user], preset=RoomPreset.trusted_private_chat,
                initial_state=[ENCRYPTION_STATE] if encryption else (),
            ),
            pacer=self.session.other_pacer,
        )
        if not isinstance(response, RoomCreateResponse):
            raise TransientDeliveryError(f"could not create a direct chat with {user}: {response}")
        room_id = str(response.room_id)
        log.info("created the direct chat %s with %s", room_id, user)
        self._created.add(room_id)
        self._direct.setdefault(user, []).append(room_id)
        await self._update_direct(user, room_id, add=True)
        return room_id

    def forget_direct(self, user: str, room_id: str) -> None:
        """The room is no longer a direct chat with `user` (left, rejected, encrypted)."""
        rooms = self._direct.get(user, [])
        if room_id in rooms:
            rooms.remove(room_id)
            self._spawn(self._update_direct(user, room_id, add=False))

    async def forget_person(self, user: str, also: str | None) -> None:
        """Forget-me: leave and forget every direct chat with `user` (and `also`, where
        they confirmed), and drop them from `m.direct`. A room the bot is no longer in
        has nothing left to do; a failure worth a retry raises (the outbox retries)."""
        rooms = list(dict.fromkeys([*self._direct.get(user, []), *([also] if also else [])]))
        for room_id in rooms:
            left = await self.session.call(functools.partial(self.client.room_leave, room_id),
                                           pacer=self.session.other_pacer)
            if not isinstance(left, RoomLeaveResponse) and not _gone(left):
                raise TransientDeliveryError(f"could not leave {room_id}: {left}")
            self.note_left(room_id)
            forgot = await self.session.call(
                functools.partial(self.client.room_forget, room_id),
                pacer=self.session.other_pacer)
            if not isinstance(forgot, RoomForgetResponse) and not _gone(forgot):
                raise TransientDeliveryError(f"could not forget {room_id}: {forgot}")
            self._created.discard(room_id)
            await self._update_direct(user, room_id, add=False, strict=True)
        self._direct.pop(user, None)
        log.info("left and forgot %d direct chat(s) of a person who asked to be forgotten",
                 len(rooms))

    async def _update_direct(
        self, user: str, room_id: str, *, add: bool, strict: bool = False
    ) -> None:
        """Add the room to (or remove it from) the bot's m.direct: read, change, write.
        A failure is logged (`strict`: raised, to be retried)."""
        async with self._direct_lock:
            current = {person: list(rooms) for person, rooms in self._direct.items()}
            try:
                response = await self.session.call(self.client.list_direct_rooms,
                                                   pacer=self.session.other_pacer)
                if isinstance(response, DirectRoomsResponse):
                    current = direct_rooms(response.rooms)
                elif error_code(response) == "M_NOT_FOUND":
                    current = {}  # the account has no m.direct yet
                rooms = current.setdefault(user, [])
                if (room_id in rooms) != add:
                    if add:
                        rooms.append(room_id)
                    else:
                        rooms.remove(room_id)
                    self._direct = current  # in effect at once, also if the write fails
                    await self._put_direct({u: r for u, r in current.items() if r})
                self._direct = current
            except Exception as exc:
                if strict:
                    raise TransientDeliveryError(f"could not update m.direct: {exc}") from exc
                # Only other clients' view suffers; this run knows.
                log.warning("could not update m.direct for %s and %s: %s", user, room_id, exc)

    async def _put_direct(self, content: dict[str, list[str]]) -> None:
        path = f"/_matrix/client/v3/user/{quote(self.user_id, safe='')}/account_data/m.direct"
        answer = await self.client.send(
            "PUT", path, json.dumps(content),
            headers={"Authorization": f"Bearer {self.client.access_token}",
                     "Content-Type": "application/json"},
        )
        status = answer.status
        await answer.read()  # frees the connection
        if status != 200:
            raise Transient(f"HTTP {status}")

    def _spawn(self, work: Any) -> None:
        task: asyncio.Task[None] = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)


def _gone(response: Any) -> bool:
    """The homeserver refuses because the bot is not in the room (any more) or it is
    unknown: nothing is left to leave or forget there."""
    return error_code(response) in ("M_FORBIDDEN", "M_NOT_FOUND", "M_UNKNOWN")
