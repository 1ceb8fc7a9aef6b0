"""The daily question as a poll (bot/services/polls.py) on the real database: posted
once per workshop day on the networks configured for polls, its message id noted
when sent, votes stored by pseudonym (a vote taken back removed), counted apart from
the form's answers in the summary, and their pseudonyms cleared by forget-me."""

from __future__ import annotations

import contextlib
import dataclasses
import json
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot import app
from bot.config import FeedbackSettings, Settings
from bot.db.models import FeedbackPoll, OutboxMessage, PollVote, Workshop
from bot.messages import POLL_ROOM, Poll, Vote
from bot.outbox import rows
from bot.services import feedback, polls
from bot.transport.zulip_network import ZulipSettings
from tests.chat import ORGANIZER, Chat

WORKSHOP = ("!workshop add 2026-spring title=Spring tz=Europe/Oslo "
            "days=2026-03-02,2026-03-03 time=10:00-15:00")
LEARNER = "@learner:uni.no"


def with_poll_channel(settings: Settings) -> Settings:
    return dataclasses.replace(settings, networks={"zulip": ZulipSettings(
        site="https://zulip.example.org", email="bot@example.org", api_key="k",
        poll_channel="workshop")})


async def workshop_id(chat: Chat) -> int:
    await chat.say(ORGANIZER, WORKSHOP)
    async with chat.app.sessions() as session:
        found = await session.scalar(select(Workshop.id))
    assert found is not None
    return found


async def posted(chat: Chat, settings: Settings, wid: int, day: int) -> list[OutboxMessage]:
    async with chat.app.sessions() as session, session.begin():
        written = await polls.post_daily(session, settings, wid, day, chat.clock.now())
        await session.flush()
        session.expunge_all()
    return written


async def test_the_poll_is_written_once_a_day_on_each_network_configured(chat: Chat) -> None:
    wid = await workshop_id(chat)
    settings = with_poll_channel(chat.app.settings)
    assert await posted(chat, chat.app.settings, wid, 1) == []  # no poll channel: no poll
    first = await posted(chat, settings, wid, 1)
    assert await posted(chat, settings, wid, 1) == []  # the day's second reminder
    assert len(await posted(chat, settings, wid, 2)) == 1
    off = dataclasses.replace(settings, feedback=FeedbackSettings(enabled=False))
    assert await posted(chat, off, wid, 3) == []
    [row] = first
    message = rows.delivery(row).message
    assert (row.network, message.room) == ("zulip", POLL_ROOM)
    choices = feedback.forms(settings)["daily"].questions[0].choices
    assert message.poll == Poll("Day 1 of Spring: Today was (choose all that apply)", choices)
    assert "📊 Day 1 of Spring" in message.text and f"3. {choices[2]}" in message.text
    async with chat.app.sessions() as session:
        made = list(await session.scalars(select(FeedbackPoll).order_by(FeedbackPoll.day)))
    assert [(p.day, p.question, json.loads(p.choices)) for p in made] == [
        (1, "today", list(choices)), (2, "today", list(choices))]


async def sent_poll(chat: Chat, ref: str = "4711") -> FeedbackPoll:
    """Day 1's poll, written and marked sent as message `ref`."""
    [row] = await posted(chat, with_poll_channel(chat.app.settings), await workshop_id(chat), 1)
    async with chat.app.sessions() as session, session.begin():
        await rows.mark_sent(session, row.id, chat.clock.now(), ref)
    async with chat.app.sessions() as session:
        poll = await session.scalar(select(FeedbackPoll))
        kept = await session.get(OutboxMessage, row.id)
    assert poll is not None and kept is not None and kept.network_message_id == ref
    assert poll.outbox_key == kept.dedupe_key
    return poll


async def vote(chat: Chat, voter: str, choice: int, chosen: bool = True, poll: str = "4711"
               ) -> bool:
    async with chat.app.sessions() as session, session.begin():
        return await polls.record_vote(session, chat.app.settings,
                                       Vote("zulip", voter, poll, (choice,), chosen),
                                       chat.clock.now())


async def test_votes_count_as_each_voter_left_them(chat: Chat) -> None:
    await sent_poll(chat)
    assert await vote(chat, "zulip:11", 0)
    assert await vote(chat, "zulip:11", 0)  # clicked twice by a flaky client: one vote
    assert await vote(chat, "zulip:11", 2)
    assert await vote(chat, "zulip:12", 0)
    assert await vote(chat, "zulip:12", 0, chosen=False)  # taken back
    assert await vote(chat, "zulip:12", 1)
    assert not await vote(chat, "zulip:12", 9)  # no such choice
    assert not await vote(chat, "zulip:12", 0, poll="999")  # not one of the bot's polls
    assert not await vote(chat, "zulip:12", 0, poll="471")  # nor is what its id begins with
    async with chat.app.sessions() as session, session.begin():  # the same id elsewhere
        assert not await polls.record_vote(session, chat.app.settings,
                                           Vote("matrix", "@x:uni.no", "4711", (0,)),
                                           chat.clock.now())
    async with chat.app.sessions() as session:
        workshop = await session.scalar(select(Workshop))
        assert workshop is not None
        found = await polls.counts(session, workshop, "daily", 1)
        assert await polls.counts(session, workshop, "daily", 2) == {}
        stored = list(await session.scalars(select(PollVote)))
    count = found["today"]
    assert count.voters == 2
    assert [n for n in count.counts.values()][:4] == [1, 1, 1, 0]
    assert all(v.respondent and "zulip" not in v.respondent for v in stored)

    summary = await chat.say(ORGANIZER, "!feedback summary daily day=1")
    assert "From the poll, apart from the form's answers (2 voters):" in summary.reply
    assert "too fast" in summary.reply.split("From the poll")[1]


async def test_a_rooms_summary_leaves_the_poll_out(chat: Chat) -> None:
    await sent_poll(chat)
    await vote(chat, "zulip:11", 0)
    await chat.say(ORGANIZER, "!room add name=Oslo org=UiO mode=online lang=no capacity=5 "
                              "public=yes")
    summary = await chat.say(ORGANIZER, "!feedback summary daily day=1 room=R1")
    assert "R1" in summary.reply and "From the poll" not in summary.reply


async def test_a_response_that_replaces_the_voters_selection(chat: Chat) -> None:
    await sent_poll(chat)
    for choices in ((0, 2), (1,), ()):
        async with chat.app.sessions() as session, session.begin():
            assert await polls.record_vote(session, chat.app.settings, Vote(
                "zulip", "@lars:x.org", "4711", choices, replaces=True), chat.clock.now())
        async with chat.app.sessions() as session:
            stored = sorted(v.choice for v in await session.scalars(select(PollVote)))
        assert stored == list(choices)


async def test_a_vote_is_written_through_the_writer_queue(
    chat: Chat, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Like every other write (on SQLite the writes of this process queue there, first
    come first served, instead of meeting SQLite's busy handler)."""
    await sent_poll(chat)
    queued: list[object] = []
    through_the_queue = app.writing

    @contextlib.asynccontextmanager
    async def counted(sessions: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
        queued.append(sessions)
        async with through_the_queue(sessions) as session:
            yield session

    monkeypatch.setattr(app, "writing", counted)
    await chat.app.handle_vote(Vote("zulip", "zulip:11", "4711", (0,)))
    assert queued == [chat.app.sessions]
    async with chat.app.sessions() as session:
        assert [v.choice for v in await session.scalars(select(PollVote))] == [0]
