"""Privacy: after `!forget-me` no column of any table (found through the models'
metadata, so a new table is covered) holds the person's user id, display name or
feedback pseudonym; and feedback answers never meet user ids in what the bot
logs at INFO, shows (summary, export) or serves (/metrics).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update

from bot.db.models import Base, FeedbackPoll, FeedbackResponse, Person, PollVote
from bot.forms import engine
from bot.messages import POLL_ROOM, Outgoing, Poll, Vote
from bot.outbox import rows
from bot.services import feedback
from tests.chat import ORGANIZER, Chat
from tests.web import web_client

ZEB, HOST = "@zebulon:uni.no", "@host:uni.no"
LEARNERS = ("@anahid:uni.no", "@bartholomew:uni.no")
DISPLAY_NAME = "Zebulon Quartermaine"
ZEB_DM = "!zebs-direct-chat:uni.no"  # a Matrix room id says nothing about its members
ANSWERS = ("Pairing-on-the-quokka-exercise", "rooms were cold in the narwhal part")


async def set_up(chat: Chat) -> None:
    for who, text in [
        (ORGANIZER, "!workshop add 2026-spring title=Spring tz=Europe/Oslo "
                    "days=2026-03-02,2026-03-03 time=10:00-15:00"),
        (ORGANIZER, "!onboarding add 2026-03-02 13:00"),
        (HOST, "!room add name=Oslo org=UiO mode=online lang=no capacity=5 public=yes"),
        (HOST, f"!room lead add R1 {ZEB}"),  # the answer names Zeb; Zeb is told
        (ZEB, "!onboarding join O1"),
        (ZEB, "!tz Europe/Oslo"),
        (ORGANIZER, f"!announce all Thanks to {ZEB} for the room"),
        *((learner, "!join R1") for learner in LEARNERS),
    ]:
        answer = await chat.say(who, text)
        assert "⚠️" not in answer.reply, (text, answer.reply)


async def say_in_dm(chat: Chat, who: str, *texts: str) -> None:
    for text in texts:
        await chat.say(who, text, direct=True, room=ZEB_DM if who == ZEB else None)


async def columns_holding(chat: Chat, needles: dict[str, str]) -> list[str]:
    """`table.column: what` for every stored value containing one of the needles."""
    found = []
    async with chat.app.sessions() as session:
        for table in Base.metadata.sorted_tables:
            for row in (await session.execute(select(table))).mappings():
                for column, value in row.items():
                    for what, needle in needles.items():
                        if value is not None and needle in str(value):
                            found.append(f"{table.name}.{column}: {what}")
    return sorted(set(found))


async def test_forget_me_leaves_no_user_id_display_name_or_pseudonym(chat: Chat) -> None:
    await set_up(chat)
    async with chat.app.sessions() as session, session.begin():
        await session.execute(update(Person).where(Person.user_id == ZEB)
                              .values(display_name=DISPLAY_NAME))
        person = await session.scalar(select(Person).where(Person.user_id == ZEB))
        assert person is not None
        pseudonym = feedback.pseudonym(await feedback.feedback_key(session, chat.app.settings),
                                       person)
    await chat.say(ZEB, "!feedback debrief")
    await say_in_dm(chat, ZEB, "2", "4", "good", "more", "yes", "yes")
    await chat.say(ZEB, "!feedback final")  # a form left in progress
    async with chat.app.sessions() as session, session.begin():  # a poll Zeb votes on
        session.add(FeedbackPoll(
            network=chat.transport.network, workshop_id=1, day=1, form="daily",
            question="today", choices='["too fast"]', outbox_key="poll:1",
            created_at=chat.clock.now()))
        posted = rows.add(session, key="poll:1", network=chat.transport.network,
                          reference="poll", now=chat.clock.now(), message=Outgoing(
                              text="today", room=POLL_ROOM, poll=Poll("today", ("too fast",))))
        await session.flush()
        await rows.mark_sent(session, posted.id, chat.clock.now(), "m1")
    await chat.app.handle_vote(Vote(chat.transport.network, ZEB, "m1", (0,)))
    needles = {"user id": ZEB, "display name": DISPLAY_NAME, "pseudonym": pseudonym}
    before = await columns_holding(chat, needles)
    for place in ("person.user_id", "person.display_name", "feedback_response.respondent",
                  "poll_vote.respondent", "outbox_message.text", "outbox_message.person"):
        assert any(found.startswith(place) for found in before), (place, before)

    await say_in_dm(chat, ZEB, "cancel", "!forget-me", "yes")
    assert await columns_holding(chat, needles) == []
    async with chat.app.sessions() as session:
        kept = list(await session.scalars(select(FeedbackResponse)))
        votes = list(await session.scalars(select(PollVote)))
    assert len(kept) == 1 and kept[0].respondent is None  # the answers stay, anonymous
    assert len(votes) == 1 and votes[0].respondent is None  # and the vote


@pytest.fixture
async def answered(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Chat]:
    """Two learners answered the daily form, logs captured at INFO from the start. The
    second one's answer first met a bug (which is logged), then went through."""
    caplog.set_level(logging.INFO)
    chat = await Chat.open(tmp_path)
    answer = engine.answer

    def buggy(form: Any, state: Any, text: str, prefix: str) -> Any:
        if text == ANSWERS[1]:
            monkeypatch.setattr(engine, "answer", answer)  # once
            raise RuntimeError("a bug while taking an answer")
        return answer(form, state, text, prefix)

    monkeypatch.setattr(engine, "answer", buggy)
    try:
        await set_up(chat)
        for learner, good in zip(LEARNERS, ANSWERS, strict=True):
            await chat.say(learner, "!feedback daily day=1")
            await say_in_dm(chat, learner, "1, 3", good, good, "more breaks", "skip", "yes")
        assert "went wrong" in caplog.text or "command failed" in caplog.text
        yield chat
    finally:
        await chat.close()


def holding_both(texts: list[str]) -> list[str]:
    """Texts that hold an answer and a learner's user id (or its local part)."""
    names = [p for learner in LEARNERS for p in (learner, learner[1:].split(":")[0])]
    return [t for t in texts if any(a in t for a in ANSWERS) and any(n in t for n in names)]


async def test_answers_and_user_ids_never_meet(
    answered: Chat, caplog: pytest.LogCaptureFixture
) -> None:
    summary = await answered.say(ORGANIZER, "!feedback summary daily")
    export = await answered.say(ORGANIZER, "!feedback export daily")
    attachment = export.messages[0].attachment
    assert attachment is not None
    shown = [summary.reply, export.reply, attachment.data.decode()]
    assert all(answer in summary.reply + shown[2] for answer in ANSWERS)  # they are there
    async with web_client(answered) as client:
        served: list[Any] = [await (await client.get(path)).text()
                             for path in ("/metrics", "/", "/rooms.json", "/rooms.csv")]
    records = [*caplog.get_records("setup"), *caplog.records]
    logged = [record.getMessage() + (record.exc_text or "") for record in records]
    assert holding_both(shown) == []
    assert holding_both(served) == [] and not any(a in s for a in ANSWERS for s in served)
    assert [line for line in logged if any(a in line for a in ANSWERS)] == []
