"""A service's refusal carries the facts; the answer names the commands with the
bot's own prefix (here `.`, so that nothing can come from a hard-coded `!`)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path

import pytest

from bot.commands.wording import refusal, word
from bot.config import BotSettings
from bot.services.errors import (
    BelowSeated,
    BelowSignedUp,
    DaysPassed,
    LastLead,
    NoCurrentWorkshop,
    NoSuchRoom,
    NoSuchSession,
    NotAllowed,
    RoomWithdrawn,
    UserError,
    WithdrawInstead,
    WorkshopEnded,
)
from tests.chat import ORGANIZER, Chat
from tests.unit.test_rooms import ANA, HOST, LEAD, ROOM

WORKSHOP = (
    ".workshop add 2026-spring title=Spring tz=Europe/Oslo "
    "days=2026-03-17,2026-03-18,2026-03-19 time=10:00-15:00"
)

def test_a_person_to_name_is_written_as_the_askers_network_writes_one() -> None:
    on_zulip = refusal(LastLead("R1"), ".", "zulip")
    assert "with `.room lead add R1 @**Name**`" in on_zulip and "@user:server" not in on_zulip
    assert "`.room lead add R1 @user:server`" in refusal(LastLead("R1"), ".", "matrix")


WORDED = [
    (NoCurrentWorkshop(),
     "No workshop is set up yet. An organizer adds one with `.workshop add`."),
    (NoSuchRoom("R10"), "There is no room R10. `.rooms` lists the rooms."),
    (RoomWithdrawn("R1"), "R1 was withdrawn. `.rooms` lists the open rooms."),
    (WithdrawInstead("R1"), "To withdraw R1, use `.room withdraw R1`."),
    (LastLead("R1"),
     "You are the last host or team lead of R1, so nobody would run it. Add someone first "
     "with `.room lead add R1 @user:server`, or withdraw the room with `.room withdraw R1`."),
    (NoSuchSession(3, "2026-spring"),
     "There is no onboarding session O3 in `2026-spring`. `.onboarding` lists them."),
    (WorkshopEnded("2026-spring", date(2026, 3, 19)),
     "The workshop `2026-spring` has ended (its last day was Thu 19 Mar 2026): seats, "
     "waitlist places and rooms can no longer be taken or added. `.workshops` lists the "
     "workshops."),
    (DaysPassed(((1, date(2026, 3, 1)), (2, date(2026, 3, 2))), False, date(2026, 3, 3),
                "Asia/Kolkata"),
     "Not created: day 1 (Sun 01 Mar 2026), day 2 (Mon 02 Mar 2026) have passed, and a "
     "workshop is added before its first day. Today is Tue 03 Mar 2026 in Asia/Kolkata. "
     "Give `.workshop add` days from today on (is the year right?)."),
]


@pytest.mark.parametrize(("error", "answer"), WORDED, ids=lambda e: type(e).__name__)
def test_each_typed_error_is_worded_with_the_configured_prefix(
    error: UserError, answer: str
) -> None:
    assert refusal(error, ".", "matrix") == answer
    assert "`.rooms`" not in word(error, "?") and "`?" in word(error, "?")
    # Unworded (a CLI, a web page), the error says what went wrong, naming no command.
    assert "`" not in error.message and "." not in error.message[:-1]


def test_the_capacity_rule_is_worded_per_kind_of_seat() -> None:
    assert word(BelowSeated("R1", 3, 2), ".") == (
        "R1 has 3 learners with a seat, so its capacity cannot be less than 3 "
        "(capacity=2 was asked)."
    )
    assert word(BelowSeated("R12", 1, 0), ".").startswith("R12 has 1 learner with a seat")
    assert word(BelowSignedUp("O1", 2, 1), ".") == (
        "2 are signed up for O1, so its capacity cannot be less than 2 (capacity=1 was asked)."
    )
    assert word(BelowSignedUp("O1", 1, 0), ".").startswith("1 is signed up for O1,")


def test_an_error_without_wording_of_its_own_is_answered_with_its_message() -> None:
    assert word(UserError("Workshop 2026-spring is finished."), ".") == (
        "Workshop 2026-spring is finished."
    )
    assert word(NotAllowed("Only R1's hosts may do that."), ".") == "Only R1's hosts may do that."


@pytest.fixture
async def dotted(tmp_path: Path) -> AsyncIterator[Chat]:
    chat = await Chat.open(tmp_path, bot=BotSettings(organizers=(ORGANIZER,), prefix="."))
    try:
        yield chat
    finally:
        await chat.close()


async def test_the_services_refusals_reach_people_with_the_prefix(dotted: Chat) -> None:
    chat = dotted
    assert (await chat.say(ANA, ".rooms")).reply == (
        "No workshop is set up yet. An organizer adds one with `.workshop add`."
    )
    await chat.say(ORGANIZER, WORKSHOP)
    assert "Registered R1" in await chat.say(HOST, ROOM.replace("!", ".", 1))
    # R1 exists: R10 is not taken for it.
    assert (await chat.say(ANA, ".join R10")).reply == (
        "There is no room R10. `.rooms` lists the rooms."
    )
    alone = (await chat.say(HOST, ".room step-down R1")).reply
    assert "`.room lead add R1 @user:server`" in alone and "`.room withdraw R1`" in alone
    assert (await chat.say(ORGANIZER, ".onboarding edit O1 time=15:00")).reply == (
        "There is no onboarding session O1 in `2026-spring`. `.onboarding` lists them."
    )
    await chat.say(ORGANIZER, ".onboarding add 2026-03-10 14:00 capacity=5")
    await chat.say(HOST, f".room lead add R1 {LEAD}")
    await chat.say(HOST, ".onboarding join O1")
    await chat.say(LEAD, ".onboarding join O1")
    assert (await chat.say(ORGANIZER, ".onboarding edit O1 capacity=1")).reply == (
        "2 are signed up for O1, so its capacity cannot be less than 2 (capacity=1 was asked)."
    )
    await chat.say(ORGANIZER, ".room withdraw R1")
    assert (await chat.say(ANA, ".join R1")).reply == (
        "R1 was withdrawn. `.rooms` lists the open rooms."
    )


async def test_a_refusal_inside_a_conversation_is_worded_and_keeps_it_open(
    dotted: Chat,
) -> None:
    chat = dotted
    await chat.say(ORGANIZER, WORKSHOP)
    await chat.say(HOST, ROOM.replace("!", ".", 1))
    await chat.say(ANA, ".join R1")
    assert "I sent you a direct message" in await chat.say(ANA, ".feedback daily day=1")
    refused = (await chat.say(ANA, ".join R10", direct=True)).reply
    assert refused.startswith("There is no room R10. `.rooms` lists the rooms.\n\n(Still open:")


async def test_change_notices_name_the_commands_with_the_prefix(dotted: Chat) -> None:
    chat = dotted
    await chat.say(ORGANIZER, WORKSHOP)
    await chat.say(HOST, ROOM.replace("!", ".", 1))
    await chat.say(ANA, ".join R1")  # Ana has set no zone
    answer = await chat.say(ORGANIZER, ".workshop edit 2026-spring day=2 time=13:00-16:00")
    (to_ana,) = answer.notices[ANA]
    assert "`.myroom` shows your room; `.workshop 2026-spring` shows all days." in to_ana
    assert "set it with `.tz Area/City`." in to_ana
    assert "!" not in to_ana
