"""End-to-end fixtures: a real Synapse on loopback, real nio clients, the real bot.

- Every test in this folder is marked `e2e` (`pytest -m "not e2e"` skips them).
- `homeserver`: one Synapse for the whole session (rate limits raised), in a
  temporary directory. Without the `synapse` package the tests are skipped,
  or fail when the environment variable CI is set (CI must not go green by
  skipping them).
- `make_user()`: a registered person with a logged-in nio client
  (`ChatUser`): `say`, `send_raw`, `expect_reply`, `wait_until`, `history`.
  Users never call /login: their tokens come from registration.
- `make_bot()`: the whole bot in-process (App + MatrixTransport, SQLite file in
  tmp_path, password login), started as an asyncio task (`BotRunner`, in
  bots.py); every bot still running is stopped at the end of the test. Tests
  that kill or signal the bot run it as a process (`BotProcess`, process.py).
  Both run with `matrix.encryption` off unless a test asks for it
  (`make_bot(encryption=True)`), so people with plain clients can read the
  direct chats the bot opens; tests/e2e/encrypted.py has people whose clients
  encrypt.
- Nothing waits with a fixed sleep for a result: waiting is syncing (a
  long-poll that returns as soon as something arrives) until a condition
  holds or a deadline passes.
"""

from __future__ import annotations

import asyncio
import importlib.util
import itertools
import json
import os
import time
import urllib.request
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote

import pytest
from nio import (
    AsyncClient,
    AsyncClientConfig,
    JoinResponse,
    RoomCreateResponse,
    RoomMessagesResponse,
    RoomPreset,
    RoomSendResponse,
    RoomVisibility,
    SyncResponse,
)

from tests.e2e.bots import BotRunner
from tests.e2e.homeserver import Homeserver, RegisteredUser
from tests.e2e.process import BOT_PASSWORD
from tests.zulip.fixtures import org, organizer_bot, zulip_bot, zulip_processes

__all__ = ["org", "organizer_bot", "zulip_bot", "zulip_processes"]  # the Zulip suite's fixtures

T = TypeVar("T")

HERE = Path(__file__).resolve().parent
# Long-polls of the test clients; short, so a deadline is checked often.
USER_SYNC_MS = 1_000
DEFAULT_TIMEOUT_S = 15.0

_counter = itertools.count(1)
_TIMINGS: list[tuple[str, str, float]] = []


@pytest.hookimpl(tryfirst=True)  # before tests/conftest.py counts the e2e tests
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.e2e)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if _TIMINGS:
        terminalreporter.section("e2e timings")
        for test, label, value in _TIMINGS:
            terminalreporter.write_line(f"{test}: {label}: {value:.2f}")


@pytest.fixture
def timing(request: pytest.FixtureRequest) -> Callable[[str, float], None]:
    """Record a measurement (label with its unit); printed in the "e2e timings" section."""

    def record(label: str, seconds: float) -> None:
        _TIMINGS.append((request.node.name, label, seconds))

    return record


def require_synapse() -> None:
    """Skip without Synapse, except on CI, where a missing homeserver is a failure."""
    if importlib.util.find_spec("synapse") is None:
        message = "matrix-synapse is not installed (pip install -e '.[test]')"
        if os.environ.get("CI") or os.environ.get("CLASSROOM_BOT_REQUIRE_E2E"):
            pytest.fail(message)
        pytest.skip(message)


def start_homeserver(workdir: Path, *, default_rate_limits: bool = False) -> Homeserver:
    require_synapse()
    server = Homeserver(workdir, default_rate_limits=default_rate_limits)
    server.start()
    return server


@pytest.fixture(scope="session")
def homeserver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Homeserver]:
    server = start_homeserver(tmp_path_factory.mktemp("synapse"))
    try:
        yield server
    finally:
        server.stop()


def unique(prefix: str) -> str:
    """A localpart not used before in this session (the homeserver outlives tests)."""
    return f"{prefix}-{next(_counter)}-{uuid.uuid4().hex[:6]}"


# -- people ------------------------------------------------------------------


def reply_target(event: dict[str, Any]) -> str | None:
    """The event id an event replies to, if any."""
    relates = event.get("content", {}).get("m.relates_to")
    if not isinstance(relates, dict):
        return None
    in_reply_to = relates.get("m.in_reply_to")
    return in_reply_to.get("event_id") if isinstance(in_reply_to, dict) else None


class ChatUser:
    """A person on the test homeserver, driving a real nio client."""

    def __init__(
        self, server: Homeserver, account: RegisteredUser, client: AsyncClient | None = None
    ) -> None:
        self.server = server
        self.account = account
        self.user_id = account.user_id
        if client is None:
            # A short retry cap: after a homeserver restart this client must notice quickly.
            config = AsyncClientConfig(max_timeout_retry_wait_time=1, request_timeout=10)
            client = AsyncClient(server.url, account.user_id, config=config)
            client.restore_login(account.user_id, account.device_id, account.access_token)
        self.client = client
        self.events: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.invites: dict[str, list[dict[str, Any]]] = {}

    async def close(self) -> None:
        await self.client.close()

    async def sync(self, timeout_ms: int = USER_SYNC_MS) -> None:
        """One sync; remembers every state and timeline event and every invite seen."""
        response = await asyncio.wait_for(
            self.client.sync(timeout=timeout_ms), timeout=timeout_ms / 1000 + 20
        )
        assert isinstance(response, SyncResponse), response
        for room_id, info in response.rooms.join.items():
            for event in [*info.state, *info.timeline.events]:
                source = getattr(event, "source", None)
                if isinstance(source, dict):
                    self.events[room_id].append(source)
        for room_id, invite in response.rooms.invite.items():
            # nio pops `content` out of invite member events' source; put it back.
            self.invites[room_id] = [
                {**e.source, "content": getattr(e, "content", e.source.get("content"))}
                for e in invite.invite_state
                if isinstance(getattr(e, "source", None), dict)
            ]

    async def wait_until(
        self, found: Callable[[], T | None], what: str, within: float = DEFAULT_TIMEOUT_S
    ) -> T:
        """Sync until `found()` returns something truthy, or fail after `within` seconds."""
        deadline = time.monotonic() + within
        while True:
            value = found()
            if value:
                return value
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                pytest.fail(f"{self.user_id}: no {what} within {within:.0f} s")
            await self.sync(timeout_ms=max(1, min(USER_SYNC_MS, int(remaining * 1000))))

    async def create_room(
        self, invite: tuple[str, ...] = (), *, direct: bool = False, public: bool = False
    ) -> str:
        if direct:
            preset = RoomPreset.trusted_private_chat
        else:
            preset = RoomPreset.public_chat if public else RoomPreset.private_chat
        response = await self.client.room_create(
            visibility=RoomVisibility.private, is_direct=direct, preset=preset, invite=list(invite)
        )
        assert isinstance(response, RoomCreateResponse), response
        return str(response.room_id)

    async def join(self, room_id: str) -> None:
        response = await self.client.join(room_id)
        assert isinstance(response, JoinResponse), response

    async def send_raw(
        self, room_id: str, content: dict[str, Any], event_type: str = "m.room.message"
    ) -> str:
        response = await self.client.room_send(room_id, event_type, content)
        assert isinstance(response, RoomSendResponse), response
        return str(response.event_id)

    async def say(
        self, room_id: str, text: str, *, html: str | None = None, thread_root: str | None = None
    ) -> str:
        """Send a text message (optionally with HTML, or inside a thread); its event id."""
        content: dict[str, Any] = {"msgtype": "m.text", "body": text}
        if html is not None:
            content.update(format="org.matrix.custom.html", formatted_body=html)
        if thread_root is not None:
            content["m.relates_to"] = {
                "rel_type": "m.thread",
                "event_id": thread_root,
                "is_falling_back": True,
                "m.in_reply_to": {"event_id": thread_root},
            }
        return await self.send_raw(room_id, content)

    def replies(self, room_id: str, to: str, sender: str) -> list[dict[str, Any]]:
        """Replies to `to` from `sender` seen so far by syncing."""
        seen: dict[str, dict[str, Any]] = {}
        for event in self.events[room_id]:
            if event.get("sender") == sender and reply_target(event) == to:
                seen[event["event_id"]] = event
        return list(seen.values())

    async def expect_reply(
        self, room_id: str, to: str, *, sender: str, within: float = DEFAULT_TIMEOUT_S
    ) -> dict[str, Any]:
        """Sync until `sender` replied to event `to`; the reply event."""
        replies = await self.wait_until(
            lambda: self.replies(room_id, to, sender), f"reply to {to} from {sender}", within
        )
        return replies[0]

    def membership(self, room_id: str, user_id: str) -> str | None:
        """The latest membership of `user_id` in `room_id` seen by syncing."""
        current = None
        for event in self.events[room_id]:
            if event.get("type") == "m.room.member" and event.get("state_key") == user_id:
                current = event.get("content", {}).get("membership")
        return current

    async def wait_for_membership(
        self, room_id: str, user_id: str, membership: str, within: float = DEFAULT_TIMEOUT_S
    ) -> None:
        await self.wait_until(
            lambda: self.membership(room_id, user_id) == membership,
            f"{membership} of {user_id} in {room_id}",
            within,
        )

    async def history(self, room_id: str) -> list[dict[str, Any]]:
        """Every event of the room from the server (not just what syncs showed), oldest first."""
        await self.sync(timeout_ms=0)  # paginate from now, not from the last sync
        events: list[dict[str, Any]] = []
        token = self.client.next_batch
        for _page in range(50):
            response = await self.client.room_messages(room_id, start=token, limit=100)
            assert isinstance(response, RoomMessagesResponse), response
            events.extend(e.source for e in response.chunk)
            if not response.chunk or not response.end:
                break
            token = response.end
        events.reverse()
        return events

    async def replies_in_history(self, room_id: str, to: str, sender: str) -> list[dict[str, Any]]:
        """Replies to `to` from `sender` in the room's whole history."""
        history = await self.history(room_id)
        assert any(e.get("event_id") == to for e in history), f"{to} is not in the history"
        return [e for e in history if e.get("sender") == sender and reply_target(e) == to]


@pytest.fixture
async def make_user(homeserver: Homeserver) -> AsyncIterator[Callable[..., Awaitable[ChatUser]]]:
    users: list[ChatUser] = []

    async def make(name: str = "user", server: Homeserver | None = None) -> ChatUser:
        target = server or homeserver
        user = ChatUser(target, target.register(unique(name)))
        await user.sync(timeout_ms=0)
        users.append(user)
        return user

    yield make
    for user in users:
        await user.close()


# -- the bot -------------------------------------------------------------------

@pytest.fixture
async def make_bot(
    homeserver: Homeserver, tmp_path: Path
) -> AsyncIterator[Callable[..., Awaitable[BotRunner]]]:
    """Register a bot account and start the bot (`start=False` to only prepare it)."""
    bots: list[BotRunner] = []

    async def make(
        *, server: Homeserver | None = None, start: bool = True, **options: Any
    ) -> BotRunner:
        target = server or homeserver
        account = target.register(unique("bot"), password=BOT_PASSWORD)
        runner = BotRunner(target, account, tmp_path / f"bot-{len(bots)}.db", **options)
        bots.append(runner)
        if start:
            await runner.start()
        return runner

    yield make
    for runner in bots:
        if runner.running:
            await runner.stop()


async def poll_until(
    check: Callable[[], Awaitable[bool]], what: str, within: float = DEFAULT_TIMEOUT_S
) -> None:
    """Ask `check()` every 50 ms until it says yes, or fail after `within` seconds.

    For facts no sync shows (the admin API's view of a room nobody is left in).
    """
    deadline = time.monotonic() + within
    while not await check():
        if time.monotonic() >= deadline:
            pytest.fail(f"no {what} within {within:.0f} s")
        await asyncio.sleep(0.05)  # the polling interval, not a wait for the result


async def _room_with(user: ChatUser, bot: BotRunner, *, direct: bool = False) -> str:
    room_id = await user.create_room((bot.user_id,), direct=direct)
    await user.wait_for_membership(room_id, bot.user_id, "join")
    return room_id


@pytest.fixture
def room_with() -> Callable[..., Awaitable[str]]:
    """`await room_with(user, bot, direct=False)`: a room created by `user` with the bot
    invited; returns once the bot has joined."""
    return _room_with


def _http(server: Homeserver, token: str, method: str, path: str,
          body: dict[str, Any] | None = None) -> dict[str, Any]:
    request = urllib.request.Request(
        f"{server.url}{path}",
        method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(request, timeout=10) as response:
        result: dict[str, Any] = json.load(response)
        return result


def limit_messages(server: Homeserver, user_id: str, *, per_second: int = 1,
                   burst: int = 10) -> None:
    """Synapse's message rate limit (`rc_message`) for one account, by its admin API: the
    default burst of 10 and, instead of the default 0.2 messages a second, `per_second`
    (whole numbers only). The same limiter and the same 429s as the default, at a pace
    that keeps a test short, on the session's homeserver (no second Synapse)."""
    admin = server.register(unique("admin"), admin=True)
    _http(server, admin.access_token, "POST",
          f"/_synapse/admin/v1/users/{quote(user_id)}/override_ratelimit",
          {"messages_per_second": per_second, "burst_count": burst})


@pytest.fixture
def http() -> Callable[..., dict[str, Any]]:
    """`http(server, token, method, path, body=None)`: a client-API or admin-API call."""
    return _http
