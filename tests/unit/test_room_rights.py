"""Local rooms: who sees what (venue links), who leads a room, and who may manage it."""

from __future__ import annotations

import re
from pathlib import Path

from bot.config import BotSettings
from tests.chat import ORGANIZER, Chat
from tests.unit.test_rooms import ANA, BO, CY, HOST, LEAD, ROOM, STRANGER, memberships

WORKSHOP = (
    "!workshop add 2026-spring title=Spring tz=Europe/Oslo "
    "days=2026-03-17,2026-03-18,2026-03-19 time=10:00-15:00"
)
SECRET = "https://meet.example.org/r1?pwd=hunter2"


async def test_the_video_link_is_shown_only_to_members_and_organizers(room: Chat) -> None:
    await room.say(HOST, f"!room edit R1 mode=online venue={SECRET}")
    await room.say(ANA, "!join R1")  # the one seat
    await room.say(BO, "!join R1")  # waiting
    for who in (HOST, ANA, ORGANIZER):
        assert f"Video link: {SECRET}" in await room.say(who, "!room R1"), who
    for who in (BO, STRANGER):
        shown = await room.say(who, "!room R1")
        assert "hunter2" not in shown.reply, who
        assert "Video link: shared with the room's members" in shown, who
    assert "hunter2" in (await room.say(ANA, "!myroom")).reply
    waiting = await room.say(BO, "!myroom")
    assert "hunter2" not in waiting.reply
    assert "Video link: shared with you once you have a seat" in waiting


async def test_signup_names_the_rooms_own_sign_up_page_and_help_explains_fields(
    room: Chat,
) -> None:
    answer = await room.say(HOST, "!room edit R1 signup=https://uio.no/signup")
    assert "R1 changed: signup." in answer
    assert "Its own sign-up page: <https://uio.no/signup>" in await room.say(ANA, "!room R1")
    assert "link= is not an option here" in await room.say(HOST, "!room edit R1 link=https://x.org")
    explained = await room.say(ANA, "!help room add")
    for fact in (
        "`signup=https://…`: the room's own sign-up page",
        "shown only to the room's members and organizers",
        "`capacity=capacity`: seats for learners",
    ):
        assert fact in explained, fact


async def test_hosts_of_a_withdrawn_room_are_no_longer_leads(room: Chat) -> None:
    assert "!room roster" in await room.say(HOST, "!help")
    await room.say(HOST, "!room withdraw R1")
    assert "!room roster" not in await room.say(HOST, "!help")
    refused = await room.say(HOST, "!room roster R1")
    assert "is for a team lead or host of a local room" in refused


async def test_rights_on_a_room_follow_its_own_workshop_not_the_current_one(room: Chat) -> None:
    await room.say(
        ORGANIZER,
        "!workshop add 2026-autumn title=Autumn tz=Europe/Oslo days=2026-10-06 time=10:00-15:00",
    )
    assert "now `2026-autumn`" in await room.say(ORGANIZER, "!workshop use 2026-autumn")
    assert "R1 changed: capacity" in await room.say(HOST, "!room edit R1 capacity=4")
    assert "Roster of R1" in await room.say(HOST, "!room roster R1")
    await room.say(ORGANIZER, "!workshop edit 2026-spring state=finished")
    assert "is for a team lead or host" in await room.say(HOST, "!room roster R1")


async def test_a_lead_can_step_down_unless_nobody_would_be_left(room: Chat) -> None:
    alone = await room.say(HOST, "!room step-down R1")
    assert "You are the last host or team lead of R1" in alone
    assert "`!room lead add R1 @user:server`" in alone
    await room.say(HOST, f"!room lead add R1 {LEAD}")
    assert "You are no longer a host and a team lead of R1 Oslo classroom." in await room.say(
        HOST, "!room step-down R1"
    )
    assert await memberships(room) == [("R1", LEAD, "lead")]
    assert "Hosts and team leads: `@lead:uni.no` (team lead)" in await room.say(ANA, "!room R1")
    assert "is for a team lead or host" in await room.say(HOST, "!room roster R1")


async def test_a_removed_lead_is_told_and_one_stepping_down_is_not(room: Chat) -> None:
    await room.say(HOST, f"!room lead add R1 {LEAD}")
    removed = await room.say(HOST, f"!room lead remove R1 {LEAD}")
    assert "`@lead:uni.no` is no longer a team lead of R1." in removed
    assert removed.notices[LEAD] == [
        "`@host:uni.no` removed you as a team lead of the local room R1 Oslo classroom."
    ]
    await room.say(HOST, f"!room lead add R1 {LEAD}")
    own = await room.say(LEAD, f"!room lead remove R1 {LEAD}")
    assert "You are no longer a team lead of R1." in own
    assert own.notices == {}


async def test_a_seated_learner_made_lead_is_told_what_happened_to_the_seat(room: Chat) -> None:
    await room.say(ANA, "!join R1")
    await room.say(BO, "!join R1")
    await room.say(CY, "!join R1")
    added = await room.say(HOST, f"!room lead add R1 {ANA}")
    told = added.notices[ANA][0]
    assert "You are now a team lead of the local room R1 Oslo classroom." in told
    assert "the seat you had there is given up and went to the next learner" in told
    assert "it is yours now" in added.notices[BO][0]
    waiting = await room.say(HOST, f"!room lead add R1 {CY}")
    assert "You are no longer on its waitlist" in waiting.notices[CY][0]


async def test_the_room_card_and_the_roster_agree_on_who_leads(room: Chat) -> None:
    await room.say(HOST, f"!room lead add R1 {LEAD}")
    await room.say(HOST, f"!room lead remove R1 {HOST}")  # still its host

    def leaders(text: str) -> str:
        found = re.search(r"Hosts and team leads: .*", text)
        assert found is not None, text
        return found.group()

    card = leaders((await room.say(ANA, "!room R1")).reply)
    assert card == leaders((await room.say(LEAD, "!room roster R1")).reply)
    assert card == leaders((await room.say(ORGANIZER, "!room roster R1")).reply)
    assert card == "Hosts and team leads: `@host:uni.no` (host), `@lead:uni.no` (team lead)"


async def test_capacity_below_the_seated_learners_is_refused(room: Chat) -> None:
    await room.say(HOST, "!room edit R1 capacity=3")
    for who in (ANA, BO, CY):
        await room.say(who, "!join R1")
    refused = await room.say(HOST, "!room edit R1 capacity=2")
    assert "R1 has 3 learners with a seat, so its capacity cannot be less than 3" in refused
    assert "Seats: 3 in all" in await room.say(HOST, "!room R1")
    # As many seats as learners seated is not refused (here: the capacity it has).
    assert "Nothing changed: R1 already has the capacity you gave." in await room.say(
        HOST, "!room edit R1 capacity=3")


async def test_a_host_who_types_leave_is_shown_how_to_step_down(room: Chat) -> None:
    answer = await room.say(HOST, "!leave")
    assert "You are a host or team lead of R1, not a learner there." in answer
    assert "`!room step-down R1`" in answer


async def test_replies_use_the_configured_prefix(tmp_path: Path) -> None:
    chat = await Chat.open(tmp_path, bot=BotSettings(organizers=(ORGANIZER,), prefix="."))
    try:
        said = [await chat.say(ANA, ".rooms"), await chat.say(ANA, ".myroom")]
        await chat.say(ORGANIZER, WORKSHOP.replace("!", ".", 1))
        await chat.say(HOST, ROOM.replace("!", ".", 1))
        for text in (
            ".rooms",
            ".room R9",
            ".join R9",
            ".join",
            ".join R1",
            ".join R1",
            ".myroom",
            ".leave",
            ".room step-down R1",
            ".room edit R1 status=withdrawn",
            ".room edit R1 capacity=0",
            ".help room edit",
            ".help",
            ".room withdraw R1",
            ".join R1",
        ):
            said.append(await chat.say(HOST if "room " in text else ANA, text))
        for answer in said:
            assert "!" not in answer.reply.replace("⚠️", ""), answer.reply
            for texts in answer.notices.values():
                assert all("!" not in t for t in texts), texts
        assert "`.rooms`" in said[-1].reply
    finally:
        await chat.close()
