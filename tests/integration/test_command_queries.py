"""What one command costs the database: the statements on every answer's path are few
(the issue 13 profile: each is a thread hop through aiosqlite), and combining them
changed nothing the person sees."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, select

from bot.db import one_hop
from bot.db.models import HandledEvent, Person
from tests.chat import ORGANIZER, Chat

ANA = "@ana:uni.no"


@contextmanager
def statements(chat: Chat) -> Iterator[list[str]]:
    """The SQL statements the bot's engine runs inside the block."""
    seen: list[str] = []

    def record(*args: Any) -> None:
        seen.append(args[2])

    engine = chat.app.engine.sync_engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


async def test_help_reads_the_asker_once_and_claims_in_one_statement(chat: Chat) -> None:
    await chat.say(ANA, "!tz Europe/Oslo")  # Ana is a person now
    with statements(chat) as seen:
        answer = await chat.say(ANA, "!help")
    assert "`!tz" in answer.reply
    person_reads = [s for s in seen if s.lstrip().startswith("SELECT") and "FROM person" in s]
    assert len(person_reads) == 1, person_reads  # the person and their role together
    claims = [s for s in seen if "handled_event" in s]
    assert len(claims) == 1 and claims[0].lstrip().startswith("INSERT"), claims


async def test_a_read_only_command_takes_one_transaction_when_no_writer_waits(
    chat: Chat,
) -> None:
    await chat.say(ANA, "!tz Europe/Oslo")
    with statements(chat) as seen:
        answer = await chat.say(ANA, "!help")
    assert "`!tz" in answer.reply
    claim = next(n for n, s in enumerate(seen) if "handled_event" in s)
    asker = next(n for n, s in enumerate(seen) if "FROM person" in s)
    assert claim < asker  # claimed first: a redelivered event costs no answer


@contextmanager
def hops(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Each trip to the SQLite driver's thread inside the block: the BEGIN that went
    with a statement, the statement, or the end of a transaction."""
    seen: list[str] = []
    run, end = one_hop.Connection.run, one_hop.Connection._end

    async def running(self: one_hop.Connection, work: Any) -> Any:
        begin = self._begin or ""
        done = await run(self, work)
        seen.append(f"{begin} + {work.args[0].split()[0]}" if begin else work.args[0].split()[0])
        return done

    async def ending(self: one_hop.Connection, how: Any) -> None:
        was = self._in_transaction
        await end(self, how)
        if was is not False:
            seen.append(how.__name__)

    monkeypatch.setattr(one_hop.Connection, "run", running)
    monkeypatch.setattr(one_hop.Connection, "_end", ending)
    yield seen


async def test_help_takes_six_hops_to_the_sqlite_thread_in_two_transactions(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    chat = await Chat.open(tmp_path)  # a SQLite file
    try:
        await chat.say(ANA, "!tz Europe/Oslo")
        with hops(monkeypatch) as seen:
            answer = await chat.say(ANA, "!help")
    finally:
        await chat.close()
    assert "`!tz" in answer.reply
    # The command's one transaction (its BEGIN goes with the claim), then the one
    # marking its answer sent; no cursor of its own, no rollback when the pool takes
    # a connection back after a commit.
    assert seen == [
        "BEGIN IMMEDIATE + INSERT",  # the claim
        "SELECT",  # the asker and their role
        "INSERT",  # the answer's row, returning its id
        "commit",
        "BEGIN IMMEDIATE + UPDATE",  # sent
        "commit",
    ], seen


async def test_a_changing_command_delivered_twice_runs_once(chat: Chat) -> None:
    first = await chat.say(ANA, "!tz Europe/Oslo", event_id="$tz")
    assert "Europe/Oslo" in first.reply
    again = await chat.say(ANA, "!tz America/Chicago", event_id="$tz")
    assert again.messages == []
    async with chat.app.sessions() as session:
        person = await session.scalar(select(Person).where(Person.user_id == ANA))
        assert person is not None and person.timezone == "Europe/Oslo"
        assert await session.get(HandledEvent, ("test", "$tz")) is not None


async def test_roles_still_come_with_the_person(chat: Chat) -> None:
    answer = await chat.say(ANA, "!announce all hello")
    assert "organizer" in answer.reply  # refused: Ana is nobody special
    await chat.say(ORGANIZER, "!tz Europe/Oslo")
    assert "No workshop is set up yet" in (await chat.say(ORGANIZER, "!announce all hi")).reply


async def test_an_announcement_writes_its_rows_in_one_statement(chat: Chat) -> None:
    await chat.say(ORGANIZER, "!workshop add 2026-spring title=Spring tz=Europe/Oslo "
                              "days=2026-03-17 time=10:00-15:00")
    await chat.say(ORGANIZER, "!room add name=Oslo org=UiO mode=online lang=no capacity=40 "
                              "public=yes")
    learners = [f"@learner{n}:uni.no" for n in range(30)]
    for learner in learners:
        await chat.say(learner, "!join R1")
    with statements(chat) as seen:
        answer = await chat.say(ORGANIZER, "!announce learners The stream starts late.")
    assert "Sent to 30 people" in answer.reply
    assert sorted(answer.notices) == sorted(learners)
    # One INSERT for the answer, one (executed for all of them) for the 30 notices: not a
    # statement per learner, here or anywhere else.
    inserts = [s for s in seen if s.lstrip().startswith("INSERT INTO outbox_message")]
    assert len(inserts) <= 2, inserts
    assert len(seen) < 15, seen
