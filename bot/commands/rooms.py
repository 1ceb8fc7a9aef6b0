"""Local rooms: finding, registering, joining and running them."""

from __future__ import annotations

from typing import Annotated, Literal

from bot.commands.context import Context
from bot.commands.framework import Arg, CommandSet, Notice, Reply, UsageError
from bot.db.models import LocalRoom, MemberRole, Person, RoomMode, RoomStatus
from bot.services import listing, people, rooms, workshops
from bot.services.roles import Role
from bot.text import code, escape, link, span
from bot.transport.base import Attachment
from bot.values import DaySet, RoomCode, Url, UserId, format_days

commands = CommandSet()

Text = Annotated[str, Arg(metavar='"…"')]
Capacity = Annotated[int, Arg(min=1, max=10_000)]
Mode = Literal["in-person", "online"]


def headline(room: LocalRoom) -> str:
    where = (
        "online"
        if room.mode is RoomMode.ONLINE
        else ", ".join(escape(p) for p in (room.city, room.country) if p)
    )
    return f"**{room.code}** {escape(room.name)} · {escape(room.organization)} · {where}"


def seats_text(room: LocalRoom, taken: rooms.Occupancy) -> str:
    if room.status is RoomStatus.WITHDRAWN:
        return "withdrawn"
    left = taken.seats_left(room)
    text = f"{left} seat{'s' if left != 1 else ''} left" if left else "full"
    return text + (f", {taken.waiting} waiting" if taken.waiting else "")


def _name(person: Person) -> str:
    return code(person.user_id)


def _notice_promoted(promoted: list[Person], room: LocalRoom, prefix: str) -> list[Notice]:
    return [
        Notice(
            p.user_id,
            f"Good news: a seat freed up in {room.code} {escape(room.name)}, and it is yours now. "
            f"{code(prefix + 'myroom')} shows the details; {code(prefix + 'leave')} gives it back.",
        )
        for p in promoted
    ]


async def _managed_room(ctx: Context, room_code: RoomCode) -> tuple[LocalRoom, set[MemberRole]]:
    """The room, once the asker is known to be one of its hosts or leads, or an organizer."""
    room = await rooms.get(ctx.session, room_code)
    held = await rooms.require_manager(ctx.session, room, ctx.person, ctx.role is Role.ORGANIZER)
    return room, held


@commands.command(
    "rooms",
    help="Local rooms of the current workshop; words search names, places and audiences.",
    example="!rooms oslo mode=in-person lang=no",
    read_only=True,
)
async def find(
    ctx: Context,
    *words: str,
    mode: Mode | None = None,
    lang: str | None = None,
    city: str | None = None,
) -> str:
    workshop = await workshops.require_current(ctx.session, ctx.prefix)
    found = await rooms.search(
        ctx.session, workshop, words, RoomMode(mode) if mode else None, lang, city
    )
    if not found:
        filtered = words or mode or lang or city
        return (
            "No local rooms match."
            if filtered
            else f"No local rooms yet. Register one with {code(ctx.prefix + 'room add')}."
        )
    taken = await rooms.occupancy(ctx.session, [r.id for r in found])
    lines = [
        f"- {headline(r)} · {escape(r.language)} · {seats_text(r, taken[r.id])}" for r in found
    ]
    return "\n".join(
        [
            f"**Local rooms of {code(workshop.slug)}** ({len(found)})",
            *lines,
            f"Details: {code(ctx.prefix + 'room R7')}; join one: {code(ctx.prefix + 'join R7')}",
        ]
    )


@commands.command(
    "room", help="All details of one local room.", example="!room R7", read_only=True
)
async def show(ctx: Context, room_code: RoomCode) -> str:
    room = await rooms.get(ctx.session, room_code)
    taken = await rooms.occupancy_of(ctx.session, room)
    team = await rooms.members(ctx.session, room)
    days = sorted(rooms.covered_days(room))
    all_days = room.workshop.days
    day_lines = [
        f"  - Day {d.number}: {span(d.starts_at, d.ends_at, ctx.zone)}"
        for d in all_days
        if d.number in days
    ]
    place = "online" if room.mode is RoomMode.ONLINE else "in person"
    where = ", ".join(escape(p) for p in (room.city, room.country) if p)
    lines = [
        f"**{room.code} · {escape(room.name)}** ({room.status.value})",
        f"- Organization: {escape(room.organization)}",
        f"- Where: {place}" + (f", {where}" if where else ""),
    ]
    if room.venue:
        lines.append(f"- Venue or video link: {escape(room.venue)}")
    lines += [
        f"- Language: {escape(room.language)}",
        f"- Seats: {room.capacity} in all, {seats_text(room, taken)}",
        f"- Days: {format_days(set(days))}",
        *day_lines,
    ]
    if room.who_may_join:
        lines.append(f"- Who may join: {escape(room.who_may_join)}")
    if room.signup_url:
        lines.append(f"- Own sign-up: {link(room.signup_url)}")
    leads = team[MemberRole.LEAD] or team[MemberRole.HOST]
    lines.append("- Team leads: " + (", ".join(_name(p) for p in leads) or "none yet"))
    lines.append(f"- Listed publicly: {'yes' if room.public else 'no'}")
    lines.append(f"- Workshop: {code(room.workshop.slug)}")
    return "\n".join(lines)


@commands.command(
    "room add",
    help="Register a local room in the current workshop; you become its host and team lead.",
    example='!room add name="TU Delft classroom" org="TU Delft" mode=in-person city=Delft '
    'country=NL lang=en capacity=20 days=1-3 public=yes who="TU Delft staff and students"',
)
async def add(
    ctx: Context,
    *,
    name: Text,
    org: Text,
    mode: Mode,
    capacity: Capacity,
    public: bool,
    city: str | None = None,
    country: str | None = None,
    lang: str = "en",
    days: DaySet | None = None,
    venue: Text | None = None,
    link: Url | None = None,
    who: Text | None = None,
) -> str:
    workshop = await workshops.require_current(ctx.session, ctx.prefix)
    fields = rooms.RoomFields(
        name=name,
        organization=org,
        mode=RoomMode(mode),
        city=city,
        country=country,
        venue=venue,
        language=lang,
        capacity=capacity,
        days=days,
        who_may_join=who,
        signup_url=link,
        public=public,
    )
    room = await rooms.add(ctx.session, workshop, await ctx.me(), fields, ctx.now())
    join_it = code(f"{ctx.prefix}join {room.code}")
    add_lead = code(f"{ctx.prefix}room lead add {room.code} @user:server")
    return (
        f"Registered {room.code} {escape(room.name)} in {code(workshop.slug)}; "
        f"you are its host and team lead. Learners join with {join_it}. "
        f"Add co-leads with {add_lead}."
    )


@commands.command(
    "room edit",
    help="Change a room's details (its hosts and team leads, or an organizer).",
    example="!room edit R7 capacity=25 city=Delft",
    role=Role.LEAD,
)
async def edit(
    ctx: Context,
    room_code: RoomCode,
    *,
    name: Text | None = None,
    org: Text | None = None,
    mode: Mode | None = None,
    city: str | None = None,
    country: str | None = None,
    lang: str | None = None,
    capacity: Capacity | None = None,
    days: DaySet | None = None,
    venue: Text | None = None,
    link: Url | None = None,
    who: Text | None = None,
    public: bool | None = None,
    status: Literal["open", "full"] | None = None,
) -> Reply:
    room, held = await _managed_room(ctx, room_code)
    fields = rooms.RoomFields(
        name=name,
        organization=org,
        mode=RoomMode(mode) if mode else None,
        city=city,
        country=country,
        venue=venue,
        language=lang,
        capacity=capacity,
        days=days,
        who_may_join=who,
        signup_url=link,
        public=public,
        status=RoomStatus(status) if status else None,
    )
    if not fields.given():
        raise UsageError("give at least one key=value to change")
    promoted = await rooms.edit(ctx.session, room, fields, held, ctx.role is Role.ORGANIZER)
    moved = f" {len(promoted)} waiting learner(s) got a seat and were told." if promoted else ""
    return Reply(
        f"{room.code} changed: {', '.join(sorted(fields.given()))}.{moved}",
        notices=tuple(_notice_promoted(promoted, room, ctx.prefix)),
    )


@commands.command(
    "room withdraw",
    help="Withdraw a room; its learners and waiting learners are told.",
    example="!room withdraw R7",
    role=Role.LEAD,
)
async def withdraw(ctx: Context, room_code: RoomCode) -> Reply:
    room, _ = await _managed_room(ctx, room_code)
    told = await rooms.withdraw(ctx.session, room)
    notices = tuple(
        Notice(
            p.user_id,
            f"Sorry: the local room {room.code} {escape(room.name)} was withdrawn, so your place "
            f"there is gone. {code(ctx.prefix + 'rooms')} lists the other local rooms.",
        )
        for p in told
    )
    return Reply(f"{room.code} is withdrawn; {len(told)} learner(s) were told.", notices=notices)


@commands.command(
    "room roster",
    help="Members of a room by role, and its waitlist in order.",
    example="!room roster R7",
    role=Role.LEAD,
    read_only=True,
)
async def roster(ctx: Context, room_code: RoomCode) -> str:
    room, _ = await _managed_room(ctx, room_code)
    team = await rooms.members(ctx.session, room)
    taken = await rooms.occupancy_of(ctx.session, room)
    lines = [f"**Roster of {room.code} {escape(room.name)}** ({seats_text(room, taken)})"]
    for role, label in (
        (MemberRole.HOST, "Hosts"),
        (MemberRole.LEAD, "Team leads"),
        (MemberRole.LEARNER, f"Learners ({len(team[MemberRole.LEARNER])} of {room.capacity})"),
    ):
        lines.append(f"{label}: " + (", ".join(_name(p) for p in team[role]) or "none"))
    waiting = team[MemberRole.WAITLIST]
    lines.append(
        "Waitlist: " + (", ".join(f"{n}. {_name(p)}" for n, p in enumerate(waiting, 1)) or "nobody")
    )
    return "\n".join(lines)


@commands.command(
    "room lead add",
    help="Make someone a team lead of a room.",
    example="!room lead add R7 @ana:uni.no",
    role=Role.LEAD,
)
async def lead_add(ctx: Context, room_code: RoomCode, user: UserId) -> Reply:
    room, _ = await _managed_room(ctx, room_code)
    person = await people.ensure(ctx.session, ctx.message.network, user, ctx.now())
    promoted = await rooms.add_lead(ctx.session, room, person, ctx.now())
    notices = (
        Notice(
            user,
            f"You are now a team lead of the local room {room.code} {escape(room.name)}. "
            f"{code(ctx.prefix + 'room roster ' + room.code)} shows who is in it.",
        ),
        *_notice_promoted(promoted, room, ctx.prefix),
    )
    return Reply(f"{code(user)} is now a team lead of {room.code}.", notices=notices)


@commands.command(
    "room lead remove",
    help="Remove a team lead from a room.",
    example="!room lead remove R7 @ana:uni.no",
    role=Role.LEAD,
)
async def lead_remove(ctx: Context, room_code: RoomCode, user: UserId) -> str:
    room, _ = await _managed_room(ctx, room_code)
    person = await people.find(ctx.session, ctx.message.network, user)
    await rooms.remove_lead(ctx.session, room, person)
    return f"{code(user)} is no longer a team lead of {room.code}."


@commands.command(
    "join",
    help="Join a local room (its waitlist when it is full); joining another moves you.",
    example="!join R7",
)
async def join(ctx: Context, room_code: RoomCode) -> Reply:
    room = await rooms.get(ctx.session, room_code)
    result = await rooms.join(ctx.session, room, await ctx.me(), ctx.now())
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
        notices=tuple(_notice_promoted(result.promoted_elsewhere, result.moved_from, ctx.prefix))
        if result.moved_from
        else (),
    )


@commands.command(
    "leave",
    help="Leave your local room (or its waitlist) in the current workshop.",
    example="!leave",
)
async def leave(ctx: Context) -> Reply:
    workshop = await workshops.require_current(ctx.session, ctx.prefix)
    result = await rooms.leave(ctx.session, workshop, ctx.person)
    where = "the waitlist of " if result.was is MemberRole.WAITLIST else ""
    return Reply(
        f"You left {where}{result.room.code} {escape(result.room.name)}.",
        notices=tuple(_notice_promoted(result.promoted, result.room, ctx.prefix)),
    )


@commands.command(
    "myroom",
    help="Your local room, your role, its team leads and links.",
    example="!myroom",
    read_only=True,
)
async def myroom(ctx: Context) -> str:
    workshop = await workshops.require_current(ctx.session, ctx.prefix)
    mine = await rooms.my_memberships(ctx.session, workshop, ctx.person)
    if not mine:
        return (
            f"You are not in a local room of {code(workshop.slug)}. "
            f"{code(ctx.prefix + 'rooms')} lists them."
        )
    by_room: dict[int, list[str]] = {}
    room_of: dict[int, LocalRoom] = {}
    for membership in mine:
        room_of[membership.room_id] = membership.room
        text = {
            MemberRole.HOST: "host",
            MemberRole.LEAD: "team lead",
            MemberRole.LEARNER: "learner with a seat",
        }.get(membership.role)
        if text is None:
            text = (
                f"number {await rooms.waitlist_position(ctx.session, membership)} on the waitlist"
            )
        by_room.setdefault(membership.room_id, []).append(text)
    lines = []
    for room_id, roles in by_room.items():
        room = room_of[room_id]
        team = await rooms.members(ctx.session, room)
        leads = ", ".join(_name(p) for p in team[MemberRole.LEAD]) or "none yet"
        lines.append(f"- {headline(room)}: you are {' and '.join(roles)}. Team leads: {leads}.")
        if room.venue:
            lines.append(f"  Venue or video link: {escape(room.venue)}")
    for label, url in (("Stream", workshop.stream_url), ("Shared notes", workshop.notes_url)):
        if url:
            lines.append(f"{label}: {link(url)}")
    return "\n".join([f"**Your local room in {code(workshop.slug)}**", *lines])


@commands.command(
    "rooms export",
    help="The publicly listed rooms as a file for the workshop's web page.",
    example="!rooms export md",
    role=Role.ORGANIZER,
    read_only=True,
)
async def export(ctx: Context, format: Literal["md", "json", "csv"] = "csv") -> Reply:
    workshop = await workshops.require_current(ctx.session, ctx.prefix)
    entries = await listing.public_rooms(ctx.session, workshop)
    data = listing.render(entries, format)
    return Reply(
        f"{len(entries)} publicly listed room(s) of {code(workshop.slug)}.",
        attachment=Attachment(
            f"{workshop.slug}-rooms.{format}", listing.CONTENT_TYPES[format], data.encode()
        ),
    )
