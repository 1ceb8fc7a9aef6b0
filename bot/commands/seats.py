"""Learners' places: joining and leaving a local room, and seeing one's own."""

from __future__ import annotations

from bot.commands.context import Context
from bot.commands.framework import CommandSet, Reply
from bot.commands.rooms import headline, leaders_text, notice_promoted, venue_label
from bot.db.models import LocalRoom, MemberRole
from bot.services import rooms, seats, team, workshops
from bot.text import code, escape, link
from bot.values import RoomCode

commands = CommandSet()


@commands.command(
    "join",
    help="Join a local room (its waitlist when it is full); joining another moves you.",
    example="!join R7",
)
async def join(ctx: Context, room_code: RoomCode) -> Reply:
    room = await rooms.get(ctx.session, room_code)
    result = await seats.join(ctx.session, room, await ctx.me(), ctx.now())
    label = f"{room.code} {escape(room.name)}"
    if result.position is not None:
        verb = "are" if result.already else "are now"
        text = (
            f"{label} is full, so you {verb} number {result.position} on its waitlist. "
            "I will tell you when a seat frees up."
        )
    elif result.already:
        text = f"You already have a seat in {label}."
    else:
        text = (
            f"Welcome: you have a seat in {label}. {code(ctx.prefix + 'myroom')} shows the details."
        )
    if result.moved_from is not None:
        text = (
            f"You left {result.moved_from.code} {escape(result.moved_from.name)} "
            f"(one room per workshop). " + text
        )
    return Reply(
        text,
        notices=tuple(notice_promoted(result.promoted_elsewhere, result.moved_from, ctx.prefix))
        if result.moved_from
        else (),
    )


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
        text = {
            MemberRole.HOST: "host",
            MemberRole.LEAD: "team lead",
            MemberRole.LEARNER: "learner with a seat",
        }.get(membership.role)
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
        if room.venue and room_id in seated:
            lines.append(f"  {venue_label(room)}: {escape(room.venue)}")
        elif room.venue:
            lines.append(f"  {venue_label(room)}: shared with you once you have a seat")
    for label, url in (("Stream", workshop.stream_url), ("Shared notes", workshop.notes_url),
                       ("Setup instructions", workshop.setup_url)):
        if url:
            lines.append(f"{label}: {link(url)}")
    return "\n".join([f"**Your local room in {code(workshop.slug)}**", *lines])
