"""The public room page in a real headless Chromium, served by the bot itself."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.config import from_mapping
from tests.chat import ORGANIZER, Chat
from tests.e2e.browser import chromium, dump_dom, screenshot
from tests.web import set_up_workshop

__all__ = ["chromium"]  # the fixture


@pytest.fixture
async def served(tmp_path: Path) -> AsyncIterator[tuple[Chat, str]]:
    """The whole bot with its web side on 127.0.0.1 (a free port), and the page's URL."""
    settings = from_mapping({
        "bot": {"organizers": [ORGANIZER]},
        "database": {"url": f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"},
        "http": {"listen": "127.0.0.1:0"},
    })
    chat = await Chat.open(tmp_path, settings=settings)
    try:
        await set_up_workshop(chat)
        assert chat.app.web is not None
        [(host, port)] = chat.app.web.addresses
        yield chat, f"http://{host}:{port}/"
    finally:
        await chat.close()


def cards(dom: str) -> dict[str, str]:
    """Room id -> the room's heading text as the browser has it in the DOM."""
    return dict(re.findall(r'<li id="(R\d+)">\s*<h3>(.*?)</h3>', dom))


async def test_the_browser_shows_the_consented_rooms_with_names_as_text(
    chromium: str, served: tuple[Chat, str]
) -> None:
    _chat, url = served
    dom = await dump_dom(chromium, url)
    shown = cards(dom)
    assert list(shown) == ["R1", "R2", "R4"]
    assert "Hidden room" not in dom
    # The script-like name is a text node: escaped in the DOM, no script element made of it.
    assert shown["R4"] == "&lt;script&gt;alert(1)&lt;/script&gt; Lab"
    assert dom.count("<script") == 1  # the page's own


async def test_the_filters_work_in_the_browser(chromium: str, served: tuple[Chat, str]) -> None:
    _chat, url = served
    assert list(cards(await dump_dom(chromium, url + "?mode=online"))) == ["R2", "R4"]
    assert list(cards(await dump_dom(chromium, url + "?lang=de&mode="))) == ["R2"]
    dom = await dump_dom(chromium, url + "?country=Norway")
    assert list(cards(dom)) == ["R1"]
    assert re.search(r'<option value="NO" selected="?"?>Norway \(NO\)</option>', dom)


async def test_times_show_in_the_visitors_zone_where_the_browser_allows(
    chromium: str, served: tuple[Chat, str]
) -> None:
    _chat, url = served
    tokyo = await dump_dom(chromium, url, zone="Asia/Tokyo")
    # 10:00 CET is 18:00 in Tokyo.
    assert "Day 1: Tue 17 Mar 10:00–15:00 CET" in tokyo
    assert re.search(r"your time: [^)]*18:00[^)]*GMT\+9", tokyo), tokyo[:200]
    assert "Your time zone: Asia/Tokyo." in tokyo
    stockholm = await dump_dom(chromium, url, zone="Europe/Stockholm")
    # The same zone: nothing to add.
    assert stockholm.count('<span class="visitor"></span>') == 2
    assert "Your time zone:" not in stockholm.split("<script>")[0]


async def test_a_phone_width_screenshot_is_saved(chromium: str, served: tuple[Chat, str]) -> None:
    _chat, url = served
    saved = await screenshot(chromium, url, "room-page-phone.png")
    assert saved.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
