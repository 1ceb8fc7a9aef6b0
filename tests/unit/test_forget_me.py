"""Forget-me: confirmed in the direct chat, then the user id is nowhere in the database."""

from __future__ import annotations

import json

from sqlalchemy import select, text

from bot.db.models import Base, FeedbackResponse, OutboxMessage, Person
from tests.chat import ORGANIZER, Chat

ANA, HOST = "@anahid:uni.no", "@host:uni.no"
ROOM = (
    '!room add name="Oslo classroom" org="University of Oslo" mode=in-person city=Oslo '
    "country=NO lang=no capacity=1 days=1-2 public=yes"
)


async def places_holding(chat: Chat, needle: str) -> list[str]:
    """Every table.column whose value contains the text, over every table there is."""
    found = []
    async with chat.app.sessions() as session:
        for table in Base.metadata.sorted_tables:
            for column in table.columns:
                query = text(
                    f'SELECT COUNT(*) FROM "{table.name}" '
                    f'WHERE CAST("{column.name}" AS TEXT) LIKE :needle'
                )
                if await session.scalar(query, {"needle": f"%{needle}%"}):
                    found.append(f"{table.name}.{column.name}")
    return found


async def test_forget_me_asks_then_removes_the_user_id_everywhere(chat: Chat) -> None:
    await chat.say(
        ORGANIZER,
        "!workshop add 2026-spring title=Spring tz=Europe/Oslo "
        "days=2026-03-17,2026-03-18 time=10:00-15:00",
    )
    await chat.say(HOST, ROOM)
    await chat.say(ANA, "!join R1")
    await chat.say("@bo:uni.no", "!join R1")  # waitlisted behind Ana
    await chat.say(ANA, "!feedback daily day=1")
    for answer in ("2", "good", "more", "skip", "yes"):
        await chat.say(ANA, answer, direct=True)
    await chat.say(ANA, "!feedback daily day=2")  # a form in progress
    await chat.say(HOST, f"!room roster R1 {ANA}")
    chat.transport.refuse[ANA] = "offline"  # a notice to Ana stays unsent
    assert "direct message to confirm" in await chat.say(ANA, "!forget-me")
    assert "person.user_id" in await places_holding(chat, ANA)

    asked = await chat.say(ANA, "!forget-me", direct=True)
    assert "Type `yes` to forget you" in asked.reply
    kept = (await chat.say(ANA, "no", direct=True)).reply
    assert "still knows you" in kept
    # The form she was answering waited under the confirmation, and comes back.
    assert "Back to the `daily` form about day 2, where you were:" in kept
    assert await places_holding(chat, "anahid") != []

    await chat.say(ANA, "!forget-me", direct=True)
    done = await chat.say(ANA, "yes", direct=True)
    assert "no longer has your user id" in done.reply
    assert done.messages[0].text.startswith("Done:")
    # Only the answer to "yes" itself and the action that had the direct chat forgotten
    # after it, addressed to the direct chat's room (whose id in the test transport is
    # made of the user id), still name it: sent, so what they said is gone.
    assert await places_holding(chat, "anahid") == ["outbox_message.room"]
    async with chat.app.sessions() as session:
        last = (await session.scalars(
            select(OutboxMessage).where(OutboxMessage.room.contains("anahid"))
            .order_by(OutboxMessage.id))).all()
        assert [(row.text, row.action, row.mentions, row.status.value) for row in last] == [
            ("", None, None, "sent"), ("", "forget-direct", None, "sent")]
    async with chat.app.sessions() as session:
        (response,) = (await session.scalars(select(FeedbackResponse))).all()
        assert response.respondent is None and json.loads(response.answers)["good"] == "good"
        assert [p.user_id for p in await session.scalars(select(Person))].count(ANA) == 0
    # Her seat went to the next on the waitlist, as when she leaves, and Bo is told.
    assert "a seat freed up in R1" in done.notices["@bo:uni.no"][0]


async def test_forget_me_for_a_stranger(chat: Chat) -> None:
    assert "nothing about you" in await chat.say("@new:uni.no", "!forget-me", direct=True)
