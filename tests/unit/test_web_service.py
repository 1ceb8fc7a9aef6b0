"""/healthz, /metrics, bad requests, and the web server as a component of the app."""

from __future__ import annotations

import asyncio
import dataclasses
import re
import urllib.request
from datetime import timedelta
from pathlib import Path

import pytest
from aiohttp import ClientSession

from bot import metrics
from bot.config import ConfigError, HttpSettings, from_mapping
from bot.messages import Incoming
from tests.chat import ORGANIZER, Chat
from tests.web import sample, set_up_workshop, web_client


async def scrape(chat: Chat) -> str:
    async with web_client(chat) as client:
        response = await client.get("/metrics")
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
        return await response.text()


async def test_metrics_count_handled_commands_by_command_and_outcome(chat: Chat) -> None:
    before = await scrape(chat)
    await chat.say("@ana:example.org", "!tz Europe/Oslo")
    await chat.say("@ana:example.org", "!tz Mars/Olympus")
    await chat.say("@ana:example.org", "!frobnicate @secret:example.org")
    after = await scrape(chat)
    name = "classroom_bot_commands_total"
    for outcome in ("ok", "refused"):
        delta = sample(after, name, command="tz", outcome=outcome) - sample(
            before, name, command="tz", outcome=outcome)
        assert delta == 1, outcome
    unknown = {"command": metrics.UNKNOWN_COMMAND, "outcome": "unknown"}
    assert sample(after, name, **unknown) - sample(before, name, **unknown) == 1
    # No user id, and nothing typed, in any label.
    assert "@" not in after and "frobnicate" not in after


async def test_metrics_count_reminders_by_status(chat: Chat) -> None:
    await set_up_workshop(chat)
    await chat.say("@ana:example.org", "!join R1")
    before = await scrape(chat)
    name = "classroom_bot_reminders"
    assert sample(before, name, status="pending") >= 1  # Ana's day-before reminder, at least
    assert sample(before, name, status="sent") == 0
    # After the forms' windows closed: whatever was due is now sent or, past the grace,
    # missed; the reminders before a window closes, found after it, skipped.
    chat.clock.advance(timedelta(days=30))
    await chat.app.reminders.run_due()
    after = await scrape(chat)
    assert sample(after, name, status="pending") == 0
    assert sample(after, name, status="skipped") >= 1
    statuses = ("pending", "sent", "missed", "skipped")
    total = sum(sample(before, name, status=s) for s in statuses)
    assert sum(sample(after, name, status=s) for s in statuses[1:]) == total


async def test_metrics_show_outbox_depth_failures_and_reply_latency(chat: Chat) -> None:
    await set_up_workshop(chat)
    chat.transport.refuse["!dm-@bo:example.org"] = "M_FORBIDDEN"
    before = await scrape(chat)
    # The answer to Bo's direct message fails for good.
    await chat.say("@bo:example.org", "!join R1", direct=True)
    message = Incoming(network=chat.transport.network, sender="@cy:example.org",
                       room="!community:example.org", body="!tz", is_direct=False,
                       event_id="$latency", sent_at=chat.clock.now() - timedelta(seconds=2))
    await (await chat.app.handle(message)).wait()
    histogram = "classroom_bot_reply_latency_seconds_count"
    deadline = asyncio.get_running_loop().time() + 5
    while sample(await scrape(chat), histogram) == sample(before, histogram):
        assert asyncio.get_running_loop().time() < deadline, "latency never observed"
        await asyncio.sleep(0.01)
    after = await scrape(chat)
    assert sample(after, "classroom_bot_reply_latency_seconds_sum") - sample(
        before, "classroom_bot_reply_latency_seconds_sum") >= 2
    failures = "classroom_bot_delivery_failures_total"
    network = chat.transport.network
    assert sample(after, failures, network=network) - sample(before, failures,
                                                             network=network) == 1
    assert "classroom_bot_outbox_pending 0.0" in after
    for defined in ("classroom_bot_reminders", "classroom_bot_rate_limited",
                    "classroom_bot_sync_failures"):
        assert f"# TYPE {defined}" in after


async def test_healthz_is_200_while_the_database_answers_and_503_when_it_does_not(
    tmp_path: Path,
) -> None:
    database = tmp_path / "bot.db"  # a SQLite file, which the test can take away
    chat = await Chat.open(tmp_path)
    async with web_client(chat) as client:
        healthy = await client.get("/healthz")
        assert healthy.status == 200
        assert await healthy.json() == {"status": "ok", "checks": {"database": "ok"}}
        # The database goes away: its file is replaced by something SQLite cannot open.
        await chat.app.engine.dispose()
        database.rename(tmp_path / "away.db")
        database.mkdir()
        try:
            sick = await client.get("/healthz")
            body = await sick.json()
        finally:
            database.rmdir()
            (tmp_path / "away.db").rename(database)
            await chat.close()
    assert sick.status == 503
    assert body["status"] == "unhealthy" and body["problems"]["database"].startswith("unreachable")


async def test_healthz_is_503_when_a_syncing_transport_has_not_synced_lately(chat: Chat) -> None:
    chat.transport.last_sync = None  # type: ignore[attr-defined]
    async with web_client(chat, sync_max_age=timedelta(minutes=5)) as client:
        starting = await (await client.get("/healthz")).json()
        chat.transport.last_sync = chat.clock.now()  # type: ignore[attr-defined]
        fresh = await client.get("/healthz")
        chat.clock.advance(timedelta(minutes=6))
        stale = await client.get("/healthz")
        stale_body = await stale.json()
    network = chat.transport.network
    assert starting["problems"] == {network: "not synced yet"}
    assert fresh.status == 200
    assert stale.status == 503 and stale_body["problems"] == {network: "last sync 360 s ago"}


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("POST", "/", 405),
        ("DELETE", "/rooms.json", 405),
        ("GET", "/no/such/page", 404),
        ("GET", "/Bad_Slug/", 404),
        ("GET", "/?q=" + "x" * 2000, 414),
        ("GET", "/?q=" + "x" * 20000, 400),
    ],
)
async def test_bad_requests_get_a_status_and_a_short_page(
    chat: Chat, method: str, path: str, status: int
) -> None:
    await set_up_workshop(chat)
    async with web_client(chat) as client:
        response = await client.request(method, path)
        text = await response.text()
    assert response.status == status
    assert "Traceback" not in text and len(text) < 3000
    if status == 405:
        assert response.headers["Allow"] == "GET, HEAD"


async def test_an_unexpected_error_is_a_500_page_with_a_reference(
    chat: Chat, monkeypatch: pytest.MonkeyPatch
) -> None:
    await set_up_workshop(chat)

    async def broken(*args: object) -> None:
        raise RuntimeError("secret internals")

    monkeypatch.setattr("bot.services.listing.public_rooms", broken)
    async with web_client(chat) as client:
        response = await client.get("/rooms.json")
        text = await response.text()
    assert response.status == 500
    assert re.search(r"reference [0-9a-f]{6}", text) and "secret internals" not in text


async def test_the_app_serves_the_web_side_where_configured_and_only_there(
    tmp_path: Path,
) -> None:
    (tmp_path / "none").mkdir()
    probe = await Chat.open(tmp_path / "none")  # without [http]: no server
    assert probe.app.web is None and all(c.name != "web server" for c in probe.app.components)
    await probe.close()
    settings = from_mapping({
        "bot": {"organizers": [ORGANIZER]},
        "database": {"url": f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"},
        "http": {"listen": "127.0.0.1:0"},
    })
    chat = await Chat.open(tmp_path, settings=settings)
    try:
        assert chat.app.web is not None
        [(host, port)] = chat.app.web.addresses
        assert host == "127.0.0.1"
        async with ClientSession() as session, session.get(
            f"http://127.0.0.1:{port}/healthz"
        ) as response:
            assert response.status == 200
    finally:
        await chat.close()
    with pytest.raises(OSError):  # stopped with the app
        await asyncio.to_thread(urllib.request.urlopen, f"http://127.0.0.1:{port}/healthz", None, 2)


@pytest.mark.parametrize("bad", ["8080", "localhost", "127.0.0.1:http", "127.0.0.1:70000"])
def test_a_bad_listen_address_is_a_configuration_problem(bad: str) -> None:
    with pytest.raises(ConfigError, match=r"http\.listen") as error:
        from_mapping({"http": {"listen": bad}})
    assert "HOST:PORT to serve the web side on, e.g. 127.0.0.1:8080" in str(error.value)


def test_the_web_side_is_off_by_default_and_in_the_example_configuration() -> None:
    assert HttpSettings().listen is None
    example = (Path(__file__).resolve().parents[2] / "config.example.toml").read_text()
    assert "[http]" in example and 'listen = "127.0.0.1:8080"' in example
    assert all(f.name in example for f in dataclasses.fields(HttpSettings))


async def test_metrics_count_the_http_429s_the_matrix_transport_meets() -> None:
    from nio import ErrorResponse

    from bot.db.engine import create_engine, create_sessionmaker
    from bot.db.state import StateStore
    from bot.transport.matrix_network import MatrixSettings
    from bot.transport.matrix_session import MatrixSession

    engine = create_engine("sqlite+aiosqlite://")  # never connected
    session = MatrixSession(
        MatrixSettings(homeserver="http://127.0.0.1:9", user_id="@bot:example.org"),
        StateStore(create_sessionmaker(engine), "matrix"),
    )
    answers = [ErrorResponse("Too many requests", "M_LIMIT_EXCEEDED", retry_after_ms=1), "sent"]

    async def request() -> object:
        return answers.pop(0)

    def met() -> float:
        found = metrics.REGISTRY.get_sample_value(
            "classroom_bot_rate_limited_total", {"network": "matrix"})
        return found or 0.0

    before = met()
    try:
        assert await session.call(request, pacer=session.send_pacer) == "sent"
    finally:
        await session.client.close()
        await engine.dispose()
    assert met() - before == 1
