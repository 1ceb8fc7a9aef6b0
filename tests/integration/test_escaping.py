"""HTML and Markdown typed into every stored text field stay inert wherever they are
shown: chat replies as Matrix renders them (formatted_body), the rooms export in
Markdown and CSV, the public web page and its CSV, and feedback answers in the
summary and the export."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.transport.matrix_format import notice_content
from tests.chat import ORGANIZER, Chat
from tests.web import web_client

HOST, LEARNER = "@host:uni.no", "@learner:uni.no"
# Under 100 characters: it fits every text column (the city holds 100).
PAYLOAD = "<script>alert(1)</script><img src=x onerror=alert(2)>**b** [l](javascript:alert(3))"
URL = "https://example.org/x**b**_i_[a](javascript:alert(5))"
# What must never appear in HTML someone's client or browser renders.
# (The web page has a script of its own: only the typed one counts.)
LIVE = re.compile(r"<script>alert|<img|href=['\"]?javascript:", re.IGNORECASE)


def inert(html: str) -> bool:
    return LIVE.search(html) is None


@pytest.fixture
async def hostile(tmp_path: Path) -> AsyncIterator[Chat]:
    chat = await Chat.open(tmp_path)
    quoted = PAYLOAD
    for who, text in [
        (ORGANIZER, f'!workshop add 2026-spring title="{quoted}" tz=Europe/Oslo '
                    f"days=2026-03-02 time=10:00-15:00 stream={URL} notes={URL}"),
        (ORGANIZER, f"!onboarding add 2026-03-02 12:00 link={URL}"),
        (HOST, f'!room add name="{quoted}" org="{quoted}" mode=in-person city="{quoted}" '
               f'country=NO lang=en capacity=5 public=yes venue="{quoted}" '
               f'who="{quoted}" signup={URL}'),
        (LEARNER, "!join R1"),
    ]:
        answer = await chat.say(who, text)
        assert "⚠️" not in answer.reply, answer.reply
    try:
        yield chat
    finally:
        await chat.close()


async def test_replies_render_the_typed_html_as_text(hostile: Chat) -> None:
    said: list[str] = []
    for who, text in [
        (ORGANIZER, "!room R1"), (ORGANIZER, "!rooms"), (ORGANIZER, "!workshop"),
        (ORGANIZER, "!workshops"), (HOST, "!myroom"), (HOST, "!room roster R1"),
        (ORGANIZER, "!stats"), (LEARNER, "!onboarding"), (LEARNER, "!myroom"),
        (ORGANIZER, "!announce all " + PAYLOAD),
    ]:
        answer = await hostile.say(who, text)
        said += [answer.reply, *(t for texts in answer.notices.values() for t in texts)]
    assert sum("alert(1)" in text for text in said) >= 6  # the payload is shown...
    for text in said:
        html = notice_content(text)["formatted_body"]
        assert inert(html), html  # ...as text
    assert any("&lt;script&gt;alert(1)" in notice_content(t)["formatted_body"] for t in said)


async def test_exports_and_the_web_page_keep_it_inert(hostile: Chat) -> None:
    markdown = (await hostile.say(ORGANIZER, "!rooms export md")).messages[0].attachment
    table = (await hostile.say(ORGANIZER, "!rooms export csv")).messages[0].attachment
    assert markdown is not None and table is not None
    assert inert(markdown.data.decode()) and "alert(1)" in markdown.data.decode()
    cells = [cell for row in csv.reader(io.StringIO(table.data.decode())) for cell in row]
    assert PAYLOAD in cells

    async with web_client(hostile) as client:
        page = await (await client.get("/")).text()
        data = await (await client.get("/rooms.csv")).text()
    assert "alert(1)" in page and inert(page)
    assert PAYLOAD in [c for row in csv.reader(io.StringIO(data)) for c in row]


async def test_feedback_answers_stay_text_in_the_summary_and_the_export(hostile: Chat) -> None:
    await hostile.say(LEARNER, "!feedback daily day=1")
    for text in ("1", PAYLOAD, "=cmd|' /C calc'!A0", "skip", "yes"):
        await hostile.say(LEARNER, text, direct=True)
    summary = await hostile.say(ORGANIZER, "!feedback summary daily day=1")
    assert "alert(1)" in summary.reply
    assert inert(notice_content(summary.reply)["formatted_body"])
    export = (await hostile.say(ORGANIZER, "!feedback export daily")).messages[0].attachment
    assert export is not None
    rows = list(csv.DictReader(io.StringIO(export.data.decode())))
    assert rows[0]["good"] == PAYLOAD and rows[0]["improve"] == "'=cmd|' /C calc'!A0"
