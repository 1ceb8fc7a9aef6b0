"""Events from the homeserver are other people's data: any field may be missing,
of the wrong type, huge, or full of control characters. Property-based: reading
an event never raises, and keeps what it keeps well-typed; a 60 KB body is read
whole (the dispatcher refuses it, tests/integration/test_hostile_input.py).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.clock import FrozenClock
from bot.db.engine import create_engine, create_sessionmaker
from bot.db.state import StateStore
from bot.messages import Incoming
from bot.outbox.worker import Sent
from bot.transport.matrix_format import direct_rooms, read_text_message
from bot.transport.matrix_network import MatrixSettings
from bot.transport.matrix_policy import from_timestamp_ms
from bot.transport.matrix_rooms import MatrixRooms
from bot.transport.matrix_session import MatrixSession
from bot.transport.matrix_sync import MatrixSync
from bot.transport.supervisor import Supervisor

BOT = "@bot:uni.no"
ODD_TEXT = st.text(alphabet=st.characters(codec="utf-8", categories=None), max_size=40) | \
    st.sampled_from(["\x00", "\u202e!tz", "\u200f", "<b>!help</b>", "", " ", "!tz\x1b[2J"])
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | ODD_TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(ODD_TEXT, inner, max_size=3),
    max_leaves=8,
)


def maybe(value: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return value | JSON


CONTENT = st.fixed_dictionaries(
    {},
    optional={
        "msgtype": maybe(st.sampled_from(["m.text", "m.notice", "m.emote"])),
        "body": maybe(ODD_TEXT),
        "format": maybe(st.just("org.matrix.custom.html")),
        "formatted_body": maybe(st.sampled_from(
            ['<a href="https://matrix.to/#/@ana:uni.no">Ana</a>', "<b", "</a>", "&#xffffff;"])),
        "m.relates_to": maybe(st.fixed_dictionaries({}, optional={
            "rel_type": maybe(st.sampled_from(["m.thread", "m.replace"])),
            "event_id": maybe(st.just("$root")),
            "m.in_reply_to": maybe(st.fixed_dictionaries({"event_id": maybe(st.just("$x"))})),
        })),
    },
)
EVENT = st.fixed_dictionaries(
    {},
    optional={
        "type": maybe(st.sampled_from(["m.room.message", "m.room.encrypted"])),
        "event_id": maybe(st.just("$e1")),
        "sender": maybe(st.sampled_from(["@ana:uni.no", BOT])),
        "origin_server_ts": maybe(st.integers(-(2**70), 2**70)),
        "content": maybe(CONTENT),
    },
)


@settings(max_examples=300, deadline=None)
@given(event=EVENT | JSON)
def test_reading_an_odd_event_never_raises(event: Any) -> None:
    message = read_text_message(event, BOT)
    if message is not None:
        assert isinstance(message.body, str) and isinstance(message.event_id, str)
        assert isinstance(message.sender, str) and message.sender != BOT
        assert message.origin_server_ts is None or isinstance(message.origin_server_ts, int)
        assert message.thread_root is None or isinstance(message.thread_root, str)


@given(value=JSON)
def test_odd_timestamps_and_direct_lists_are_dropped_not_fatal(value: Any) -> None:
    stamp = from_timestamp_ms(value)
    assert stamp is None or stamp.tzinfo is not None
    for user, rooms in direct_rooms(value).items():
        assert isinstance(user, str) and all(isinstance(room, str) for room in rooms)


def test_a_60_kb_body_is_read_whole() -> None:
    body = "!room add name=" + "é\u202e<b>" * 20_000
    message = read_text_message({"type": "m.room.message", "event_id": "$big", "sender": "@a:b",
                                 "content": {"msgtype": "m.text", "body": body}}, BOT)
    assert message is not None and message.body == body


@dataclass
class Event:
    """What nio hands over: an object with the raw `source`."""

    source: Any


@pytest.fixture
async def sync() -> AsyncIterator[MatrixSync]:
    # Encryption off: no crypto store, and nothing waits for keys in the database.
    settings_ = MatrixSettings(homeserver="http://127.0.0.1:9", user_id=BOT, encryption=False)
    engine = create_engine("sqlite+aiosqlite://")  # not connected: nothing is stored here
    session = MatrixSession(settings_, StateStore(create_sessionmaker(engine), "matrix"))
    rooms = MatrixRooms(session, ())
    clock = FrozenClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    yield MatrixSync(session, rooms, Supervisor(base=0.1, cap=1.0), clock)
    await session.client.close()


@settings(max_examples=300, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # state only grows
@given(events=st.lists(EVENT | JSON, max_size=4))
def test_a_sync_takes_odd_events_and_room_state_without_raising(
    sync: MatrixSync, events: list[Any]
) -> None:
    """Before the fix an encrypted event with a text timestamp raised a TypeError here,
    which failed every sync from then on (the batch was fetched again and again)."""
    sync.rooms.note_state("!r:uni.no", [e for e in events if isinstance(e, dict)])
    for event in events:
        incoming = sync._incoming("!r:uni.no", Event(event))
        assert incoming is None or isinstance(incoming.body, str)


async def test_an_event_that_cannot_be_read_is_skipped_and_the_batch_goes_on(
    sync: MatrixSync, monkeypatch: pytest.MonkeyPatch
) -> None:
    def text(event_id: str) -> Event:
        return Event({"type": "m.room.message", "event_id": event_id, "sender": "@ana:uni.no",
                      "content": {"msgtype": "m.text", "body": "!tz"}})

    read = sync._incoming

    def odd(room_id: str, event: Any) -> Any:
        if event.source["event_id"] == "$odd":
            raise ValueError("a case nobody thought of")
        return read(room_id, event)

    monkeypatch.setattr(sync, "_incoming", odd)
    timeline = SimpleNamespace(events=[text("$odd"), text("$fine")], limited=False,
                               prev_batch=None)
    response = SimpleNamespace(
        account_data_events=[], rooms=SimpleNamespace(
            leave={}, invite={}, join={"!r:uni.no": SimpleNamespace(state=[],
                                                                    timeline=timeline)}))
    handled: list[str | None] = []

    async def handler(message: Incoming) -> Sent:
        handled.append(message.event_id)
        return Sent()

    await sync._process(response, handler, initial=False, full_state=False)
    assert handled == ["$fine"]
