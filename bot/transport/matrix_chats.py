"""Local rooms' chats on Matrix: the workshop's Space, a room in it per local room,
invites, power levels, removals and archiving (the outbox's CHAT_* actions).

Creating a room is not idempotent, so each room is made with a room alias derived
from its chat's key (`#<bot>.chat.<key>:<server>`; the Space's is
`#<bot>.space.<slug>:<server>`), which Synapse sets in the same request that
creates the room. Before creating, the alias is resolved: after a crash (even a
SIGKILL in the middle of the request) the retried action finds the room made
before and never makes a second. Slugs hold no dots, so a Space's alias and a
chat's never meet.

A chat is invite-only, not `restricted` to the Space: a local room's chat holds
its own people (their venue, their links), and `restricted` would let anyone in
the Space (every room's people, or all of a shared configured Space) walk in.
The Space lists the chats (`m.space.child` in the Space, `m.space.parent` in the
chat); archiving empties the child's content, which takes it out of the listing.
"""

from __future__ import annotations

import functools
import logging
from typing import Any

from nio import (
    RoomCreateResponse,
    RoomGetStateEventResponse,
    RoomInviteResponse,
    RoomKickResponse,
    RoomPreset,
    RoomPutStateResponse,
    RoomResolveAliasResponse,
)

from bot.messages import (
    CHAT_ARCHIVE,
    CHAT_CREATE,
    CHAT_INVITE,
    CHAT_REMOVE,
    ChatOrder,
    Outgoing,
    PermanentDeliveryError,
    TransientDeliveryError,
)
from bot.transport.matrix_session import MatrixSession, error_code

log = logging.getLogger(__name__)

# Who may talk in an archived chat: its leads (50) and the bot.
ARCHIVED_EVENTS_DEFAULT = 50
ARCHIVED_PREFIX = "Archived: "


def server_of(user_id: str) -> str:
    """The server part of a user id (`@bot:example.org:8448` -> `example.org:8448`)."""
    return user_id.split(":", 1)[1]


def aliases(user_id: str, order: ChatOrder) -> tuple[str, str]:
    """The room aliases (localparts) of the order's chat and of its workshop's Space."""
    bot = user_id[1:].split(":", 1)[0]
    return f"{bot}.chat.{order.key}", f"{bot}.space.{order.space}"


def is_own_chat(alias: str | None, user_id: str) -> bool:
    """Whether a room's canonical alias makes it one of this bot's chats or Spaces,
    which it keeps while nobody else is in them (a Space has no other members)."""
    bot = user_id[1:].split(":", 1)[0]
    local = (alias or "")[1:].split(":", 1)[0]
    return local.startswith((f"{bot}.chat.", f"{bot}.space."))


class MatrixChats:
    """Does the chat actions of one Matrix account."""

    def __init__(self, session: MatrixSession, space: str | None) -> None:
        self.session = session
        self.client = session.client
        self.user_id = session.user_id
        self.server = server_of(session.user_id)
        self.space = space  # the configured Space of every workshop, if any
        self._rooms: dict[str, str] = {}  # alias -> room id, found or made in this run

    async def act(self, message: Outgoing) -> str | None:
        """Do a CHAT_* action; for a creation, the room's id (and the Space's, on a
        second line)."""
        order = ChatOrder.read(message.text)
        if message.action == CHAT_CREATE:
            return await self.create(order)
        room = await self._find(aliases(self.user_id, order)[0])
        if room is None:  # its creation comes first in the lane: not done yet
            raise TransientDeliveryError(f"the chat {order.key} does not exist yet")
        person = message.mentions[0] if message.mentions else None
        if message.action == CHAT_INVITE and person:
            await self._invite(room, person, order.power)
        elif message.action == CHAT_REMOVE and person:
            await self._remove(room, person)
        elif message.action == CHAT_ARCHIVE:
            await self._archive(room, order)
        return None

    async def create(self, order: ChatOrder) -> str:
        chat_alias, space_alias = aliases(self.user_id, order)
        space = order.space_id or self.space or await self._made(
            space_alias, name=order.space_name, topic=f"The local rooms of {order.space_name}",
            space=True)
        room = await self._made(
            chat_alias, name=order.name, topic=order.topic,
            initial_state=[
                {"type": "m.space.parent", "state_key": space,
                 "content": {"via": [self.server], "canonical": True}},
                {"type": "m.room.join_rules", "state_key": "", "content": {"join_rule": "invite"}},
                {"type": "m.room.history_visibility", "state_key": "",
                 "content": {"history_visibility": "shared"}},
            ])
        # Again after a crash between the two: a state event is set, never added twice.
        await self._put(space, "m.space.child", {"via": [self.server]}, room)
        return f"{room}\n{space}"

    async def _made(self, alias: str, **options: Any) -> str:
        """The room with this alias: found, or created with it."""
        found = await self._find(alias)
        if found is not None:
            return found
        response = await self._call(functools.partial(
            self.client.room_create, alias=alias, preset=RoomPreset.private_chat, **options))
        if error_code(response) == "M_ROOM_IN_USE":  # made meanwhile: the alias has it
            found = await self._find(alias)
            if found is not None:
                return found
        if not isinstance(response, RoomCreateResponse):
            raise _failure(f"could not create the room #{alias}", response)
        log.info("created the room %s (#%s)", response.room_id, alias)
        self._rooms[alias] = str(response.room_id)
        return str(response.room_id)

    async def _find(self, alias: str) -> str | None:
        if alias in self._rooms:
            return self._rooms[alias]
        response = await self._call(functools.partial(
            self.client.room_resolve_alias, f"#{alias}:{self.server}"))
        if isinstance(response, RoomResolveAliasResponse):
            self._rooms[alias] = str(response.room_id)
            return self._rooms[alias]
        if error_code(response) == "M_NOT_FOUND":
            return None
        raise _failure(f"could not look up #{alias}", response)

    async def _invite(self, room: str, person: str, power: int) -> None:
        await self._set_power(room, person, power)
        response = await self._call(functools.partial(self.client.room_invite, room, person))
        if isinstance(response, RoomInviteResponse):
            return
        if error_code(response) != "M_FORBIDDEN":
            raise _failure(f"could not invite {person} to {room}", response)
        # Already in the room (or banned from it): nothing more the bot can do.
        log.info("no invite to %s: %s", room, getattr(response, "message", response))

    async def _remove(self, room: str, person: str) -> None:
        await self._set_power(room, person, 0)
        response = await self._call(functools.partial(
            self.client.room_kick, room, person, "left the local room"))
        # Not (or no longer) in the room: nothing to remove.
        if not isinstance(response, RoomKickResponse) and error_code(response) != "M_FORBIDDEN":
            raise _failure(f"could not remove {person} from {room}", response)

    async def _archive(self, room: str, order: ChatOrder) -> None:
        levels = await self._state(room, "m.room.power_levels")
        if levels.get("events_default") != ARCHIVED_EVENTS_DEFAULT:
            await self._put(room, "m.room.power_levels",
                            {**levels, "events_default": ARCHIVED_EVENTS_DEFAULT})
        topic = order.topic if order.topic.startswith(ARCHIVED_PREFIX) else (
            ARCHIVED_PREFIX + order.topic)
        await self._put(room, "m.room.topic", {"topic": topic})
        space = order.space_id or self.space or await self._find(
            aliases(self.user_id, order)[1])
        if space is not None:  # empty content: no longer a child, out of the listing
            await self._put(space, "m.space.child", {}, room)

    async def _set_power(self, room: str, person: str, power: int) -> None:
        """The person's level in the room: `power`, or the room's default for 0."""
        levels = await self._state(room, "m.room.power_levels")
        users = dict(levels.get("users", {}))
        if users.get(person, 0) == power:
            return
        if power:
            users[person] = power
        else:
            users.pop(person, None)
        await self._put(room, "m.room.power_levels", {**levels, "users": users})

    async def _state(self, room: str, kind: str) -> dict[str, Any]:
        response = await self._call(functools.partial(
            self.client.room_get_state_event, room, kind))
        if not isinstance(response, RoomGetStateEventResponse):
            raise _failure(f"could not read {kind} of {room}", response)
        return dict(response.content)

    async def _put(self, room: str, kind: str, content: dict[str, Any], key: str = "") -> None:
        response = await self._call(functools.partial(
            self.client.room_put_state, room, kind, content, key))
        if not isinstance(response, RoomPutStateResponse):
            raise _failure(f"could not set {kind} in {room}", response)

    async def _call(self, request: Any) -> Any:
        return await self.session.call(request, pacer=self.session.other_pacer)


def _failure(what: str, response: Any) -> Exception:
    """Forbidden (the bot lacks the rights) is for good; the rest is worth a retry."""
    if error_code(response) == "M_FORBIDDEN":
        return PermanentDeliveryError(f"{what}: {response}")
    return TransientDeliveryError(f"{what}: {response}")
