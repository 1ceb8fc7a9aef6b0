"""Local rooms: what people type, as they type it, and what the bot makes of it."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from bot.db.models import LocalRoom, RoomMode
from bot.services import people, rooms, workshops
from tests.chat import ORGANIZER, Chat
from tests.unit.test_rooms import ANA, HOST, ROOM, count_rooms


async def names(chat: Chat) -> list[str]:
    async with chat.app.sessions() as session:
        return list(await session.scalars(select(LocalRoom.name).order_by(LocalRoom.id)))


async def test_apostrophes_in_words_and_dashes_in_ranges_work(room: Chat) -> None:
    answer = await room.say(
        HOST,
        "!room add name=King’s org='St Mary's College' mode=online capacity=5 public=no "
        "days=1–2 who=Mary's",
    )
    assert "Registered R2 King's" in answer
    shown = await room.say(ANA, "!room R2")
    assert "Organization: St Mary's College" in shown
    assert "Days: 1-2" in shown
    assert "Who may join: Mary's" in shown
    assert "R2 changed: days" in await room.say(HOST, "!room edit R2 days=2—3")
    assert "Days: 2-3" in await room.say(ANA, "!room R2")
    created = await room.say(
        ORGANIZER,
        "!workshop add 2027-spring title=Next tz=UTC days=2027-03-16 time=10:00–15:00",
    )
    assert "Workshop `2027-spring` created" in created
    assert "Tue 16 Mar 10:00–15:00 UTC" in created


async def test_text_longer_than_its_column_is_a_usage_error_naming_the_limit(room: Chat) -> None:
    cases = {
        ROOM.replace("Oslo classroom", "x" * 201): "name=: is 201 characters long; at most 200 fit",
        ROOM.replace("city=Oslo", "city=" + "o" * 101): "city=: is 101 characters long",
        ROOM.replace("UiO staff", "s" * 501): "who=: is 514 characters long; at most 500",
        ROOM.replace('"Oslo classroom"', '"Oslo\nclassroom"'): "name=: must be on one line",
    }
    for command, problem in cases.items():
        answer = await room.say(HOST, command)
        assert problem in answer, (problem, answer.reply)
        assert "Usage: `!room add" in answer
    assert await count_rooms(room) == 1
    long_title = await room.say(
        ORGANIZER,
        f"!workshop add 2027-x title={'t' * 201} tz=UTC days=2027-03-16 time=10:00-15:00",
    )
    assert "title=: is 201 characters long; at most 200 fit" in long_title
    assert "at most 500 fit" in await room.say(HOST, "!room edit R1 venue=" + "v" * 501)


async def test_invisible_characters_are_removed_from_names(room: Chat) -> None:
    await room.say(
        HOST, "!room add name=\u202eCafe\u200b\u2066 org=X\ufeff mode=online capacity=5 public=no"
    )
    assert (await names(room))[-1] == "Cafe"
    assert "Organization: X\n" in await room.say(ANA, "!room R2")


async def test_words_the_commands_use_cannot_be_slugs(room: Chat) -> None:
    for word in ("add", "use", "edit"):
        answer = await room.say(
            ORGANIZER, f"!workshop add {word} title=T tz=UTC days=2027-03-16 time=10:00-15:00"
        )
        assert f"'{word}' is a word the commands use, so it cannot be a slug" in answer


async def test_optional_fields_can_be_cleared_and_help_says_how(room: Chat) -> None:
    await room.say(HOST, "!room edit R1 venue=\"Room 101\" signup=https://uio.no/s")
    cleared = await room.say(HOST, "!room edit R1 who= venue= signup= days=")
    assert "R1 changed: days, signup, venue, who." in cleared
    shown = (await room.say(HOST, "!room R1")).reply
    for gone in ("Who may join", "Venue", "sign-up", "Days: 1-2"):
        assert gone not in shown, gone
    assert "Days: 1-3" in shown
    assert "name=: must not be empty" in await room.say(HOST, "!room edit R1 name=")
    assert "lang=: " in await room.say(HOST, "!room edit R1 lang=")
    assert "Clear an optional field by leaving it empty" in await room.say(HOST, "!help room edit")


async def test_switching_to_online_clears_what_applied_in_person(room: Chat) -> None:
    await room.say(HOST, '!room edit R1 venue="Georg Sverdrups hus, room 1"')
    switched = await room.say(HOST, "!room edit R1 mode=online")
    assert "It is online now, so its venue and city no longer applied and were cleared." in switched
    assert "Give the video link with `!room edit R1 venue=…`." in switched
    shown = (await room.say(HOST, "!room R1")).reply
    assert "Georg" not in shown and "Where: online, Norway (NO)" in shown
    back = await room.say(HOST, "!room edit R1 mode=in-person")
    assert "An in-person room needs its city" in back
    assert "R1 changed: city, mode, venue." in await room.say(
        HOST, "!room edit R1 mode=in-person city=Oslo venue=\"Blindern\""
    )


async def test_error_messages_say_what_was_wrong(room: Chat) -> None:
    assert "capacity=: 99999999999999999999 is too large; the most accepted is 10000" in (
        await room.say(HOST, "!room edit R1 capacity=99999999999999999999")
    )
    assert "days=: the day range 3-1 is reversed; did you mean 1-3?" in (
        await room.say(HOST, "!room edit R1 days=3-1")
    )
    bare = await room.say(ANA, "!join")
    assert "The room id is missing, e.g. R7." in bare
    assert "Usage: `!join R7`" in bare


async def test_languages_are_checked_codes_shown_with_their_names(room: Chat) -> None:
    assert "lang=: 'xx' is not an ISO 639-1 language code" in (
        await room.say(HOST, "!room edit R1 lang=xx")
    )
    assert "R1 changed: lang" in await room.say(HOST, "!room edit R1 lang=German")
    assert "Language: German (de)" in await room.say(ANA, "!room R1")
    assert "**R1**" in await room.say(ANA, "!rooms lang=DE")
    assert "not an ISO 639-1" in await room.say(ANA, "!rooms lang=klingon")


async def test_search_ignores_accents(room: Chat) -> None:
    await room.say(HOST, '!room add name="Café Ångström" org=X mode=online capacity=5 public=no')
    assert "**R2**" in await room.say(ANA, "!rooms cafe angstrom")
    assert "**R1**" not in await room.say(ANA, "!rooms CAFÉ")
    await room.say(HOST, "!room edit R1 city=Tromsø")
    assert "**R1**" in await room.say(ANA, "!rooms city=tromso")


async def test_hundreds_of_rooms_are_listed_a_page_at_a_time(room: Chat) -> None:
    now = datetime(2026, 3, 2, tzinfo=UTC)
    async with room.app.sessions() as session, session.begin():
        workshop = await workshops.require_current(session)
        host = await people.ensure(session, "test", HOST, now)
        for number in range(2, 302):
            fields = {
                "name": f"Room {number}",
                "organization": "Org",
                "mode": RoomMode.ONLINE,
                "capacity": 10,
                "public": False,
            }
            await rooms.add(session, workshop, host, rooms.RoomFields(fields), now)
    first = (await room.say(ANA, "!rooms")).reply
    assert "**Local rooms of `2026-spring`** (301; page 1 of 16)" in first
    assert first.count("\n- ") == 20
    assert "Next: `!rooms page=2`" in first
    assert "Narrow it down" in first
    assert len(first) < 3000
    last = (await room.say(ANA, "!rooms page=16")).reply
    assert last.count("\n- ") == 1 and "**R301**" in last
    assert "Back to the first: `!rooms page=1`" in last
    assert "only 16 page(s)" in await room.say(ANA, "!rooms page=17")
    narrowed = (await room.say(ANA, "!rooms room 29 mode=online")).reply
    assert "(13)" in narrowed and "page" not in narrowed  # R29, R129, R229, R290-R299
    assert "Next: `!rooms org mode=online page=2`" in await room.say(ANA, "!rooms org mode=online")
