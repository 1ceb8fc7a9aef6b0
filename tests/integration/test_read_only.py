"""Reads do not queue behind writes: read-only commands answer from a plain read
transaction while another write transaction of the bot holds SQLite's write lock
(PostgreSQL has no database-wide write lock, so the first test is about SQLite
only). With no writer under way they take one transaction
(tests/integration/test_command_queries.py)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text

from bot.commands.context import Context
from bot.commands.framework import CommandSet
from bot.commands.registry import build_registry
from bot.db.engine import writing
from tests.chat import Chat

ANA = "@ana:uni.no"
DEADLINE_S = 5.0  # a deadline for something that happens at once, not a wait


@pytest.fixture
async def sqlite_chat(tmp_path: Path) -> AsyncIterator[Chat]:
    chat = await Chat.open(tmp_path)
    try:
        yield chat
    finally:
        await chat.close()


async def test_a_read_only_command_runs_while_a_writer_holds_the_lock(
    sqlite_chat: Chat,
) -> None:
    chat = sqlite_chat
    extra = CommandSet()
    ran = {"peek": asyncio.Event(), "poke": asyncio.Event()}

    @extra.command("peek", help="x", example="!peek", read_only=True)
    async def peek(ctx: Context) -> str:
        ran["peek"].set()
        return f"{await ctx.session.scalar(text('SELECT count(*) FROM person'))} people"

    @extra.command("poke", help="x", example="!poke")
    async def poke(ctx: Context) -> str:
        ran["poke"].set()
        return "poked"

    chat.app.dispatcher.registry = build_registry(extra)
    async with writing(chat.app.sessions) as writer:
        await writer.execute(text("SELECT 1"))  # BEGIN IMMEDIATE: the write lock is held
        reading = asyncio.create_task(chat.say(ANA, "!peek"))
        poking = asyncio.create_task(chat.say(ANA, "!poke"))
        await asyncio.wait_for(ran["peek"].wait(), DEADLINE_S)
        assert not ran["poke"].is_set()  # a writing command waits for the lock
        assert not reading.done()  # the claim and the answer's rows are writes, too
    assert "0 people" in await reading
    assert "poked" in await poking


async def test_a_read_only_command_is_still_answered_once(chat: Chat) -> None:
    first = await chat.say(ANA, "!help", event_id="$help")
    assert "`!tz" in first.reply
    assert (await chat.say(ANA, "!help", event_id="$help")).messages == []
