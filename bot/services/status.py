"""The live status board: rooms' statuses on a workshop day, and the board message.

A team lead or host says where their room is in the exercise (need help,
working, done) on a workshop day: today in the workshop's own zone, on a day the
room meets. Each change rewrites the day's board, one message per workshop day
on each network that shows it (bot/config.py `board_networks`): posted once,
then edited in place, the edits coalesced by the outbox (bot/outbox/edits.py).
The board's rows are written in the change's transaction and put aside for the
dispatcher to hand on with the answer.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import networks
from bot.config import Settings
from bot.db.models import (
    ExerciseState,
    LocalRoom,
    Membership,
    Person,
    RoomDayStatus,
    RoomStatus,
    StatusBoard,
    Workshop,
    WorkshopDay,
)
from bot.messages import BOARD_ROOM
from bot.outbox import edits, rows
from bot.services.errors import NotAllowed, UserError
from bot.services.rooms import covered_days
from bot.services.seats import STAFF
from bot.text import escape

# The longest note a status may carry (one line of the board).
NOTE_MAX = 200

LABELS = {
    ExerciseState.NEED_HELP: "🆘 need help",
    ExerciseState.WORKING: "🛠️ working",
    ExerciseState.DONE: "✅ done",
}


class NotAWorkshopDay(UserError):
    """Today (in the workshop's zone) is not one of its days, or not one the room meets."""

    def __init__(self, today: str, room: str | None = None) -> None:
        where = f" for {room}" if room else ""
        super().__init__(f"Today ({today} in the workshop's zone) is not a workshop day{where}: "
                         "a status is for the day under way.")


class WhichRoom(UserError):
    """The asker leads several rooms (or none, as an organizer) and named none."""

    def __init__(self, codes: Sequence[str]) -> None:
        super().__init__("Which room? " + (f"You lead {', '.join(codes)}." if codes
                                           else "You lead none: name one."))
        self.codes = tuple(codes)


class NotYourRoom(NotAllowed):
    """A lead named a room they do not lead (R1 when they lead R10): a right they lack."""

    def __init__(self, code: str, codes: Sequence[str]) -> None:
        super().__init__(f"You are not a host or team lead of {code}; you lead "
                         + (", ".join(codes) or "no room of this workshop") + ".")
        self.code = code


def board_networks(settings: Settings, asker: str) -> tuple[str, ...]:
    """The networks that show the board: those whose section names a board room or
    channel, and the asker's own when no section configures it (the console, which
    prints it)."""
    found = [network.name for network, section in networks.configured(settings)
             if network.board(section)]
    if networks.get(asker).section is None and asker not in found:
        found.append(asker)
    return tuple(found)


def today(workshop: Workshop, now: datetime) -> WorkshopDay | None:
    """The workshop's day under way: its date in the workshop's zone is today's there."""
    local = now.astimezone(ZoneInfo(workshop.timezone)).date()
    return next((day for day in workshop.days if day.local_date == local), None)


def require_today(workshop: Workshop, now: datetime, room: LocalRoom | None = None) -> int:
    """Today's day number; NotAWorkshopDay when today is none (for the room)."""
    local = now.astimezone(ZoneInfo(workshop.timezone)).date()
    day = today(workshop, now)
    if day is None:
        raise NotAWorkshopDay(local.isoformat())
    if room is not None and day.number not in covered_days(room):
        raise NotAWorkshopDay(local.isoformat(), room.code)
    return day.number


async def led_rooms(
    session: AsyncSession, workshop: Workshop, person: Person | None
) -> list[LocalRoom]:
    """The rooms of the workshop, not withdrawn, the person hosts or leads."""
    if person is None:
        return []
    found = await session.scalars(
        select(LocalRoom).join(Membership, Membership.room_id == LocalRoom.id)
        .where(LocalRoom.workshop_id == workshop.id, LocalRoom.status != RoomStatus.WITHDRAWN,
               Membership.person_id == person.id, Membership.role.in_(STAFF))
        .order_by(LocalRoom.id).distinct())
    return list(found)


def choose_room(led: Sequence[LocalRoom], named: LocalRoom | None, organizer: bool) -> LocalRoom:
    """The room a status is about: the one named (which the asker must lead unless an
    organizer), else the only one they lead."""
    codes = [room.code for room in led]
    if named is not None:
        if organizer or any(room.id == named.id for room in led):
            return named
        raise NotYourRoom(named.code, codes)
    if len(led) == 1:
        return led[0]
    raise WhichRoom(codes)


async def set_status(
    session: AsyncSession, settings: Settings, room: LocalRoom, state: ExerciseState,
    note: str | None, now: datetime, network: str,
) -> int:
    """Record the room's status today; the day's number. The boards follow."""
    day = require_today(room.workshop, now, room)
    await _lock_boards(session, settings, room.workshop, day, network, now)
    found = await session.scalar(
        select(RoomDayStatus).where(RoomDayStatus.room_id == room.id, RoomDayStatus.day == day))
    if found is None:
        session.add(RoomDayStatus(room_id=room.id, workshop_id=room.workshop_id, day=day,
                                  state=state, note=note, changed_at=now))
    else:
        found.state, found.note, found.changed_at = state, note, now
    await session.flush()
    await _refresh(session, settings, room.workshop, day, network, now)
    return day


async def reset(
    session: AsyncSession, settings: Settings, workshop: Workshop, now: datetime, network: str,
) -> tuple[int, int]:
    """Clear every room's status today (a new exercise starts): the day's number and
    how many statuses were cleared."""
    day = require_today(workshop, now)
    await _lock_boards(session, settings, workshop, day, network, now)
    result = await session.execute(delete(RoomDayStatus).where(
        RoomDayStatus.workshop_id == workshop.id, RoomDayStatus.day == day))
    await _refresh(session, settings, workshop, day, network, now)
    return day, int(getattr(result, "rowcount", 0) or 0)


async def board_text(session: AsyncSession, workshop: Workshop, day: int, now: datetime) -> str:
    """The board of a workshop day: one line per room meeting that day."""
    statuses = {status.room_id: status for status in await session.scalars(
        select(RoomDayStatus).where(RoomDayStatus.workshop_id == workshop.id,
                                    RoomDayStatus.day == day))}
    found = await session.scalars(
        select(LocalRoom).where(LocalRoom.workshop_id == workshop.id,
                                LocalRoom.status != RoomStatus.WITHDRAWN)
        .order_by(LocalRoom.id))
    meeting = [room for room in found if day in covered_days(room)]
    zone = ZoneInfo(workshop.timezone)
    counts = {state: sum(1 for s in statuses.values() if s.state is state)
              for state in ExerciseState}
    lines = [
        f"**Status board · {escape(workshop.title)} · day {day}** "
        f"(as of {now.astimezone(zone):%H:%M} {workshop.timezone})",
        " · ".join(f"{LABELS[state]}: {counts[state]}" for state in ExerciseState)
        + f" · no status: {len(meeting) - sum(counts.values())}",
    ]
    for room in meeting:
        status = statuses.get(room.id)
        line = f"- **{room.code}** {escape(room.name)}: "
        if status is None:
            line += "no status yet"
        else:
            line += f"{LABELS[status.state]}, {ago(now - status.changed_at)}"
            if status.note:
                line += f" · “{escape(status.note)}”"
        lines.append(line)
    if not meeting:
        lines.append("No room meets today.")
    return "\n".join(lines)


def ago(elapsed: timedelta) -> str:
    minutes = max(0, int(elapsed.total_seconds() // 60))
    if minutes < 1:
        return "just now"
    if minutes < 60:
        return f"{minutes} min ago"
    return f"{minutes // 60} h {minutes % 60:02d} min ago"


def board_key(network: str, workshop_id: int, day: int) -> str:
    return f"status-board:{network}:w{workshop_id}:day{day}"


async def _lock_boards(
    session: AsyncSession, settings: Settings, workshop: Workshop, day: int, network: str,
    now: datetime,
) -> None:
    """The day's board rows, made where missing and locked before the statuses are
    read (PostgreSQL): two changes at once each write a board that shows both."""
    for shown_on in board_networks(settings, network):
        board = await session.scalar(
            select(StatusBoard).where(StatusBoard.workshop_id == workshop.id,
                                      StatusBoard.day == day, StatusBoard.network == shown_on)
            .with_for_update())
        if board is None:
            session.add(StatusBoard(workshop_id=workshop.id, day=day, network=shown_on,
                                    post_key=board_key(shown_on, workshop.id, day),
                                    created_at=now))
    await session.flush()


async def _refresh(
    session: AsyncSession, settings: Settings, workshop: Workshop, day: int, network: str,
    now: datetime,
) -> None:
    """Post or edit the day's board on each network showing it."""
    text = await board_text(session, workshop, day, now)
    gap = timedelta(seconds=settings.status.edit_interval_seconds)
    boards = await session.scalars(select(StatusBoard).where(
        StatusBoard.workshop_id == workshop.id, StatusBoard.day == day,
        StatusBoard.network.in_(board_networks(settings, network))))
    for board in boards:
        written = await edits.post_or_edit(
            session, key=board.post_key, network=board.network, room=BOARD_ROOM, text=text,
            reference="status", now=now, gap=gap)
        if written.message.editable and written.message.key is not None:
            board.post_key = written.message.key  # posted anew: later texts edit that one
        rows.put_aside(session, [written])
