"""Onboarding video links are member-only (../shared/PRODUCT.md section 11): organizers,
those signed up, and the leads and hosts who may sign up for the session see them;
a learner or a stranger is told the link is shared with those signed up (issue 19)."""

from __future__ import annotations

from icalendar import Calendar

from tests.chat import ORGANIZER, Chat
from tests.unit.test_rooms import ANA, HOST, LEAD, STRANGER

# Hostile: the link of the session for everyone is a prefix of the online one's.
FOR_ALL = "https://meet.example.org/o"
FOR_ONLINE = "https://meet.example.org/o-online"
HIDDEN = "the link is shared with those signed up"


async def with_sessions(chat: Chat) -> Chat:
    await chat.say(ORGANIZER, f"!onboarding add 2026-03-10 14:00 link={FOR_ALL}")
    await chat.say(ORGANIZER, f"!onboarding add 2026-03-11 14:00 link={FOR_ONLINE} for=online")
    await chat.say(ORGANIZER, "!onboarding add 2026-03-12 14:00")  # no link at all
    return chat


def calendar_links(data: bytes) -> list[str]:
    return [str(event.get("url", "")) for event in Calendar.from_ical(data).walk("VEVENT")]


async def ics(chat: Chat, user: str) -> bytes:
    attachment = (await chat.say(user, "!onboarding ics")).messages[0].attachment
    assert attachment is not None
    return attachment.data


async def test_a_stranger_and_a_learner_never_see_a_link(room: Chat) -> None:
    chat = await with_sessions(room)
    assert "you have a seat in R1" in await chat.say(ANA, "!join R1")
    for user in (STRANGER, ANA):
        listed = (await chat.say(user, "!onboarding")).reply
        assert "meet.example.org" not in listed, user
        assert listed.count(HIDDEN) == 2 and "O3: Thu 12 Mar" in listed
        data = await ics(chat, user)
        assert b"meet.example.org" not in data and calendar_links(data) == ["", "", ""]
        assert b"The video link is shared with those signed up." in data.replace(b"\r\n ", b"")
    direct = (await chat.say(STRANGER, "onboarding", direct=True)).reply
    assert "meet.example.org" not in direct


async def test_leads_and_hosts_see_the_links_of_sessions_they_may_sign_up_for(
    room: Chat,
) -> None:
    """R1 is an in-person room: its host may sign up for O1 (all) but not for O2
    (online rooms), so sees O1's link only, in the chat and in the calendar file."""
    chat = await with_sessions(room)
    listed = (await chat.say(HOST, "!onboarding")).reply
    assert f"<{FOR_ALL}>" in listed and FOR_ONLINE not in listed
    assert listed.count(HIDDEN) == 1
    assert calendar_links(await ics(chat, HOST)) == [FOR_ALL, "", ""]
    organizer = (await chat.say(ORGANIZER, "!onboarding")).reply
    assert f"<{FOR_ALL}>" in organizer and f"<{FOR_ONLINE}>" in organizer
    assert calendar_links(await ics(chat, ORGANIZER)) == [FOR_ALL, FOR_ONLINE, ""]


async def test_one_signed_up_keeps_the_link_of_their_session_only(room: Chat) -> None:
    """The host signs up, then the room is withdrawn: no longer a host of a live room,
    still signed up for O1, so O1's link stays and no other shows. A lead added to the
    room before it was withdrawn, not signed up, sees none."""
    chat = await with_sessions(room)
    await chat.say(HOST, f"!room lead add R1 {LEAD}")
    assert "You are signed up" in await chat.say(HOST, "!onboarding join O1")
    assert "withdrawn" in await chat.say(HOST, "!room withdraw R1")
    listed = (await chat.say(HOST, "!onboarding")).reply
    assert f"<{FOR_ALL}>" in listed and "← yours" in listed and FOR_ONLINE not in listed
    assert calendar_links(await ics(chat, HOST)) == [FOR_ALL, "", ""]
    assert "meet.example.org" not in (await chat.say(LEAD, "!onboarding")).reply
