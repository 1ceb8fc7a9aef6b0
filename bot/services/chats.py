"""A chat room per local room: what the bot asks the networks to do, as outbox rows.

Each room not withdrawn of a workshop with chats on gets a chat on each network
its people are on. Who should be in it follows from the memberships: the room's
hosts and team leads at power level 50, its seated learners at 0 (the waitlist is
not a seat). `follow` compares that with what the bot already asked for
(`ChatMember`) and writes the difference as outbox actions in the transaction
of the command that changed it (the dispatcher calls it after every command, with
the rooms and workshops the command touched), so a crash never loses or repeats
an intent. All of a chat's actions go to its own target, one lane: its creation
before its invites. The transport finds a chat created before a crash by its
key (bot/messages.py `ChatOrder`) before it creates one.

A learner invited is told so in their direct chat. A learner who leaves is removed
from the chat unless `chats.on_leave` is "keep". Turning chats off for a workshop
creates nothing more and leaves the chats made so far as they are.
"""

from __future__ import annotations

import secrets
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.config_sections import ChatSettings, Settings
from bot.db.models import (
    ChatMember,
    ChatState,
    LocalRoom,
    MemberRole,
    Membership,
    OutboxMessage,
    Person,
    RoomChat,
    RoomStatus,
    Workshop,
    WorkshopChats,
    WorkshopState,
)
from bot.messages import (
    CHAT_ARCHIVE,
    CHAT_CREATE,
    CHAT_INVITE,
    CHAT_REMOVE,
    ChatOrder,
    Outgoing,
)
from bot.outbox import rows
from bot.outbox.rows import Delivery
from bot.text import clip, escape

# Matrix's moderator level, given to a room's hosts and team leads in its chat.
LEAD_POWER = 50
# Zulip's limit for a channel name (max_stream_name_length), the tighter of the two.
NAME_LIMIT = 60
_POWER = {MemberRole.HOST: LEAD_POWER, MemberRole.LEAD: LEAD_POWER, MemberRole.LEARNER: 0}


async def set_enabled(session: AsyncSession, workshop: Workshop, enabled: bool) -> bool:
    """A workshop's own choice of chats; whether it changed anything."""
    row = await session.get(WorkshopChats, workshop.id)
    if row is None:
        session.add(WorkshopChats(workshop_id=workshop.id, enabled=enabled))
        await session.flush()
        return True
    if row.enabled == enabled:
        return False
    row.enabled = enabled
    await session.flush()
    return True


async def enabled(session: AsyncSession, settings: ChatSettings, workshop: Workshop) -> bool:
    row = await session.get(WorkshopChats, workshop.id)
    return settings.enabled if row is None else row.enabled


async def room_in(session: AsyncSession, network: str, channel: str | None) -> LocalRoom | None:
    """The local room whose chat `channel` is (a network's room or channel id), if any."""
    if channel is None:
        return None
    return await session.scalar(
        select(LocalRoom).join(RoomChat, RoomChat.room_id == LocalRoom.id)
        .where(RoomChat.network == network, RoomChat.network_room == channel))


def chat_key(room: LocalRoom) -> str:
    """Stable and unique per local room: `2026-spring-r12`."""
    return f"{room.workshop.slug}-{room.code}".lower()


def chat_name(room: LocalRoom) -> str:
    return clip(f"{room.code} {room.name}", NAME_LIMIT)


def chat_topic(room: LocalRoom) -> str:
    where = ", ".join(part for part in (room.organization, room.city) if part)
    return f"{room.workshop.title}: local room {room.code} ({where})"


def order(chat: RoomChat, space_id: str | None, power: int = 0) -> ChatOrder:
    room = chat.room
    return ChatOrder(
        key=chat_key(room), name=chat.name, topic=chat_topic(room), space=room.workshop.slug,
        space_name=room.workshop.title, space_id=space_id, power=power,
    )


def create_key(chat: RoomChat) -> str:
    """The dedupe key of a chat's creation: its row keeps what the network named back."""
    return f"chat:{chat.id}:create"


async def settle(session: AsyncSession) -> int:
    """Record on the chats still wanted the room (and Space) ids their networks named
    back when they were created (kept on the creation's outbox row); how many."""
    wanted = {create_key(chat): chat for chat in await session.scalars(
        select(RoomChat).where(RoomChat.state == ChatState.WANTED))}
    if not wanted:
        return 0
    named = await session.execute(
        select(OutboxMessage.dedupe_key, OutboxMessage.network_message_id).where(
            OutboxMessage.dedupe_key.in_(wanted), OutboxMessage.network_message_id.is_not(None)))
    settled = 0
    for key, ids in named:
        chat = wanted[key]
        room_id, _, space_id = str(ids).partition("\n")
        chat.network_room, chat.state = room_id, ChatState.CREATED
        own = await session.get(WorkshopChats, chat.room.workshop_id)
        if own is not None and space_id and own.network_space is None:
            own.network_space = space_id
        settled += 1
    await session.flush()
    return settled


@dataclass
class _Plan:
    """The outbox rows one call writes, per network."""

    now: datetime
    by_network: dict[str, list[tuple[str, Outgoing]]] = field(
        default_factory=lambda: defaultdict(list))

    def add(self, chat: RoomChat, kind: str, what: ChatOrder, person: str | None = None,
            *, step: str) -> None:
        # Unique per step (a learner may leave and come back): the dedupe key guards
        # a resend, and the event's claim guards the command against running twice.
        key = create_key(chat) if kind == CHAT_CREATE else (
            f"chat:{chat.id}:{step}:{secrets.token_hex(6)}")
        mentions = (person,) if person else ()
        self.by_network[chat.network].append((key, Outgoing(
            text=what.text(), room=chat.target, mentions=mentions, action=kind)))

    async def write(self, session: AsyncSession) -> list[Delivery]:
        written: list[Delivery] = []
        for network, messages in self.by_network.items():
            written += await rows.add_all(session, messages, network=network,
                                          reference=secrets.token_hex(3), now=self.now)
        return written

    def tell(self, chat: RoomChat, person: Person) -> None:
        room = chat.room
        self.by_network[chat.network].append((
            f"chat:{chat.id}:told:{person.id}:{secrets.token_hex(6)}",
            Outgoing(text=f"You have a seat in {room.code} · {escape(room.name)}, so I invited "
                          f"you to its chat, “{escape(chat.name)}”: the room's hosts, team "
                          "leads and learners talk there, also after the workshop.",
                     user=person.user_id)))


class Touched(Protocol):
    """What a command changed (bot/scheduling/touched.py)."""

    everything: bool
    workshops: set[int]
    rooms: set[int]


async def follow(
    session: AsyncSession, settings: Settings, clock: Clock, touched: Touched
) -> list[Delivery]:
    """Bring the chats of the rooms touched (and of every room of the workshops
    touched) in line with their memberships; the outbox rows written, to hand on
    after the commit."""
    return await follow_rooms(session, settings.chats, clock.now(), touched.rooms,
                              touched.workshops, everything=touched.everything)


async def follow_rooms(
    session: AsyncSession, settings: ChatSettings, now: datetime, room_ids: set[int],
    workshop_ids: set[int], *, everything: bool = False,
) -> list[Delivery]:
    """`follow`, for these rooms and workshops."""
    if not (room_ids or workshop_ids or everything):
        return []
    wanted = await _rooms_with_chats(session, settings, room_ids, workshop_ids, everything)
    if not wanted:
        return []
    await settle(session)
    plan = _Plan(now)
    chats = await _chats_of(session, wanted, now, plan)
    await _members(session, settings, chats, plan)
    return await plan.write(session)


async def _rooms_with_chats(
    session: AsyncSession, settings: ChatSettings, room_ids: set[int],
    workshop_ids: set[int], everything: bool,
) -> list[LocalRoom]:
    """The rooms concerned whose workshop has chats on and is not over."""
    query = (
        select(LocalRoom, WorkshopChats.enabled)
        .join(Workshop, Workshop.id == LocalRoom.workshop_id)
        .outerjoin(WorkshopChats, WorkshopChats.workshop_id == LocalRoom.workshop_id)
        .where(Workshop.state != WorkshopState.FINISHED)
    )
    if not settings.enabled:  # only workshops that turned them on themselves
        query = query.where(WorkshopChats.enabled.is_(True))
    if not everything:
        query = query.where(LocalRoom.id.in_(room_ids) | LocalRoom.workshop_id.in_(workshop_ids))
    found = await session.execute(query.order_by(LocalRoom.id))
    return [room for room, own in found if (settings.enabled if own is None else own)]


async def _chats_of(
    session: AsyncSession, wanted: list[LocalRoom], now: datetime, plan: _Plan
) -> dict[tuple[int, str], RoomChat]:
    """Each room's chats by (room, network), made (and their creation written) for the
    networks of the room's people that have none yet. A withdrawn room gets none."""
    by_id = {room.id: room for room in wanted}
    chats = {(c.room_id, c.network): c for c in await session.scalars(
        select(RoomChat).where(RoomChat.room_id.in_(by_id)))}
    networks = await session.execute(
        select(Membership.room_id, Person.network).distinct()
        .join(Person, Person.id == Membership.person_id)
        .where(Membership.room_id.in_(by_id), Membership.role.in_(tuple(_POWER)))
    )
    spaces = {row.workshop_id: row.network_space for row in await session.scalars(
        select(WorkshopChats).where(
            WorkshopChats.workshop_id.in_({room.workshop_id for room in wanted})))}
    for room_id, network in sorted(networks):
        room = by_id[room_id]
        if (room_id, network) in chats or room.status is RoomStatus.WITHDRAWN:
            continue
        chat = RoomChat(room=room, network=network, name=chat_name(room),
                        state=ChatState.WANTED, created_at=now)
        session.add(chat)
        await session.flush()
        chats[room_id, network] = chat
        plan.add(chat, CHAT_CREATE, order(chat, spaces.get(room.workshop_id)), step="create")
    return chats


async def _members(
    session: AsyncSession, settings: ChatSettings, chats: dict[tuple[int, str], RoomChat],
    plan: _Plan,
) -> None:
    """Invite who should be in each chat and is not yet, at their power level; remove
    who left (unless `on_leave` keeps them)."""
    if not chats:
        return
    room_ids = {room_id for room_id, _ in chats}
    should: dict[tuple[int, str], dict[int, tuple[Person, int]]] = defaultdict(dict)
    for membership in await session.scalars(
        select(Membership).where(Membership.room_id.in_(room_ids),
                                 Membership.role.in_(tuple(_POWER)))
    ):
        person, power = membership.person, _POWER[membership.role]
        place = should[membership.room_id, person.network]
        if power >= place.get(person.id, (person, -1))[1]:
            place[person.id] = (person, power)
    asked: dict[int, dict[int, ChatMember]] = defaultdict(dict)
    by_chat = {chat.id: chat for chat in chats.values()}
    for member in await session.scalars(
        select(ChatMember).where(ChatMember.chat_id.in_(by_chat))
    ):
        asked[member.chat_id][member.person_id] = member
    for (room_id, network), chat in sorted(chats.items(), key=lambda item: item[1].id):
        if chat.state is ChatState.ARCHIVED:
            continue
        await _member_changes(session, settings, chat, should[room_id, network],
                              asked[chat.id], plan)


async def _member_changes(
    session: AsyncSession, settings: ChatSettings, chat: RoomChat,
    should: dict[int, tuple[Person, int]], asked: dict[int, ChatMember], plan: _Plan,
) -> None:
    for person_id, (person, power) in sorted(should.items()):
        member = asked.get(person_id)
        if member is not None and member.power == power:
            continue
        if member is None:
            session.add(ChatMember(chat_id=chat.id, person_id=person_id, power=power))
        else:
            member.power = power
        plan.add(chat, CHAT_INVITE, order(chat, None, power), person.user_id, step="invite")
        if member is None and power == 0:
            plan.tell(chat, person)
    if settings.on_leave != "remove":
        return
    for person_id, member in sorted(asked.items()):
        if person_id in should:
            continue
        gone = await session.get(Person, person_id)
        await session.delete(member)
        if gone is not None:
            plan.add(chat, CHAT_REMOVE, order(chat, None), gone.user_id, step="remove")
    await session.flush()


async def archive_due(
    session: AsyncSession, settings: ChatSettings, now: datetime
) -> list[Delivery]:
    """Archive the chats of workshops whose last day ended `archive_after` days ago:
    read-only for all but their leads, the topic says so, out of the Space's listing
    (bot/messages.py CHAT_ARCHIVE); the outbox rows written."""
    await settle(session)
    found = await session.execute(
        select(RoomChat, WorkshopChats.network_space)
        .join(LocalRoom, LocalRoom.id == RoomChat.room_id)
        .outerjoin(WorkshopChats, WorkshopChats.workshop_id == LocalRoom.workshop_id)
        .where(RoomChat.state != ChatState.ARCHIVED)
        .order_by(RoomChat.id)
    )
    plan = _Plan(now)
    after = timedelta(days=settings.archive_after)
    for chat, space_id in found:
        days = chat.room.workshop.days
        if not days or days[-1].ends_at + after > now:
            continue
        chat.state, chat.archived_at = ChatState.ARCHIVED, now
        plan.add(chat, CHAT_ARCHIVE, order(chat, space_id), step="archive")
    return await plan.write(session)
