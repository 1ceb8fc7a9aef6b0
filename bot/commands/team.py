"""A room's team: its roster, adding and removing team leads, stepping down."""

from __future__ import annotations

from bot.commands.context import Context
from bot.commands.framework import CommandSet, Notice, Reply
from bot.commands.rooms import (
    A_ROLE,
    leaders_text,
    managed_room,
    name_of,
    notice_promoted,
    seats_text,
)
from bot.db.models import MemberRole
from bot.services import people, seats, team
from bot.services.roles import Role
from bot.text import code, escape
from bot.values import RoomCode, UserId

commands = CommandSet()


@commands.command(
    "room roster",
    help="Members of a room by role, and its waitlist in order.",
    example="!room roster R7",
    role=Role.LEAD,
    read_only=True,
)
async def roster(ctx: Context, room_code: RoomCode) -> str:
    room, _ = await managed_room(ctx, room_code)
    members = await team.members(ctx.session, room)
    taken = await seats.occupancy_of(ctx.session, room)
    learners = members[MemberRole.LEARNER]
    waiting = members[MemberRole.WAITLIST]
    return "\n".join(
        [
            f"**Roster of {room.code} {escape(room.name)}** ({seats_text(room, taken)})",
            leaders_text(members),
            f"Learners ({len(learners)} of {room.capacity}): "
            + (", ".join(name_of(p) for p in learners) or "none"),
            "Waitlist: "
            + (", ".join(f"{n}. {name_of(p)}" for n, p in enumerate(waiting, 1)) or "nobody"),
        ]
    )


@commands.command(
    "room lead add",
    help="Make someone a team lead of a room; a seat they held there goes to the next learner.",
    example="!room lead add R7 {person}",
    role=Role.LEAD,
)
async def lead_add(ctx: Context, room_code: RoomCode, user: UserId) -> Reply:
    user = ctx.someone(user)
    room, _ = await managed_room(ctx, room_code)
    person = await people.ensure(ctx.session, ctx.message.network, user, ctx.now())
    added = await team.add_lead(ctx.session, room, person, ctx.now())
    label = f"{room.code} {escape(room.name)}"
    text = f"You are now a team lead of the local room {label}."
    if added.was is MemberRole.LEARNER:
        text += " Team leads need no learner seat, so the seat you had there is given up" + (
            " and went to the next learner on the waitlist." if added.promoted else "."
        )
    elif added.was is MemberRole.WAITLIST:
        text += " You are no longer on its waitlist: team leads need no seat."
    text += f" {code(ctx.prefix + 'room roster ' + room.code)} shows who is in it."
    notices = (Notice(user, text), *notice_promoted(added.promoted, room, ctx.prefix))
    return Reply(f"{code(user)} is now a team lead of {room.code}.", notices=notices)


@commands.command(
    "room lead remove",
    help="Remove a team lead from a room; they are told.",
    example="!room lead remove R7 {person}",
    role=Role.LEAD,
)
async def lead_remove(ctx: Context, room_code: RoomCode, user: UserId) -> Reply:
    user = ctx.someone(user)
    room, _ = await managed_room(ctx, room_code)
    person = await people.find(ctx.session, ctx.message.network, user)
    await team.remove_lead(ctx.session, room, person, ctx.now())
    if user == ctx.sender:
        return Reply(f"You are no longer a team lead of {room.code}.")
    told = Notice(
        user,
        f"{code(ctx.sender)} removed you as a team lead of the local room {room.code} "
        f"{escape(room.name)}.",
    )
    return Reply(f"{code(user)} is no longer a team lead of {room.code}.", notices=(told,))


@commands.command(
    "room step-down",
    help="Stop being a host and team lead of a room (someone else must be left to run it).",
    example="!room step-down R7",
    role=Role.LEAD,
)
async def step_down(ctx: Context, room_code: RoomCode) -> str:
    room, _ = await managed_room(ctx, room_code)
    gave_up = await team.step_down(ctx.session, room, ctx.person, ctx.now())
    roles = " and ".join(A_ROLE[r] for r in gave_up)
    return f"You are no longer {roles} of {room.code} {escape(room.name)}."
