"""The web side over a chat: a workshop with listed and unlisted rooms, and an HTTP
client for the web server of the same app (aiohttp's test server, on 127.0.0.1)."""

from __future__ import annotations

import re
from datetime import timedelta

from aiohttp.test_utils import TestClient, TestServer

from bot.db.engine import create_reader_sessionmaker
from bot.web import server
from bot.web.pages import Pages
from tests.chat import ORGANIZER, Chat

HOST = "@host:example.org"
OTHER_HOST = "@host:example.org.evil"
SCRIPT_NAME = "<script>alert(1)</script> Lab"


async def set_up_workshop(chat: Chat) -> None:
    """`2026-spring` (current) with four rooms: R1 Oslo (en), R2 online (de), R3 unlisted,
    R4 named like a script tag; plus `2026-autumn` with one room."""
    await chat.say(
        ORGANIZER,
        "!workshop add 2026-spring title=\"Spring workshop\" tz=Europe/Stockholm "
        "days=2026-03-17,2026-03-18 time=10:00-15:00 stream=https://stream.example.org/live",
    )
    for line in (
        "!room add name=\"Oslo room\" org=UiO mode=in-person city=Oslo country=Norway lang=en "
        "capacity=20 public=yes venue=\"Secret street 1\" who=\"UiO staff\" "
        "signup=https://uio.example.org/signup",
        "!room add name=\"Online room\" org=TUM mode=online country=Germany lang=de capacity=5 "
        "public=yes venue=https://video.example.org/secret-link",
        "!room add name=\"Hidden room\" org=Hush mode=in-person city=Bergen country=Norway lang=en "
        "capacity=5 public=no",
        f"!room add name=\"{SCRIPT_NAME}\" org=Evil mode=online lang=en capacity=5 public=yes",
    ):
        # One host may register 3 rooms (rooms.max_per_person): a second one adds R4.
        answer = await chat.say(HOST if "Evil" not in line else OTHER_HOST, line)
        assert "Registered" in answer.reply, answer.reply
    await chat.say(
        ORGANIZER,
        "!workshop add 2026-autumn title=Autumn tz=Europe/Oslo days=2026-10-20 time=09:00-12:00",
    )


def web_client(chat: Chat, *, sync_max_age: timedelta = timedelta(minutes=5)) -> TestClient:
    pages = Pages(
        create_reader_sessionmaker(chat.app.engine), chat.clock, chat.app.settings.bot.prefix,
        {chat.transport.network: chat.transport}, sync_max_age,
    )
    return TestClient(TestServer(server.build(pages), host="127.0.0.1"))


def sample(text: str, name: str, **labels: str) -> float:
    """One sample's value in Prometheus text (0 when absent)."""
    wanted = ",".join(f'{key}="{value}"' for key, value in labels.items())
    pattern = re.escape(name + (f"{{{wanted}}}" if labels else "")) + r" ([0-9.e+-]+)"
    found = re.search(pattern, text)
    return float(found.group(1)) if found else 0.0
