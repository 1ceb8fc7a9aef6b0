"""Rights: every command, typed by every kind of person, against one room (R1).

The table has a row for every command the registry declares (a new command fails
`test_every_command_has_a_row` until it gets one): what is typed, and who may do
it. For each person and command the test checks the answer (a refusal is a
`NotAllowed`, whose message is the answer; anything else is not a refusal and
never an internal error) and, on a refusal, that no table changed (the event's
claim and the refusal's own outbox row aside). After an allowed command that
writes, the database is put back to the prepared one.

Roles come from user ids, never display names: the stranger's display name is
set to the organizer's user id, and grants nothing.
"""

from __future__ import annotations

import itertools
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import update

from bot.commands.registry import build_registry
from bot.db.models import Person
from bot.services import errors
from tests.chat import ORGANIZER, Chat
from tests.tables import dump

HOST, LEAD, LEARNER = "@host:uni.no", "@lead:uni.no", "@learner:uni.no"
STRANGER, OTHER_HOST, GONE_HOST = "@stranger:uni.no", "@other:uni.no", "@gone:uni.no"
PEOPLE = {
    "organizer": ORGANIZER, "host": HOST, "lead": LEAD, "learner": LEARNER,
    "stranger": STRANGER, "host of another room": OTHER_HOST,
    "host of a withdrawn room": GONE_HOST,
}
ALL = frozenset(PEOPLE)
ORG = frozenset({"organizer"})
R1_TEAM = frozenset({"organizer", "host", "lead"})
# Only the R1 team itself (an organizer is on no room's team).
OWN_TEAM = frozenset({"host", "lead"})
LEADS = frozenset({"organizer", "host", "lead", "host of another room"})

# command -> (what is typed, who is not refused)
TABLE: dict[str, tuple[str, frozenset[str]]] = {
    "help": ("!help", ALL),
    "tz": ("!tz Europe/Oslo", ALL),
    "workshops": ("!workshops", ALL),
    "workshop": ("!workshop 2026-spring", ALL),
    "workshop add": ("!workshop add 2026-autumn title=Autumn tz=Europe/Oslo days=2026-09-15 "
                     "time=10:00-15:00", ORG),
    "workshop use": ("!workshop use 2026-spring", ORG),
    "workshop edit": ("!workshop edit 2026-spring title=Renamed", ORG),
    "workshop archive": ("!workshop archive 2026-spring", ORG),
    "stats": ("!stats", ORG),
    "rooms": ("!rooms", ALL),
    "room": ("!room R1", ALL),
    "room add": ("!room add name=New org=Org mode=online lang=en capacity=5 public=yes", ALL),
    "room edit": ("!room edit R1 name=Renamed", R1_TEAM),
    "room withdraw": ("!room withdraw R1", R1_TEAM),
    "rooms export": ("!rooms export csv", ORG),
    "join": ("!join R1", ALL),
    "leave": ("!leave", ALL),
    "myroom": ("!myroom", ALL),
    "room roster": ("!room roster R1", R1_TEAM),
    "room lead add": ("!room lead add R1 @new:uni.no", R1_TEAM),
    "room lead remove": ("!room lead remove R1 @lead:uni.no", R1_TEAM),
    "room step-down": ("!room step-down R1", R1_TEAM),
    "onboarding": ("!onboarding", ALL),
    "onboarding ics": ("!onboarding ics", ALL),
    "onboarding add": ("!onboarding add 2026-03-11 14:00", ORG),
    "onboarding edit": ("!onboarding edit O1 capacity=12", ORG),
    "onboarding remove": ("!onboarding remove O1", ORG),
    "onboarding join": ("!onboarding join O1", LEADS),
    "onboarding leave": ("!onboarding leave", LEADS),
    "reminders": ("!reminders off", ALL),
    "reminders pending": ("!reminders pending", ORG),
    "reminders missed": ("!reminders missed", ORG),
    "announce": ("!announce all Hello <b>all</b>", ORG),
    "deliveries": ("!deliveries", ORG),
    "feedback": ("!feedback daily", ALL),
    # Team leads are answered what of their rooms' feedback is released (none here).
    "feedback summary": ("!feedback summary", LEADS),
    "feedback export": ("!feedback export", ORG),
    "attendance": ("!attendance 1 day=1 room=R1", R1_TEAM),
    "attendance export": ("!attendance export", ORG),
    "status": ("!status done room=R1", R1_TEAM),
    "status reset": ("!status reset", ORG),
    "forget-me": ("!forget-me", ALL),
}
# Rows every command leaves, refused or not: its event's claim and its answer.
CONVERSATION = ("handled_event", "outbox_message")


def test_every_command_has_a_row() -> None:
    declared = {command.name for command in build_registry().commands}
    assert declared - set(TABLE) == set(), "add these commands to TABLE"
    assert set(TABLE) - declared == set(), "these commands no longer exist"


async def prepare(directory: Path) -> None:
    """The workshop, R1 (host, lead, learner), R2 (another host), R3 (withdrawn), O1."""
    chat = await Chat.open(directory)
    try:
        for who, text in [
            (ORGANIZER, "!workshop add 2026-spring title=Spring tz=Europe/Oslo "
                        "days=2026-03-17,2026-03-18 time=10:00-15:00"),
            (ORGANIZER, "!onboarding add 2026-03-10 14:00 capacity=10"),
            (HOST, "!room add name=Oslo org=UiO mode=online lang=no capacity=5 public=yes"),
            (HOST, f"!room lead add R1 {LEAD}"),
            (LEARNER, "!join R1"),
            (OTHER_HOST, "!room add name=Bergen org=UiB mode=online lang=no capacity=5 "
                         "public=yes"),
            (GONE_HOST, "!room add name=Gone org=X mode=online lang=no capacity=5 public=no"),
            (GONE_HOST, "!room withdraw R3"),
            (STRANGER, "!tz Europe/Oslo"),
        ]:
            answer = await chat.say(who, text)
            assert answer.reply and "⚠️" not in answer.reply, (text, answer.reply)
        async with chat.app.sessions() as session, session.begin():
            # A display name that reads like a right grants nothing.
            await session.execute(update(Person).where(Person.user_id == STRANGER)
                                  .values(display_name=ORGANIZER))
    finally:
        await chat.close()


@pytest.fixture(scope="module")
def prepared(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import asyncio

    directory = tmp_path_factory.mktemp("rights")
    asyncio.run(prepare(directory))
    return directory / "bot.db"


@pytest.fixture
def refusals(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The messages of every NotAllowed raised while the test runs."""
    raised: list[str] = []
    original = errors.NotAllowed.__init__

    def record(self: errors.NotAllowed, message: str) -> None:
        raised.append(message)
        original(self, message)

    monkeypatch.setattr(errors.NotAllowed, "__init__", record)
    return raised


class Fresh:
    """A chat on a copy of the prepared database, copied again on request."""

    def __init__(self, prepared: Path, directory: Path) -> None:
        self.prepared = prepared
        self.directory = directory
        self.chat: Chat | None = None

    async def open(self) -> Chat:
        if self.chat is not None:
            await self.chat.close()
        for leftover in self.directory.glob("bot.db*"):
            leftover.unlink()
        shutil.copy(self.prepared, self.directory / "bot.db")
        self.chat = await Chat.open(self.directory)
        return self.chat

    async def close(self) -> None:
        if self.chat is not None:
            await self.chat.close()


@pytest.fixture
async def fresh(prepared: Path, tmp_path: Path) -> AsyncIterator[Fresh]:
    opened = Fresh(prepared, tmp_path)
    yield opened
    await opened.close()


@pytest.mark.parametrize("role", list(PEOPLE))
async def test_every_command_for_every_role(
    role: str, fresh: Fresh, refusals: list[str]
) -> None:
    who = PEOPLE[role]
    registry = build_registry()
    chat = await fresh.open()
    events = itertools.count()
    wrong: list[str] = []
    for name, (text, allowed) in TABLE.items():
        before = await dump(chat.app.sessions, skip=CONVERSATION)
        refusals.clear()
        answer = await chat.say(who, text, event_id=f"$rights-{next(events)}")
        refused = bool(refusals) and answer.reply == refusals[-1]
        assert "went wrong" not in answer.reply, (name, answer.reply)
        if refused == (role in allowed):
            wrong.append(f"{text!r}: {'refused' if refused else 'allowed'}: {answer.reply!r}")
        if refused:
            assert await dump(chat.app.sessions, skip=CONVERSATION) == before, text
        else:
            command = registry.get(name)
            assert command is not None
            if not command.read_only:
                chat = await fresh.open()
    assert wrong == [], "\n".join(wrong)
