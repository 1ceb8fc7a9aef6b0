"""Encrypted messages that wait for their room keys (bot/transport/matrix_keys.py):
decrypted when the key comes, given up (and answered once a room) when it does not,
kept across a restart."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from nio import MegolmEvent

from bot.clock import FrozenClock
from bot.transport.matrix_keys import KEY_WAIT_S, STATE_WAITING, MatrixKeys

ROOM = "!r:uni.no"
ANA = "@ana:uni.no"
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def encrypted(n: int, sent: datetime = NOW) -> MegolmEvent:
    event = MegolmEvent.from_dict({
        "type": "m.room.encrypted", "event_id": f"$e{n}", "sender": ANA,
        "origin_server_ts": int(sent.timestamp() * 1000),
        "content": {"algorithm": "m.megolm.v1.aes-sha2", "ciphertext": "AwgA",
                    "device_id": "ANADEVICE", "sender_key": "key", "session_id": f"s{n}"},
    })
    assert isinstance(event, MegolmEvent)
    return event


class Crypto:
    """Decrypts the events whose keys `arrived` names; records the keys asked for."""

    def __init__(self) -> None:
        self.arrived: set[str] = set()
        self.asked: list[str] = []

    async def request_key(self, event: MegolmEvent) -> None:
        self.asked.append(event.event_id)

    def decrypt(self, event: MegolmEvent) -> Any | None:
        return f"decrypted {event.event_id}" if event.event_id in self.arrived else None


class Rooms:
    def is_direct(self, room_id: str, sender: str) -> bool:
        return False

    def forget_direct(self, user: str, room_id: str) -> None:
        raise AssertionError("with encryption on, a direct chat is never forgotten")


class State(dict[str, str | None]):
    async def get(self, key: str) -> str | None:  # type: ignore[override]
        return super().get(key)

    async def set(self, key: str, value: str | None) -> None:
        self[key] = value


def keys(crypto: Crypto, clock: FrozenClock, state: State) -> MatrixKeys:
    return MatrixKeys(crypto, Rooms(), clock, "@bot:uni.no",  # type: ignore[arg-type]
                      timedelta(minutes=10), state)  # type: ignore[arg-type]


async def test_a_message_waits_for_its_key_and_is_read_when_it_comes() -> None:
    crypto, clock, state = Crypto(), FrozenClock(NOW), State()
    waiting = keys(crypto, clock, state)
    assert await waiting.hold(ROOM, encrypted(1), None) is None
    assert crypto.asked == ["$e1"] and "$e1" in (state[STATE_WAITING] or "")
    assert await waiting.sweep() == []
    assert waiting.next_give_up_s() == KEY_WAIT_S
    crypto.arrived.add("$e1")
    assert await waiting.sweep() == [(ROOM, "decrypted $e1")]
    assert waiting.next_give_up_s() is None and state[STATE_WAITING] is None


async def test_a_key_that_never_comes_is_answered_once_a_room() -> None:
    crypto, clock, state = Crypto(), FrozenClock(NOW), State()
    waiting = keys(crypto, clock, state)
    for n in (1, 2):
        await waiting.hold(ROOM, encrypted(n), None)
    clock.advance(timedelta(seconds=KEY_WAIT_S))
    given_up = await waiting.sweep()
    assert len(given_up) == 1  # two messages, one answer in the room
    room, unreadable = given_up[0]
    assert room == ROOM and unreadable.unreadable and unreadable.key_missing
    assert unreadable.event_id == "$e1" and unreadable.sender == ANA


async def test_a_message_that_grows_too_old_while_waiting_is_given_up() -> None:
    crypto, clock, state = Crypto(), FrozenClock(NOW), State()
    waiting = keys(crypto, clock, state)
    waiting.key_wait_s = 3600.0
    await waiting.hold(ROOM, encrypted(1, sent=NOW - timedelta(minutes=9)), None)
    clock.advance(timedelta(minutes=2))  # 11 minutes old: past command_max_age_minutes
    [(_room, unreadable)] = await waiting.sweep()
    assert unreadable.key_missing


async def test_messages_too_old_or_from_before_the_first_start_are_not_waited_for() -> None:
    crypto, clock, state = Crypto(), FrozenClock(NOW), State()
    waiting = keys(crypto, clock, state)
    await waiting.hold(ROOM, encrypted(1, sent=NOW - timedelta(minutes=11)), None)
    await waiting.hold(ROOM, encrypted(2, sent=NOW - timedelta(minutes=1)), NOW)  # before start
    assert crypto.asked == [] and waiting.next_give_up_s() is None


async def test_what_waits_is_kept_across_a_restart() -> None:
    crypto, clock, state = Crypto(), FrozenClock(NOW), State()
    await keys(crypto, clock, state).hold(ROOM, encrypted(1), None)
    again = keys(crypto, clock, state)  # the next run, on the same database
    await again.load()
    crypto.arrived.add("$e1")
    assert await again.sweep() == [(ROOM, "decrypted $e1")]


async def test_a_saved_list_that_cannot_be_read_is_dropped() -> None:
    crypto, clock, state = Crypto(), FrozenClock(NOW), State()
    state[STATE_WAITING] = '[{"room": "!r:uni.no"}]'
    waiting = keys(crypto, clock, state)
    await waiting.load()
    assert waiting.next_give_up_s() is None
