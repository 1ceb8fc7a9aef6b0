"""`!status`: a room's status during an exercise, and the organizers' board of them."""

from __future__ import annotations

from typing import Annotated, Literal

from bot.commands.context import Context
from bot.commands.framework import Arg, CommandSet, Rest, UsageError
from bot.db.models import ExerciseState, Workshop
from bot.services import chats, rooms, status, workshops
from bot.services.roles import Role
from bot.text import code
from bot.values import RoomCode

commands = CommandSet()


@commands.command(
    "status",
    help="During a workshop day, say where your room is in the exercise: need-help (with a "
    "note), working or done; the organizers' board shows every room. Alone, in a direct "
    "chat: the board. room= names the room when you lead several (in a room's own chat, "
    "that room).",
    example="!status need-help the projector is off",
    role=Role.LEAD,
)
async def set_status(
    ctx: Context,
    state: Literal["need-help", "working", "done"] | None = None,
    note: Annotated[str, Arg(metavar="note"), Rest] = "",
    *,
    room: RoomCode | None = None,
) -> str:
    workshop = await workshops.require_current(ctx.session)
    if state is None:  # a note or a room= alone reads as the state, and is refused
        return await _board(ctx, workshop)
    note = " ".join(note.split())  # one line of the board
    if len(note) > status.NOTE_MAX:
        raise UsageError(f"a note is at most {status.NOTE_MAX} characters; this one has "
                         f"{len(note)}")
    # Said in a local room's chat: that room, unless room= names another.
    named = (await rooms.get(ctx.session, room) if room is not None else
             await chats.room_in(ctx.session, ctx.message.network, ctx.message.channel))
    led = await status.led_rooms(ctx.session, workshop, ctx.person)
    try:
        chosen = status.choose_room(led, named, ctx.role is Role.ORGANIZER)
        day = await status.set_status(ctx.session, ctx.settings, chosen, ExerciseState(state),
                                      note or None, ctx.now(), ctx.message.network)
    except status.WhichRoom as exc:
        raise UsageError(f"which room? You lead {', '.join(exc.codes)}: add room=R7"
                         if exc.codes else "name the room with room=R7") from None
    except status.NotAWorkshopDay as exc:  # NotYourRoom is a right: worded as one
        raise UsageError(exc.message) from None
    return (f"{chosen.code} is now {status.LABELS[ExerciseState(state)]} on day {day}; "
            "the organizers' board shows it.")


async def _board(ctx: Context, workshop: Workshop) -> str:
    if not ctx.message.is_direct:
        return (f"The board is shown in a direct chat: send me {code(ctx.prefix + 'status')} "
                "there.")
    day = status.require_today(workshop, ctx.now())
    return await status.board_text(ctx.session, workshop, day, ctx.now())


@commands.command(
    "status reset",
    help="Clear every room's status today, when a new exercise starts; the board shows it.",
    example="!status reset",
    role=Role.ORGANIZER,
)
async def reset(ctx: Context) -> str:
    workshop = await workshops.require_current(ctx.session)
    day, cleared = await status.reset(ctx.session, ctx.settings, workshop, ctx.now(),
                                      ctx.message.network)
    return f"Cleared {cleared} room {'status' if cleared == 1 else 'statuses'} of day {day}."
