"""Local rooms: finding them, their details, registering, changing and withdrawing them.

A room's options are declared once (`ROOM_OPTIONS`) and shared by `room add`
and `room edit`. Who sits in a room is in `commands/seats.py`; who runs it, in
`commands/team.py`.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from bot.commands.context import Context
from bot.commands.framework import Arg, CommandSet, Notice, Option, Options, Reply, UsageError
from bot.commands.notify import change_notices, told
from bot.countries import Country, country_name
from bot.db.models import LocalRoom, MemberRole, Person, RoomMode, RoomStatus
from bot.messages import Attachment
from bot.networks import PERSON
from bot.services import changes, listing, rooms, seats, team, workshops
from bot.services.errors import TooManyRooms, UserError
from bot.services.roles import Role
from bot.text import code, escape, link, span
from bot.values import (
    DaySet,
    Language,
    RoomCode,
    Url,
    format_days,
    language_name,
)

commands = CommandSet()

PAGE_SIZE = 20
Capacity = Annotated[
    int, Arg(min=1, max=10_000, help="seats for learners; hosts and team leads need none")
]


def _text(column: Any, help: str) -> Any:
    return Annotated[str, Arg(metavar='"…"', column=column, help=help)]


ROOM_OPTIONS = Options(
    (
        Option("name", "name", _text(LocalRoom.name, "the room's name as learners see it"), True),
        Option("org", "organization", _text(LocalRoom.organization, "who runs it"), True),
        Option(
            "mode",
            "mode",
            Annotated[RoomMode, Arg(help="learners meet in a room, or in a video call")],
            True,
        ),
        Option(
            "city",
            "city",
            Annotated[str, Arg(column=LocalRoom.city, help="where it meets (in person)")],
        ),
        Option(
            "country",
            "country",
            Annotated[Country, Arg(help="an ISO 3166 code or English name, e.g. NO or Norway")],
        ),
        Option(
            "lang",
            "language",
            Annotated[Language, Arg(help="the language spoken there, an ISO 639-1 code")],
            clearable=False,
        ),
        Option("capacity", "capacity", Capacity, True),
        Option(
            "days", "days", Annotated[DaySet, Arg(help="the workshop days it covers, e.g. 1-3")]
        ),
        Option(
            "venue",
            "venue",
            _text(
                LocalRoom.venue,
                "the address (in person) or video link (online); shown only to the room's "
                "members and organizers",
            ),
        ),
        Option(
            "signup",
            "signup_url",
            Annotated[
                Url,
                Arg(
                    column=LocalRoom.signup_url,
                    help="the room's own sign-up page, if learners also register there",
                ),
            ],
        ),
        Option(
            "who",
            "who_may_join",
            _text(LocalRoom.who_may_join, 'who may join, e.g. "UiO staff and students"'),
        ),
        Option(
            "public",
            "public",
            Annotated[bool, Arg(help="yes: list it on the workshop's public web page")],
            True,
        ),
    )
)
ROLE_LABELS = {MemberRole.HOST: "host", MemberRole.LEAD: "team lead"}
# The same roles as a sentence says them: "you are a host and a team lead".
A_ROLE = {MemberRole.HOST: "a host", MemberRole.LEAD: "a team lead",
          MemberRole.LEARNER: "a learner with a seat"}


def day_lines(room: LocalRoom, zone: ZoneInfo, indent: str) -> list[str]:
    """The days a room meets, each with its hours in a reader's zone."""
    covered = rooms.covered_days(room)
    return [
        f"{indent}Day {d.number}: {span(d.starts_at, d.ends_at, zone)}"
        for d in room.workshop.days
        if d.number in covered
    ]


def place(room: LocalRoom) -> str:
    """`Oslo, Norway (NO)`: where a room meets, its country named."""
    country = country_name(room.country) if room.country else None
    return ", ".join(escape(p) for p in (room.city, country) if p)


def headline(room: LocalRoom) -> str:
    where = "online" if room.mode is RoomMode.ONLINE else place(room)
    return f"**{room.code}** {escape(room.name)} · {escape(room.organization)} · {where}"


def seats_text(room: LocalRoom, taken: seats.Occupancy) -> str:
    if room.status is RoomStatus.WITHDRAWN:
        return "withdrawn"
    left = taken.seats_left(room)
    text = f"{left} seat{'s' if left != 1 else ''} left" if left else "full"
    return text + (f", {taken.waiting} waiting" if taken.waiting else "")


def name_of(person: Person) -> str:
    return code(person.user_id)


def leaders_text(members: dict[MemberRole, list[Person]]) -> str:
    """`Hosts and team leads: …`, the same wherever a room's team is shown."""
    found = team.leaders(members)
    named = [
        f"{name_of(leader.person)} ({' and '.join(ROLE_LABELS[r] for r in leader.roles)})"
        for leader in found
    ]
    return "Hosts and team leads: " + (", ".join(named) or "none")


def venue_label(room: LocalRoom) -> str:
    return "Video link" if room.mode is RoomMode.ONLINE else "Venue"


def notice_promoted(promoted: list[Person], room: LocalRoom, prefix: str) -> list[Notice]:
    return [
        Notice(
            p.user_id,
            f"Good news: a seat freed up in {room.code} {escape(room.name)}, and it is yours now. "
            f"{code(prefix + 'myroom')} shows the details; {code(prefix + 'leave')} gives it back.",
        )
        for p in promoted
    ]


async def managed_room(ctx: Context, room_code: RoomCode) -> tuple[LocalRoom, set[MemberRole]]:
    """The room, once the asker is known to be one of its hosts or leads, or an organizer."""
    room = await rooms.get(ctx.session, room_code)
    held = await team.require_manager(ctx.session, room, ctx.person, ctx.role is Role.ORGANIZER)
    return room, held


@commands.command(
    "rooms",
    help="Local rooms of the current workshop, 20 to a page; words search names, places and "
    "audiences (accents do not matter).",
    example="!rooms oslo mode=in-person lang=no",
    read_only=True,
)
async def find(
    ctx: Context,
    *words: Annotated[str, Arg(metavar="word")],
    mode: RoomMode | None = None,
    lang: Language | None = None,
    city: Annotated[str, Arg(column=LocalRoom.city)] | None = None,
    country: Country | None = None,
    page: Annotated[int, Arg(min=1, max=10_000)] = 1,
) -> str:
    workshop = await workshops.require_current(ctx.session)
    found = await rooms.search(ctx.session, workshop, words, mode, lang, city, country)
    if not found:
        filtered = words or mode or lang or city or country
        return (
            "No local rooms match."
            if filtered
            else f"No local rooms yet. Register one with {code(ctx.prefix + 'room add')}."
        )
    pages = (len(found) + PAGE_SIZE - 1) // PAGE_SIZE
    if page > pages:
        raise UsageError(f"there {'is' if pages == 1 else 'are'} only {pages} page(s) of rooms")
    shown = found[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    taken = await seats.occupancy(ctx.session, [r.id for r in shown])
    lines = [
        f"- {headline(r)} · {escape(r.language)} · {seats_text(r, taken[r.id])}" for r in shown
    ]
    title = f"**Local rooms of {code(workshop.slug)}** ({len(found)})"
    footer = [f"Details: {code(ctx.prefix + 'room R7')}; join one: {code(ctx.prefix + 'join R7')}"]
    if pages > 1:
        title = title[:-1] + f"; page {page} of {pages})"
        filters = (("mode", mode), ("lang", lang), ("city", city), ("country", country))
        typed = " ".join([*words, *(f'{k}="{v}"' if " " in v else f"{k}={v}"
                                    for k, v in filters if v)])
        more = code(f"{ctx.prefix}rooms {typed} page={page % pages + 1}".replace("  ", " "))
        footer.append(
            f"{'Next' if page < pages else 'Back to the first'}: {more}. "
            "Narrow it down with words or filters, e.g. "
            f"{code(ctx.prefix + 'rooms oslo mode=in-person lang=en')}."
        )
    return "\n".join([title, *lines, *footer])


@commands.command(
    "room", help="All details of one local room.", example="!room R7", read_only=True
)
async def show(ctx: Context, room_code: RoomCode) -> str:
    room = await rooms.get(ctx.session, room_code)
    taken = await seats.occupancy_of(ctx.session, room)
    members = await team.members(ctx.session, room)
    days = sorted(rooms.covered_days(room))
    meets = "online" if room.mode is RoomMode.ONLINE else "in person"
    where = place(room)
    lines = [
        f"**{room.code} · {escape(room.name)}** ({room.status.value})",
        f"- Organization: {escape(room.organization)}",
        f"- Where: {meets}" + (f", {where}" if where else ""),
    ]
    if room.venue:
        held = await seats.roles_in(ctx.session, room, ctx.person)
        if ctx.role is Role.ORGANIZER or held - {MemberRole.WAITLIST}:
            lines.append(f"- {venue_label(room)}: {escape(room.venue)}")
        else:
            lines.append(f"- {venue_label(room)}: shared with the room's members")
    lines += [
        f"- Language: {escape(language_name(room.language))}",
        f"- Seats: {room.capacity} in all, {seats_text(room, taken)}",
        f"- Days: {format_days(set(days)) or 'none'}",
        *day_lines(room, ctx.zone, "  - "),
    ]
    if room.who_may_join:
        lines.append(f"- Who may join: {escape(room.who_may_join)}")
    if room.signup_url:
        lines.append(f"- Its own sign-up page: {link(room.signup_url)}")
    lines.append(f"- {leaders_text(members)}")
    lines.append(f"- Listed publicly: {'yes' if room.public else 'no'}")
    lines.append(f"- Workshop: {code(room.workshop.slug)}")
    return ctx.showing_times("\n".join(lines))


@commands.command(
    "room add",
    help="Register a local room in the current workshop; you become its host and team lead.",
    example='!room add name="TU Delft classroom" org="TU Delft" mode=in-person city=Delft '
    'country=NL lang=en capacity=20 days=1-3 public=yes who="TU Delft staff and students"',
)
async def add(ctx: Context, **fields: Annotated[Any, ROOM_OPTIONS]) -> str:
    workshop = await workshops.require_current(ctx.session)
    most = ctx.settings.rooms.max_per_person
    try:
        room = await rooms.add(
            ctx.session, workshop, await ctx.me(), rooms.RoomFields(fields), ctx.now(),
            most=None if ctx.role is Role.ORGANIZER or not most else most,
        )
    except TooManyRooms as exc:
        withdraw = code(f"{ctx.prefix}room withdraw {exc.hosted[0]}")
        raise UserError(
            f"You host {len(exc.hosted)} rooms in {code(workshop.slug)} already "
            f"({', '.join(exc.hosted)}), the most one person may register, so no room was "
            f"added. Withdraw one first ({withdraw}), or ask an organizer to register it."
        ) from None
    join_it = code(f"{ctx.prefix}join {room.code}")
    add_lead = code(ctx.network.usage(f"{ctx.prefix}room lead add {room.code} {PERSON}"))
    return (
        f"Registered {room.code} {escape(room.name)} in {code(workshop.slug)}; "
        f"you are its host and team lead. Learners join with {join_it}. "
        f"Add co-leads with {add_lead}."
    )


@commands.command(
    "room edit",
    help="Change a room's details (its hosts and team leads, or an organizer).",
    example="!room edit R7 capacity=25 city=Delft venue=",
    role=Role.LEAD,
)
async def edit(
    ctx: Context,
    room_code: RoomCode,
    *,
    status: Annotated[
        Literal["open", "full"] | None,
        Arg(help="full: take no more learners for now (they join its waitlist)"),
    ] = None,
    **fields: Annotated[Any, ROOM_OPTIONS.for_changes()],
) -> Reply:
    room, held = await managed_room(ctx, room_code)
    if status:
        fields["status"] = RoomStatus(status)
    if not fields:
        raise UsageError("give at least one key=value to change")
    before = await changes.snapshot(ctx.session, room.workshop, room)
    was = changes.columns(room)
    edited = await rooms.edit(
        ctx.session,
        room,
        rooms.RoomFields(fields),
        held,
        ctx.role is Role.ORGANIZER,
        ctx.now(),
    )
    keys = {o.field: o.key for o in ROOM_OPTIONS.options} | {"status": "status"}
    differ = changes.changed(was, room)
    done = sorted(keys[f] for f in fields if f in differ)
    same = _and(sorted(keys[f] for f in fields if f not in differ))
    if not done:
        text = f"Nothing changed: {room.code} already has the {same} you gave."
    else:
        text = f"{room.code} changed: {', '.join(done)}" + (
            f"; it already had the {same} you gave." if same else ".")
    if edited.cleared:
        wanted = "the video link" if room.mode is RoomMode.ONLINE else "the address"
        text += (
            f" It is {room.mode.value} now, so its {' and '.join(edited.cleared)} "
            f"no longer applied and {'were' if len(edited.cleared) > 1 else 'was'} cleared. "
            f"Give {wanted} with {code(f'{ctx.prefix}room edit {room.code} venue=…')}."
        )
    if edited.promoted:
        text += f" {len(edited.promoted)} waiting learner(s) got a seat and were told."
    changed = change_notices(ctx, before, await changes.again(ctx.session, before))
    return Reply(
        text + told(changed),
        notices=(*notice_promoted(edited.promoted, room, ctx.prefix), *changed),
    )


def _and(words: list[str]) -> str:
    """`capacity`, `capacity and days`, `city, capacity and days`."""
    return " and ".join(filter(None, (", ".join(words[:-1]), *words[-1:])))


@commands.command(
    "room withdraw",
    help="Withdraw a room; its learners and waiting learners are told.",
    example="!room withdraw R7",
    role=Role.LEAD,
)
async def withdraw(ctx: Context, room_code: RoomCode) -> Reply:
    room, _ = await managed_room(ctx, room_code)
    told = await rooms.withdraw(ctx.session, room, ctx.now())
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
    "rooms export",
    help="The publicly listed rooms as a file for the workshop's web page.",
    example="!rooms export md",
    role=Role.ORGANIZER,
    read_only=True,
)
async def export(ctx: Context, format: Literal["md", "json", "csv"] = "md") -> Reply:
    workshop = await workshops.require_current(ctx.session)
    entries = await listing.public_rooms(ctx.session, workshop)
    data = listing.render(entries, format)
    return Reply(
        f"{len(entries)} publicly listed room(s) of {code(workshop.slug)}.",
        attachment=Attachment(
            f"{workshop.slug}-rooms.{format}", listing.CONTENT_TYPES[format], data.encode()
        ),
    )
