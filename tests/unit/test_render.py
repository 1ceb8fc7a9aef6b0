"""Each network gets text it can show: HTML for Matrix, plain text for a body or the
console, never Markdown backslash escapes."""

from __future__ import annotations

import io

from bot.messages import Outgoing
from bot.render import html, plain_text
from bot.text import code, escape
from bot.transport.console import ConsoleTransport


def test_plain_text_drops_markup_and_escapes_and_keeps_the_lines() -> None:
    text = (
        f"**Rooms of {escape('2026_spring*')}**\n"
        f"- R1 {escape('[UiO] <Oslo>')}: <https://uio.no/room>\n"
        f"- R2 [sign-up](https://example.org/s)\n"
        "\n"
        f"Join one with {code('!join R1')}."
    )
    assert plain_text(text) == (
        "Rooms of 2026_spring*\n"
        "- R1 [UiO] <Oslo>: https://uio.no/room\n"
        "- R2 sign-up (https://example.org/s)\n"
        "\n"
        "Join one with `!join R1`."
    )
    assert "<strong>" in html(text) and "&lt;Oslo&gt;" in html(text)


async def test_the_console_shows_plain_text() -> None:
    out = io.StringIO()
    console = ConsoleTransport("@you:example.org", stdin=io.StringIO(""), stdout=out,
                               interactive=False)
    await console.deliver(Outgoing(text=f"Saved **{escape('a_b')}**.", room="console"))
    assert out.getvalue() == "  Saved a_b.\n"


def test_a_line_after_a_list_is_a_paragraph_of_its_own_not_part_of_the_last_item() -> None:
    text = "**Days**\n- Day 1: Tue\n- Day 2: Wed\n  still day 2\nTimes are in UTC."
    assert plain_text(text) == (
        "Days\n- Day 1: Tue\n- Day 2: Wed\n  still day 2\n\nTimes are in UTC."
    )
    rendered = html(text)
    assert rendered.endswith("</ul>\n<p>Times are in UTC.</p>")
    assert "still day 2" in rendered.split("</ul>")[0]
