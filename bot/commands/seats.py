"""Learners' places: joining and leaving a local room, and seeing one's own."""

from __future__ import annotations

from bot.commands import seat_elsewhere
from bot.commands.context import Context
from bot.commands.framework import CommandSet, Notice, Reply
from bot.commands.joined import joined, pending_next, reminder_line
from bot.commands.rooms import (
    A_ROLE,
    day_lines,
    headline,
    leaders_text,
    notice_promoted,
    venue_label,
)
from bot.conversations import store
from bot.db.models import LocalRoom, MemberRole
from bot.services import rooms, seats, team, workshops
from bot.text import code, escape, link
from bot.values import RoomCode

commands = CommandSet()


@commands.command(
    "join",
    help="Join a local room (its waitlist when it is full); joining another moves you. "
    "A host or team lead of another room is asked to confirm first.",
    example="!join R7",
)
async def join(ctx: Context, room_code: RoomCode) -> Reply:
    room = await rooms.get(ctx.session, room_code)
    me = await ctx.me()
    if await seat_elsewhere.needs_confirming(ctx.session, room, me):
        said = await store.push(ctx.session, ctx.settings, ctx.kinds, me,
                                seat_elsewhere.subject(room), ctx.now())
        if ctx.message.is_direct:
            return Reply(said)
        return Reply("I sent you a direct message to confirm.",
                     notices=(Notice(ctx.sender, said),))
    return await joined(ctx.session, ctx.settings, room, me, ctx.now())


@commands.command(
    "leave",
    help="Leave your local room (or its waitlist) in the current workshop.",
    example="!leave",
)
async def leave(ctx: Context) -> Reply:
    workshop = await workshops.require_current(ctx.session)
    mine = await seats.my_memberships(ctx.session, workshop, ctx.person)
    if mine and all(m.role in seats.STAFF for m in mine):
        room = mine[0].room
        return Reply(
            f"You are a host or team lead of {room.code}, not a learner there. To step down, "
            f"use {code(f'{ctx.prefix}room step-down {room.code}')}."
        )
    result = await seats.leave(ctx.session, workshop, ctx.person, ctx.now())
    where = "the waitlist of " if result.was is MemberRole.WAITLIST else ""
    return Reply(
        f"You left {where}{result.room.code} {escape(result.room.name)}.",
        notices=tuple(notice_promoted(result.promoted, result.room, ctx.prefix)),
    )


@commands.command(
    "myroom",
    help="Your local room, your role, its team and links.",
    example="!myroom",
    read_only=True,
)
async def myroom(ctx: Context) -> str:
    workshop = await workshops.require_current(ctx.session)
    mine = await seats.my_memberships(ctx.session, workshop, ctx.person)
    if not mine:
        return (
            f"You are not in a local room of {code(workshop.slug)}. "
            f"{code(ctx.prefix + 'rooms')} lists them."
        )
    by_room: dict[int, list[str]] = {}
    room_of: dict[int, LocalRoom] = {}
    seated: set[int] = set()
    for membership in mine:
        room_of[membership.room_id] = membership.room
        text = A_ROLE.get(membership.role)
        if text is None:
            text = (
                f"number {await seats.waitlist_position(ctx.session, membership)} on the waitlist"
            )
        else:
            seated.add(membership.room_id)
        by_room.setdefault(membership.room_id, []).append(text)
    lines = []
    for room_id, roles in by_room.items():
        room = room_of[room_id]
        members = await team.members(ctx.session, room)
        lines.append(f"- {headline(room)}: you are {' and '.join(roles)}.")
        lines.append(f"  {leaders_text(members)}")
        lines += day_lines(room, ctx.zone, "  ")
        if room.venue and room_id in seated:
            lines.append(f"  {venue_label(room)}: {escape(room.venue)}")
        elif room.venue:
            lines.append(f"  {venue_label(room)}: shared with you once you have a seat")
    lines += [f"{label}: {link(url)}"
              for label, url in workshops.links(workshop, registration=False)]
    if ctx.person is not None:
        found = await pending_next(ctx.session, workshop.id, ctx.person)
        lines += reminder_line(ctx.person, found, ctx.zone, ctx.prefix)
    return ctx.showing_times(
        "\n".join([f"**Your local room in {code(workshop.slug)}**", *lines]))
