"""Hostile input, property-based: arguments for every declared command, generated
from its declaration (bot/commands/framework.py: positional words, key=value
options, words, the rest of the line), so a new command is covered without a new
test. Values are plausible ones mixed with control characters, right-to-left
marks and overrides, zero-width characters, HTML, Markdown, quotes of every kind
phones type (in pairs and mismatched), phone dashes and text past the 4 KB limit.

Whatever is typed, by whom: no exception escapes (no "something went wrong",
nothing logged as an error), and an answer that is an error (a `UserError`) left
every table as it was (the event's claim and the answer's own row aside).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.commands.framework import Command
from bot.commands.params import Param
from bot.commands.registry import build_registry
from bot.config import LimitSettings
from bot.services import errors
from tests.chat import ORGANIZER, Chat
from tests.tables import dump

HOST, STRANGER = "@host:uni.no", "@stranger:uni.no"
QUOTE_MARKS = "\"'“”„«»‹›‚‘’"
# Each opening mark with a partner that closes it (bot/commands/tokens.py).
QUOTE_PAIRS = [
    ('"', '"'), ("“", "”"), ("„", "“"), ("„", "”"), ("”", "”"), ("«", "»"), ("»", "«"),
    ("»", "»"), ("‹", "›"), ("›", "‹"), ("'", "'"), ("‘", "’"), ("‚", "‘"), ("‚", "’"),
    ("’", "’"),
]
PHONE_DASHES = "—–‐‑−"
CONVERSATION = ("handled_event", "outbox_message")
NASTY = [
    "\x00", "\x07", "\x1b[31m", "\r", "\n", "\t", "\x7f", "\u200b", "\u200d", "\u200e",
    "\u200f", "\u202e", "\u2066", "\u2069", "\ufeff", "\U0001f600", "<script>alert(1)</script>",
    "<b>", "&amp;", "**bold**", "[x](javascript:alert(1))", "`", "|", "\\", '"', "'", "=",
    "@room", "=cmd|' /C calc'!A0", "ﷺ", "\u0301", "\ud800",
    # Quotes and dashes as phones and keyboards type them, and the spaces French puts
    # inside guillemets.
    *QUOTE_MARKS, *PHONE_DASHES, "\u00a0", "\u202f",
]
PLAUSIBLE = [
    "R1", "R2", "R99", "O1", "O7", "2026-spring", "2027-x", "@ana:uni.no", "@host:uni.no",
    "Europe/Oslo", "Mars/Base", "2026-03-11", "2026-02-30", "14:00", "25:61",
    "10:00-15:00", "15:00-10:00", "1-2", "all", "yes", "no", "on", "off", "online",
    "in-person", "daily", "debrief", "csv", "md", "0", "-1", "99999999999999999999", "1",
    "https://example.org/x", "javascript:alert(1)", "en", "German",
    "in—person", "2026–spring", "1–2", "2026–03–17", "10:00–15:00", "NO", "Norway", "norwy",
    "new zealand", "new york", "« Oslo »",
]


def hostile_text() -> st.SearchStrategy[str]:
    piece = st.one_of(st.sampled_from(NASTY), st.sampled_from(PLAUSIBLE),
                      st.text(max_size=8))
    return st.one_of(
        st.lists(piece, min_size=1, max_size=6).map("".join),
        st.builds(lambda p, n: p * n, st.sampled_from(["x", "é", "<b>", "\u202e"]),
                  st.integers(1000, 5000)),
    )


def value() -> st.SearchStrategy[str]:
    """A value, bare or in quotes: a matching pair, or any two marks (mismatched)."""
    raw = st.one_of(st.sampled_from(PLAUSIBLE), hostile_text())
    marks = st.one_of(st.sampled_from(QUOTE_PAIRS),
                      st.tuples(st.sampled_from(QUOTE_MARKS), st.sampled_from(QUOTE_MARKS)))
    return st.one_of(raw, st.builds(lambda v, pair: pair[0] + v + pair[1], raw, marks))


def for_param(param: Param) -> st.SearchStrategy[list[str]]:
    if param.kind == "option":
        return st.lists(value().map(lambda v: f"{param.key}={v}"), max_size=1)
    if param.kind == "words":
        return st.lists(value(), max_size=3)
    if param.kind == "rest":
        return st.lists(hostile_text(), max_size=1)
    return st.lists(value(), min_size=0 if not param.required else 1, max_size=1)


@st.composite
def typed(draw: st.DrawFn, command: Command) -> str:
    words = [command.name]
    for param in command.params:
        words += draw(for_param(param))
    words += draw(st.lists(value(), max_size=1))  # one too many, sometimes
    return "!" + " ".join(words)


COMMANDS = build_registry().commands


@pytest.fixture(scope="module")
def runner() -> Iterator[asyncio.Runner]:
    with asyncio.Runner() as loop:
        yield loop


@pytest.fixture(scope="module")
def chat(runner: asyncio.Runner, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Chat]:
    # Hundreds of commands from three people on a clock that stands still: without
    # the per-person limit (tests/unit/test_limits.py), or they would be dropped unread.
    chat = runner.run(Chat.open(tmp_path_factory.mktemp("hostile"),
                                limits=LimitSettings(commands_per_minute=0)))
    for who, text in [
        (ORGANIZER, "!workshop add 2026-spring title=Spring tz=Europe/Oslo "
                    "days=2026-03-17,2026-03-18 time=10:00-15:00"),
        (ORGANIZER, "!onboarding add 2026-03-10 14:00"),
        (HOST, "!room add name=Oslo org=UiO mode=online lang=no capacity=2 public=yes"),
    ]:
        runner.run(chat.say(who, text))
    yield chat
    runner.run(chat.close())


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c.name)
@settings(max_examples=8, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data(), who=st.sampled_from([ORGANIZER, HOST, STRANGER]))
def test_no_exception_escapes_and_an_error_changes_nothing(
    runner: asyncio.Runner, chat: Chat, caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch, command: Command, data: st.DataObject, who: str,
) -> None:
    text = data.draw(typed(command), label="typed")
    raised: list[str] = []
    original = errors.UserError.__init__

    def record(self: errors.UserError, message: str) -> None:
        raised.append(message)
        original(self, message)

    monkeypatch.setattr(errors.UserError, "__init__", record)
    caplog.clear()
    with caplog.at_level(logging.ERROR):
        before = runner.run(dump(chat.app.sessions, skip=CONVERSATION))
        answer = runner.run(chat.say(who, text))
        after = runner.run(dump(chat.app.sessions, skip=CONVERSATION))
    assert not caplog.records, caplog.text[-2000:]
    assert answer.reply and "went wrong" not in answer.reply
    if any(message[1:] and message[1:] in answer.reply for message in raised):
        assert after == before, (text, answer.reply)



@pytest.mark.parametrize("filler", ["x", "\u202e<b>*", "\x00\x1b"])
def test_a_60_kb_message_is_refused_for_every_command(
    runner: asyncio.Runner, chat: Chat, filler: str
) -> None:
    before = runner.run(dump(chat.app.sessions, skip=CONVERSATION))
    for command in COMMANDS:
        huge = f"!{command.name} " + filler * (60_000 // len(filler))
        answer = runner.run(chat.say(ORGANIZER, huge))
        assert "commands take at most 4 KB" in answer.reply, (command.name, answer.reply[:200])
        assert len(answer.reply) < 2_000  # the text is not echoed back
    # Someone with no conversation in progress (earlier tests may have started one).
    unknown = runner.run(chat.say(f"@fresh-{ord(filler[0])}:uni.no", filler * 60_000,
                                  direct=True))
    assert "I don't know the command" in unknown.reply and len(unknown.reply) < 2_000
    assert runner.run(dump(chat.app.sessions, skip=CONVERSATION)) == before


@pytest.mark.parametrize("text", ["!help \ud800", "!room add Caf\udce9 organization=O1",
                                  "\ud83d\ude00 \udfff"])
def test_a_lone_surrogate_is_answered_not_failed_on(
    runner: asyncio.Runner, chat: Chat, text: str
) -> None:
    """A JSON `\\ud800` escape in an event decodes to a lone surrogate, which no
    database driver stores: it is read as U+FFFD (a valid pair stays one character)."""
    answer = runner.run(chat.say(ORGANIZER, text, direct=True))
    assert answer.reply and "went wrong" not in answer.reply
