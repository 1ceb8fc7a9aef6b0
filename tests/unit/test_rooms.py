"""Local rooms: registering, finding, joining, waitlists, leads and rights."""

from __future__ import annotations

import csv
import io
import json

import pytest
from sqlalchemy import func, select

from bot.db.models import LocalRoom, MemberRole, Membership, Person
from tests.chat import ORGANIZER, Chat

HOST = "@host:uni.no"
LEAD = "@lead:uni.no"
ANA, BO, CY = "@ana:uni.no", "@bo:uni.no", "@cy:uni.no"
STRANGER = "@stranger:else.org"
ROOM = (
    '!room add name="Oslo classroom" org="University of Oslo" mode=in-person city=Oslo '
    'country=NO lang=no capacity=1 days=1-2 public=yes who="UiO staff and students"'
)


@pytest.fixture
async def room(chat: Chat) -> Chat:
    await chat.say(
        ORGANIZER,
        "!workshop add 2026-spring title=Spring tz=Europe/Oslo "
        "days=2026-03-17,2026-03-18,2026-03-19 time=10:00-15:00",
    )
    assert "Registered R1 Oslo classroom" in await chat.say(HOST, ROOM)
    return chat


async def memberships(chat: Chat) -> list[tuple[str, str, str]]:
    async with chat.app.sessions() as session:
        found = await session.execute(
            select(LocalRoom.id, Person.user_id, Membership.role)
            .join(Membership.room)
            .join(Membership.person)
            .order_by(Membership.id)
        )
        return [(f"R{r}", u, role.value) for r, u, role in found]


async def count_rooms(chat: Chat) -> int:
    async with chat.app.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(LocalRoom)) or 0)


async def test_registering_makes_the_sender_host_and_lead(room: Chat) -> None:
    assert await memberships(room) == [("R1", HOST, "host"), ("R1", HOST, "lead")]
    shown = await room.say(ANA, "!room R1")
    for fact in (
        "**R1 · Oslo classroom** (open)",
        "Organization: University of Oslo",
        "Where: in person, Oslo, Norway (NO)",
        "Seats: 1 in all, 1 seat left",
        "Days: 1-2",
        "Day 2: Wed 18 Mar 09:00–14:00 UTC",
        "Who may join: UiO staff and students",
        "Hosts and team leads: `@host:uni.no` (host and team lead)",
        "Language: Norwegian (no)",
    ):
        assert fact in shown, fact


async def test_bad_room_values_are_explained_and_change_nothing(room: Chat) -> None:
    cases = {
        ROOM.replace("capacity=1", "capacity=-3"): "-3 is too small; the least accepted is 1",
        ROOM.replace("capacity=1", "capacity=many"): "'many' is not a whole number",
        ROOM.replace("mode=in-person", "mode=hybrid"): "'hybrid' is not one of: in-person, online",
        ROOM.replace("days=1-2", "days=2-9"): "day 4 is not a workshop day",
        ROOM.replace("days=1-2", "days=mon"): "is not a list of days",
        ROOM.replace("public=yes", "public=perhaps"): "'perhaps' is not yes or no",
        ROOM.replace(" city=Oslo", ""): "An in-person room needs its city",
        ROOM.replace('name="Oslo classroom"', 'name="Oslo'): "quotation mark is not closed",
        ROOM + " colour=blue": "colour= is not an option here",
    }
    for command, problem in cases.items():
        answer = await room.say(HOST, command)
        assert problem in answer, (command, answer.reply)
    assert await count_rooms(room) == 1
    for command, problem in {
        "!room R9": "There is no room R9",
        "!join R9": "There is no room R9",
        "!join room-one": "room ids look like R7",
        "!room edit R1 capacity=-3": "-3 is too small",
        "!room edit R1 mode=boat": "is not one of: in-person, online",
        "!room edit R1": "Give at least one key=value",
        "!room lead add R1 bob": "'bob' does not name a person",
    }.items():
        answer = await room.say(HOST, command)
        assert problem in answer, (command, answer.reply)
        assert "There is no room" in answer or "Usage:" in answer
    assert "Seats: 1 in all" in await room.say(HOST, "!room R1")


async def test_a_full_room_puts_learners_on_its_waitlist_and_a_leaver_frees_a_seat(
    room: Chat,
) -> None:
    assert "you have a seat in R1" in await room.say(ANA, "!join R1")
    assert "number 1 on its waitlist" in await room.say(BO, "!join R1")
    assert "number 2 on its waitlist" in await room.say(CY, "!join R1")
    assert "you are number 2 on its waitlist" in await room.say(CY, "!join R1")
    assert "You already have a seat in R1" in await room.say(ANA, "!join r1")
    listing = await room.say(STRANGER, "!rooms")
    assert (
        "**R1** Oslo classroom · University of Oslo · Oslo, Norway (NO) · no · full, 2 waiting"
        in listing
    )

    left = await room.say(ANA, "!leave")
    assert "You left R1 Oslo classroom." in left
    assert list(left.notices) == [BO]
    assert "a seat freed up in R1 Oslo classroom, and it is yours now" in left.notices[BO][0]
    assert "learner with a seat" in await room.say(BO, "!myroom")
    assert "number 1 on the waitlist" in await room.say(CY, "!myroom")
    assert "You are not in a local room of 2026-spring" in await room.say(ANA, "!leave")
    assert await memberships(room) == [
        ("R1", HOST, "host"),
        ("R1", HOST, "lead"),
        ("R1", BO, "learner"),
        ("R1", CY, "waitlist"),
    ]


async def test_joining_another_room_moves_the_learner_and_says_so(room: Chat) -> None:
    await room.say(HOST, ROOM.replace("Oslo classroom", "Second room"))
    await room.say(ANA, "!join R1")
    await room.say(BO, "!join R1")
    moved = await room.say(ANA, "!join R2")
    assert "You left R1 Oslo classroom (one room per workshop)." in moved
    assert "you have a seat in R2" in moved
    assert "it is yours now" in moved.notices[BO][0]
    seekers = [(r, u, role) for r, u, role in await memberships(room) if u != HOST]
    assert seekers == [("R1", BO, "learner"), ("R2", ANA, "learner")]


async def test_leads_manage_their_room_and_others_are_refused(room: Chat) -> None:
    added = await room.say(HOST, f"!room lead add R1 {LEAD}")
    assert "`@lead:uni.no` is now a team lead of R1" in added
    assert "You are now a team lead of the local room R1" in added.notices[LEAD][0]
    assert "!room edit" in await room.say(LEAD, "!help")
    assert "!room edit" not in await room.say(ANA, "!help")

    assert "R1 changed: capacity, city" in await room.say(
        LEAD, "!room edit R1 capacity=2 city=Bergen"
    )
    await room.say(ANA, "!join R1")
    roster = await room.say(LEAD, "!room roster R1")
    assert (
        "Hosts and team leads: `@host:uni.no` (host and team lead), `@lead:uni.no` (team lead)"
        in roster
    )
    assert "Learners (1 of 2): `@ana:uni.no`" in roster

    for command in (
        "!room edit R1 capacity=5",
        "!room roster R1",
        "!room withdraw R1",
        f"!room lead add R1 {BO}",
        f"!room lead remove R1 {LEAD}",
    ):
        answer = await room.say(ANA, command)
        assert "is for a team lead or host of a local room" in answer, command
    await room.say(STRANGER, ROOM.replace("Oslo classroom", "Other"))
    for command in ("!room edit R1 capacity=5", "!room roster R1", "!room withdraw R1"):
        answer = await room.say(STRANGER, command)
        assert "Only R1's hosts and team leads, or an organizer, may do that." in answer, command
    assert "Only the room's host, or an organizer" in await room.say(
        LEAD, "!room edit R1 public=no"
    )
    assert "Listed publicly: yes" in await room.say(ANA, "!room R1")

    assert "no longer a team lead" in await room.say(HOST, f"!room lead remove R1 {LEAD}")
    assert "is not a team lead of R1" in await room.say(HOST, f"!room lead remove R1 {LEAD}")
    assert "is for a team lead or host" in await room.say(LEAD, "!room roster R1")


async def test_organizers_may_manage_any_room(room: Chat) -> None:
    assert "R1 changed: public" in await room.say(ORGANIZER, "!room edit R1 public=no")
    assert "Roster of R1" in await room.say(ORGANIZER, "!room roster R1")


async def test_raising_capacity_or_reopening_seats_waiting_learners(room: Chat) -> None:
    await room.say(ANA, "!join R1")
    await room.say(BO, "!join R1")
    await room.say(HOST, "!room edit R1 status=full")
    assert "full, so you are now number 2" in await room.say(CY, "!join R1")
    assert (await room.say(HOST, "!room edit R1 capacity=3")).notices == {}
    reopened = await room.say(HOST, "!room edit R1 status=open")
    assert "2 waiting learner(s) got a seat" in reopened
    assert sorted(reopened.notices) == [BO, CY]


async def test_a_lead_added_from_the_waitlist_frees_their_place(room: Chat) -> None:
    await room.say(ANA, "!join R1")
    await room.say(BO, "!join R1")
    added = await room.say(HOST, f"!room lead add R1 {ANA}")
    assert "it is yours now" in added.notices[BO][0]
    assert "You are a host or team lead of R1" in await room.say(ANA, "!join R1")


async def test_withdrawing_tells_learners_and_waiting_learners(room: Chat) -> None:
    await room.say(ANA, "!join R1")
    await room.say(BO, "!join R1")
    answer = await room.say(HOST, "!room withdraw R1")
    assert "R1 is withdrawn; 2 learner(s) were told." in answer
    assert sorted(answer.notices) == [ANA, BO]
    assert "was withdrawn" in answer.notices[ANA][0]
    assert "R1 was withdrawn" in await room.say(CY, "!join R1")
    assert "No local rooms yet" in await room.say(CY, "!rooms")
    assert "withdrawn already" in await room.say(ORGANIZER, "!room withdraw R1")
    assert "can no longer be changed" in await room.say(ORGANIZER, "!room edit R1 capacity=3")


async def test_rooms_are_found_by_words_and_filters(room: Chat) -> None:
    await room.say(
        LEAD,
        '!room add name="Zoom room" org=CSC mode=online lang=fi capacity=30 '
        'public=no who="Anyone in Finland"',
    )

    def ids(answer: object) -> list[str]:
        return [w for w in str(getattr(answer, "reply", "")).split() if w.startswith("**R")]

    assert ids(await room.say(ANA, "!rooms")) == ["**R1**", "**R2**"]
    assert ids(await room.say(ANA, "!rooms finland")) == ["**R2**"]
    assert ids(await room.say(ANA, "!rooms mode=in-person")) == ["**R1**"]
    assert ids(await room.say(ANA, "!rooms lang=FI")) == ["**R2**"]
    assert ids(await room.say(ANA, "!rooms city=oslo")) == ["**R1**"]
    assert "No local rooms match." in await room.say(ANA, "!rooms oslo mode=online")
    assert "30 seats left" in await room.say(ANA, "!rooms zoom")


async def test_stats_count_rooms_seats_and_waitlists(room: Chat) -> None:
    await room.say(LEAD, "!room add name=Online org=CSC mode=online capacity=10 public=no")
    await room.say(ANA, "!join R1")
    await room.say(BO, "!join R1")
    await room.say(HOST, "!room lead remove R1 @host:uni.no")
    stats = await room.say(ORGANIZER, "!stats")
    assert "Rooms: 2 open (1 in person, 1 online), 0 withdrawn" in stats
    assert "Seats in open rooms: 11, 1 taken, 10 left" in stats
    assert "Learners: 1 with a seat, 1 waiting" in stats
    assert "Team leads and hosts: 2 people; rooms without a team lead: 1" in stats


async def test_myroom_shows_role_leads_and_links(room: Chat) -> None:
    await room.say(ORGANIZER, "!workshop edit 2026-spring notes=https://notes.example.org/x")
    assert "You are not in a local room" in await room.say(ANA, "!myroom")
    await room.say(ANA, "!join R1")
    mine = await room.say(ANA, "!myroom")
    assert "you are a learner with a seat.\n  Hosts and team leads: `@host:uni.no` (host" in mine
    assert "Shared notes: <https://notes.example.org/x>" in mine
    assert "you are a host and a team lead." in await room.say(HOST, "!myroom")


async def test_public_listing_has_only_consenting_rooms(room: Chat) -> None:
    await room.say(LEAD, "!room add name=Hidden org=X mode=online capacity=5 public=no")
    await room.say(LEAD, '!room add name="A | B" org=Y mode=online capacity=5 public=yes')
    assert "is for an organizer" in await room.say(HOST, "!rooms export")
    answer = await room.say(ORGANIZER, "!rooms export json")
    attachment = answer.messages[0].attachment
    assert attachment is not None and attachment.filename == "2026-spring-rooms.json"
    entries = json.loads(attachment.data)
    assert [e["id"] for e in entries] == ["R1", "R3"]
    assert entries[0]["who_may_join"] == "UiO staff and students"
    assert "host" not in json.dumps(entries)
    csv_file = (await room.say(ORGANIZER, "!rooms export csv")).messages[0].attachment
    assert csv_file is not None
    assert [r["name"] for r in csv.DictReader(io.StringIO(csv_file.data.decode()))] == [
        "Oslo classroom",
        "A | B",
    ]
    markdown = (await room.say(ORGANIZER, "!rooms export md")).messages[0].attachment
    assert markdown is not None and "| A \\| B |" in markdown.data.decode()


async def test_user_text_is_escaped_in_replies(room: Chat) -> None:
    await room.say(
        LEAD, '!room add name="<b>Bold</b> *room*" org=X mode=online capacity=5 public=no'
    )
    shown = await room.say(ANA, "!room R2")
    assert r"\<b\>Bold\</b\> \*room\*" in shown


async def test_every_membership_role_is_known() -> None:
    assert {r.value for r in MemberRole} == {"host", "lead", "learner", "waitlist"}
