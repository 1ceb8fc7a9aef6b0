"""The public room page and its data, through HTTP against the whole bot."""

from __future__ import annotations

import html
import re

import html5lib
import pytest
from icalendar import Calendar
from sqlalchemy import update

from bot.db.models import LocalRoom
from tests.chat import ORGANIZER, Chat
from tests.web import HOST, SCRIPT_NAME, set_up_workshop, web_client


def valid_html(text: str) -> None:
    """Parses as HTML5 without a single parse error (unclosed tags, bad nesting...)."""
    parser = html5lib.HTMLParser(strict=True)
    parser.parse(text)


def room_ids(page: str) -> list[str]:
    return re.findall(r'<li id="(R\d+)">', page)


async def test_the_page_lists_the_consented_rooms_and_nothing_private(chat: Chat) -> None:
    await set_up_workshop(chat)
    async with web_client(chat) as client:
        response = await client.get("/")
        page = await response.text()
    assert response.status == 200
    valid_html(page)
    assert "<h1>Spring workshop</h1>" in page
    assert room_ids(page) == ["R1", "R2", "R4"]  # R3 did not consent
    assert "Hidden room" not in page
    # No venue, no video link, no person.
    assert "Secret street" not in page and "secret-link" not in page
    assert HOST not in page and "@" not in page
    # A room named like a script tag is text.
    assert "<script>alert(1)" not in page
    assert html.escape(SCRIPT_NAME, quote=False) in page
    # The days in the workshop's zone, named, and the note about the visitor's zone.
    assert "Day 1: Tue 17 Mar 10:00–15:00 CET" in page
    assert "Europe/Stockholm" in page and "your own time zone" in page
    assert 'name="viewport"' in page and '<label for="f-mode">' in page
    assert 'href="https://uio.example.org/signup"' in page and "!join R1" in page


@pytest.mark.parametrize(
    ("query", "shown"),
    [
        ("mode=online", ["R2", "R4"]),
        ("mode=in-person", ["R1"]),
        ("lang=de", ["R2"]),
        ("country=norway", ["R1"]),
        ("mode=online&lang=en", ["R4"]),
        ("country=Sweden", []),
        # Codes or English names, as the chat takes them; a phone's dash is a hyphen.
        ("lang=German", ["R2"]),
        ("lang=ENGLISH", ["R1", "R4"]),
        ("lang=deu", ["R2"]),
        ("country=NO", ["R1"]),
        ("country=deu", ["R2"]),
        ("country=united%20kingdom", []),
        ("mode=in—person", ["R1"]),
    ],
)
async def test_filters_work_as_query_parameters(chat: Chat, query: str, shown: list[str]) -> None:
    await set_up_workshop(chat)
    async with web_client(chat) as client:
        page = await (await client.get(f"/?{query}")).text()
    assert room_ids(page) == shown
    assert f"{len(shown)} of 3 room(s) shown." in page
    if not shown:
        assert "No listed room matches these filters." in page


async def test_a_bad_filter_is_a_short_400_page(chat: Chat) -> None:
    await set_up_workshop(chat)
    async with web_client(chat) as client:
        response = await client.get("/?mode=<b>x")
        page = await response.text()
    assert response.status == 400
    assert "mode must be in-person or online." in page and "<b>x" not in page
    valid_html(page)


@pytest.mark.parametrize(
    ("query", "accepted"),
    [
        ("lang=Klingon", "lang= takes an ISO 639-1 language code or its English name"),
        ("lang=xx", "lang= takes an ISO 639-1 language code or its English name"),
        ("country=Narnia", "country= takes an ISO 3166 country code or its English name"),
        ("country=<b>x", "country= takes an ISO 3166 country code or its English name"),
    ],
)
async def test_an_unknown_language_or_country_is_a_400_saying_what_is_accepted(
    chat: Chat, query: str, accepted: str
) -> None:
    await set_up_workshop(chat)
    async with web_client(chat) as client:
        page_response = await client.get(f"/?{query}")
        page = await page_response.text()
        data = await client.get(f"/rooms.json?{query}")
        body = await data.json()
        table = await client.get(f"/2026-spring/rooms.csv?{query}")
        text = await table.text()
    assert page_response.status == data.status == table.status == 400
    assert accepted in page and "<b>x" not in page
    valid_html(page)
    assert data.content_type == "application/json"
    assert body["status"] == 400 and accepted in body["error"]
    assert table.content_type == "text/plain" and accepted in text


async def test_the_data_files_take_the_same_filters(chat: Chat) -> None:
    await set_up_workshop(chat)
    async with web_client(chat) as client:
        rooms = await (await client.get("/rooms.json?lang=German&mode=online")).json()
        table = await (await client.get("/rooms.csv?country=norway")).text()
    assert [room["id"] for room in rooms] == ["R2"]
    assert rooms[0]["country"] == "DE"  # the data keeps the code
    assert table.count("\n") == 2 and '"R1"' in table


async def test_countries_are_named_and_text_stored_before_codes_is_a_choice_too(
    chat: Chat,
) -> None:
    await set_up_workshop(chat)
    async with chat.app.sessions() as session, session.begin():
        await session.execute(update(LocalRoom).where(LocalRoom.name == "Online room")
                              .values(country="Bavaria"))
    async with web_client(chat) as client:
        page = await (await client.get("/?country=norway")).text()
        old = await (await client.get("/?country=BAVARIA")).text()
    assert '<option value="NO" selected>Norway (NO)</option>' in page
    assert '<option value="Bavaria">Bavaria</option>' in page
    assert "<dd>Oslo, Norway (NO)</dd>" in page and room_ids(page) == ["R1"]
    assert room_ids(old) == ["R2"] and "<dd>online, Bavaria</dd>" in old


async def test_a_named_workshop_has_its_own_page_and_an_unknown_one_is_404(chat: Chat) -> None:
    await set_up_workshop(chat)
    async with web_client(chat) as client:
        autumn = await client.get("/2026-autumn/")
        moved = await client.get("/2026-autumn", allow_redirects=False)
        unknown = await client.get("/2025-nope/")
        unknown_data = await client.get("/2025-nope/rooms.json")
        autumn_page = await autumn.text()
        unknown_page = await unknown.text()
    assert autumn.status == 200 and "<h1>Autumn</h1>" in autumn_page
    assert room_ids(autumn_page) == []
    assert moved.status == 301 and moved.headers["Location"] == "2026-autumn/"
    assert unknown.status == 404 and "There is no workshop &#39;2025-nope&#39;." in unknown_page
    assert unknown_data.status == 404
    valid_html(unknown_page)


async def test_without_a_workshop_the_page_says_so(chat: Chat) -> None:
    async with web_client(chat) as client:
        response = await client.get("/")
        assert response.status == 404
        assert "No workshop is set up yet." in await response.text()


@pytest.mark.parametrize("fmt", ["json", "csv"])
async def test_the_data_matches_the_chat_export_with_cache_and_cors_headers(
    chat: Chat, fmt: str
) -> None:
    await set_up_workshop(chat)
    export = (await chat.say(ORGANIZER, f"!rooms export {fmt}")).messages[0].attachment
    assert export is not None
    async with web_client(chat) as client:
        response = await client.get(f"/rooms.{fmt}")
        body = await response.read()
        tag = response.headers["ETag"]
        again = await client.get(f"/rooms.{fmt}", headers={"If-None-Match": tag})
        named = await (await client.get(f"/2026-spring/rooms.{fmt}")).read()
        await chat.say("@bo:example.org", "!join R1")  # a seat less: a new version
        changed = await client.get(f"/rooms.{fmt}", headers={"If-None-Match": tag})
        assert changed.status == 200 and changed.headers["ETag"] != tag
    assert response.status == 200 and body == export.data == named
    assert response.headers["Content-Type"].startswith(export.content_type)
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert again.status == 304 and await again.read() == b""


def events(data: bytes) -> dict[str, Calendar]:
    calendar = Calendar.from_ical(data)
    return {str(event["UID"]): event for event in calendar.walk("VEVENT")}


async def test_the_workshop_feed_keeps_its_uids_when_the_times_move(chat: Chat) -> None:
    await set_up_workshop(chat)
    async with web_client(chat) as client:
        before = events(await (await client.get("/workshop.ics")).read())
        await chat.say(ORGANIZER, "!workshop edit 2026-spring time=11:00-16:00")
        response = await client.get("/workshop.ics")
        after = events(await response.read())
    assert response.headers["Content-Type"].startswith("text/calendar")
    assert len(before) == 2 and before.keys() == after.keys()
    uid = "workshop-2026-spring-2026-03-17@classroom-bot"
    assert before[uid].decoded("DTSTART").hour == 9  # 10:00 CET
    assert after[uid].decoded("DTSTART").hour == 10  # moved, same event
    assert "day 1 of 2" in str(after[uid]["SUMMARY"])


async def test_the_onboarding_feed_lists_the_sessions_without_links_and_keeps_uids(
    chat: Chat,
) -> None:
    await set_up_workshop(chat)
    await chat.say(ORGANIZER, "!onboarding add 2026-03-10 14:00 tz=Europe/Stockholm "
                   "link=https://meet.example.org/secret-onboarding capacity=10")
    await chat.say(ORGANIZER, "!onboarding add 2026-03-12 09:00 tz=Europe/Stockholm")
    async with web_client(chat) as client:
        response = await client.get("/onboarding.ics")
        data = await response.read()
        await chat.say(ORGANIZER, "!onboarding edit O1 time=16:30")
        after = events(await (await client.get("/onboarding.ics")).read())
    calendar = Calendar.from_ical(data)
    assert response.status == 200 and response.headers["Content-Type"].startswith("text/calendar")
    assert str(calendar["X-WR-CALNAME"]) == "Spring workshop: onboarding"
    before = events(data)
    uid = "onboarding-O1-2026-spring@classroom-bot"
    assert set(before) == {uid, "onboarding-O2-2026-spring@classroom-bot"} == set(after)
    assert before[uid].decoded("DTSTART").hour == 13  # 14:00 CET
    assert after[uid].decoded("DTSTART").hour == 15  # moved, same event
    # The video link is for the leads and hosts (they get it in the chat).
    assert b"secret-onboarding" not in data


async def test_the_setup_instructions_are_linked_on_the_page_and_in_every_day_of_the_feed(
    chat: Chat,
) -> None:
    await set_up_workshop(chat)
    setup = "https://setup.example.org/install?lang=en&os=any"
    async with web_client(chat) as client:
        page_before = await (await client.get("/")).text()
        await chat.say(ORGANIZER, f"!workshop edit 2026-spring setup={setup}")
        page = await (await client.get("/")).text()
        feed = events(await (await client.get("/workshop.ics")).read())
    assert "Setup instructions" not in page_before
    assert 'href="https://stream.example.org/live"' in page_before
    valid_html(page)
    # The address is an attribute and text, escaped once; setup comes before the stream.
    escaped = html.escape(setup)
    assert f'Setup instructions: <a href="{escaped}" rel="nofollow noopener">{escaped}</a>' in page
    assert page.index("Setup instructions") < page.index("Stream: ")
    assert len(feed) == 2
    for event in feed.values():
        described = str(event["DESCRIPTION"]).splitlines()
        assert described == [f"Setup instructions: {setup}",
                             "Stream: https://stream.example.org/live"]
