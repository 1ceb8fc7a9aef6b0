"""User text stays literal in what the bot says: Markdown block syntax typed at the
start of a line (in a feedback answer, an announcement) builds no heading, list or
quote, and a character reference typed in a one-line field (`&#10;`) stays those
characters in the Matrix `body` and the console instead of becoming a line break.
A one-line field still refuses a raw line break, saying which field and how to use
the command."""

from __future__ import annotations

import html5lib
import pytest

from bot.transport.matrix_format import notice_content
from tests.chat import ORGANIZER, Chat

HOST, LEARNER = "@host:uni.no", "@learner:uni.no"
# Elements a reply may hold: its own paragraphs, lists, emphasis and code.
OURS = {"p", "ul", "li", "strong", "code", "br"}
MARKUP = "# Great day\n- more breaks\n> a quote\n1. one\n---\n```\n    code"


def elements(markdown: str) -> set[str]:
    body = html5lib.parse(notice_content(markdown)["formatted_body"],
                          namespaceHTMLElements=False).find("body")
    assert body is not None
    return {element.tag for element in body.iter()} - {"body"}


async def workshop(chat: Chat, name: str = "Oslo", org: str = "UiO") -> None:
    for who, text in [
        (ORGANIZER, "!workshop add 2026-spring title=Spring tz=Europe/Oslo "
                    "days=2026-03-02 time=10:00-15:00"),
        (HOST, f'!room add name="{name}" org="{org}" mode=online lang=en capacity=5 '
               "public=yes"),
        (LEARNER, "!join R1"),
    ]:
        answer = await chat.say(who, text)
        assert "⚠️" not in answer.reply, answer.reply


async def test_block_syntax_in_a_feedback_answer_stays_text(chat: Chat) -> None:
    await workshop(chat)
    await chat.say(LEARNER, "!feedback daily day=1")
    for text in ("1", "# Great day", MARKUP):
        await chat.say(LEARNER, text, direct=True)
    confirm = await chat.say(LEARNER, "skip", direct=True)
    assert elements(confirm.reply) <= OURS, confirm.reply
    assert "# Great day" in notice_content(confirm.reply)["body"]
    await chat.say(LEARNER, "yes", direct=True)
    summary = await chat.say(ORGANIZER, "!feedback summary daily day=1")
    assert elements(summary.reply) <= OURS, summary.reply
    body = notice_content(summary.reply)["body"].splitlines()
    assert "- # Great day" in body
    assert "- # Great day - more breaks > a quote 1. one --- ``` code" in body


async def test_a_character_reference_in_a_name_stays_on_its_line(chat: Chat) -> None:
    await workshop(chat, name="Oslo&#10;Room", org="UiO&#x0A;&amp;&#13;")
    for who, text in [(LEARNER, "!room R1"), (LEARNER, "!rooms"), (LEARNER, "!myroom")]:
        shown = notice_content((await chat.say(who, text)).reply)["body"]
        assert "Oslo&#10;Room" in shown, shown
        assert "Oslo\nRoom" not in shown and "UiO\n" not in shown
    card = notice_content((await chat.say(LEARNER, "!room R1")).reply)["body"]
    assert "- Organization: UiO&#x0A;&amp;&#13;" in card.splitlines()


async def test_an_announcement_is_sent_as_typed(chat: Chat) -> None:
    await workshop(chat)
    sent = await chat.say(ORGANIZER, "!announce learners " + MARKUP)
    [notice] = sent.notices[LEARNER]
    assert elements(notice) <= {"p", "br"}, notice
    assert notice_content(notice)["body"].endswith(":\n\n" + MARKUP)


async def test_a_refused_value_is_quoted_back_as_typed(chat: Chat) -> None:
    answer = await chat.say(LEARNER, "!tz **Mars**&#10;<b>Base</b>")
    body = notice_content(answer.reply)["body"]
    assert "'**Mars**&#10;<b>Base</b>' is not a time zone" in body, body
    assert "<strong>" not in notice_content(answer.reply)["formatted_body"]


@pytest.mark.parametrize("field", ["name", "org", "city", "who"])
async def test_a_one_line_field_refuses_every_kind_of_line_break(chat: Chat, field: str) -> None:
    await workshop(chat)
    for line_break in ("\n", "\r", "\r\n", "\u2028", "\u2029", "\x85"):
        answer = await chat.say(HOST, f'!room edit R1 {field}="Oslo{line_break}Room"')
        assert f"{field}=: must be on one line" in answer, (repr(line_break), answer.reply)
        assert "Usage: `!room edit" in answer
    assert "Organization: UiO" in await chat.say(LEARNER, "!room R1")
