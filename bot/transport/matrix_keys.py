"""Encrypted messages on Matrix the bot could not read when they came.

- Encryption on (`matrix_crypto`): nio decrypts what it holds the room key for
  before a batch is looked at. A message it cannot decrypt yet (a `MegolmEvent`)
  waits here: its key is asked for, and after every sync it is tried again (the
  key comes as a to-device `m.room_key`, or `m.forwarded_room_key` answering the
  request). Decrypted, it is handled like any message, the age limit included. One
  still unreadable `key_wait_s` after it came, or once it is older than
  `command_max_age_minutes`, is given up: the first given up in a room is answered
  there with what to do (an unreadable `Incoming` with `key_missing`), once a run.
  What waits is kept in TransportState too (the sync position moves on past
  it): after a restart it still waits, and a key that came meanwhile (to-device
  messages wait at the homeserver) decrypts it in the first batch.
- Encryption off: the first encrypted message of a room is handed on once as an
  unreadable `Incoming` (answered with the pointer to an unencrypted chat); an
  encrypted direct chat stops counting as direct, so what is private goes to a
  new, unencrypted one.

Messages older than the age limit, or from before the bot's first start, are
not waited for: they would not be answered either.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from nio import MegolmEvent

from bot.clock import Clock
from bot.db.state import StateStore
from bot.transport.base import Incoming
from bot.transport.matrix_crypto import MatrixCrypto
from bot.transport.matrix_policy import from_timestamp_ms, too_old
from bot.transport.matrix_rooms import MatrixRooms
from bot.transport.matrix_session import NETWORK, event_source

log = logging.getLogger(__name__)

ENCRYPTED = "m.room.encrypted"
# How long a message waits for its key: the sender's device shares it with the
# message, so a key that has not come within a minute is not coming.
KEY_WAIT_S = 60.0
STATE_WAITING = "waiting_for_keys"
# At most this many messages wait (the newest): a flood of unreadable ones costs nothing.
MAX_WAITING = 100


@dataclass
class _Waiting:
    room_id: str
    event: MegolmEvent
    seen_at: datetime
    sent_at: datetime | None


class MatrixKeys:
    """The messages of this run that wait for their room keys."""

    def __init__(self, crypto: MatrixCrypto | None, rooms: MatrixRooms, clock: Clock,
                 own_user_id: str, max_age: timedelta, state: StateStore) -> None:
        self.crypto = crypto
        self.state = state
        self.rooms = rooms
        self.clock = clock
        self.user_id = own_user_id
        self.max_age = max_age
        self.key_wait_s = KEY_WAIT_S
        self._waiting: dict[str, _Waiting] = {}  # event id -> the message
        self._answered: set[str] = set()  # rooms told this run that a message was unreadable

    @staticmethod
    def encrypted(event: Any) -> bool:
        """An event nio left encrypted (it could not, or does not, decrypt it)."""
        source = event_source(event)
        return source is not None and source.get("type") == ENCRYPTED

    async def hold(self, room_id: str, event: Any, not_before: datetime | None) -> Incoming | None:
        """An encrypted event of a room's timeline: kept, its key asked for (encryption
        on); or the unreadable message to answer (encryption off)."""
        source = event_source(event) or {}
        sender, event_id = source.get("sender"), source.get("event_id")
        if (not isinstance(sender, str) or sender == self.user_id
                or not isinstance(event_id, str) or event_id in self._waiting):
            return None
        sent_at = from_timestamp_ms(source.get("origin_server_ts"))
        if too_old(sent_at, self.clock.now(), self.max_age) or (
                not_before is not None and sent_at is not None and sent_at < not_before):
            return None
        if self.crypto is None:
            return self._unreadable(room_id, sender, event_id, sent_at, key_missing=False)
        if not isinstance(event, MegolmEvent):  # malformed, or another algorithm: no key helps
            log.warning("cannot decrypt %s in %s: not a Megolm message", event_id, room_id)
            return self._unreadable(room_id, sender, event_id, sent_at, key_missing=True)
        event.room_id = room_id  # a timeline event does not say; its key request does
        self._waiting[event_id] = _Waiting(room_id, event, self.clock.now(), sent_at)
        while len(self._waiting) > MAX_WAITING:
            del self._waiting[next(iter(self._waiting))]
        await self._save()
        log.info("%s from %s in %s waits for its room key", event_id, sender, room_id)
        try:
            await self.crypto.request_key(event)
        except Exception as exc:  # the key may still come unasked: keep waiting
            log.warning("could not ask for the room key of %s: %s", event_id, exc)
        return None

    async def load(self) -> None:
        """What waited for its key when the bot last stopped (after login: the device's
        store is loaded). Anything unreadable in the saved list is dropped."""
        if self.crypto is None:
            return
        try:
            saved = json.loads(await self.state.get(STATE_WAITING) or "[]")
            for item in saved:
                event = MegolmEvent.from_dict(item["event"])
                if isinstance(event, MegolmEvent):
                    event.room_id = item["room"]
                    self._waiting[event.event_id] = _Waiting(
                        item["room"], event, datetime.fromisoformat(item["seen"]),
                        from_timestamp_ms(event.source.get("origin_server_ts")))
        except (ValueError, TypeError, KeyError) as exc:
            log.warning("dropping the saved messages that waited for their keys: %s", exc)
        if self._waiting:
            log.info("%d messages still wait for their room keys", len(self._waiting))

    async def _save(self) -> None:
        saved = [{"room": w.room_id, "event": w.event.source, "seen": w.seen_at.isoformat()}
                 for w in self._waiting.values()]
        await self.state.set(STATE_WAITING, json.dumps(saved) if saved else None)

    async def sweep(self) -> list[tuple[str, Any]]:
        """After a sync: the waiting messages now decrypted (room id, nio's event), and
        the unreadable `Incoming` for a room where one was given up."""
        if self.crypto is None or not self._waiting:
            return []
        found: list[tuple[str, Any]] = []
        now = self.clock.now()
        for event_id, waiting in list(self._waiting.items()):
            decrypted = self.crypto.decrypt(waiting.event)
            if decrypted is not None:
                log.info("%s decrypted: its room key came", event_id)
                del self._waiting[event_id]
                found.append((waiting.room_id, decrypted))
            elif ((now - waiting.seen_at).total_seconds() >= self.key_wait_s
                  or too_old(waiting.sent_at, now, self.max_age)):
                del self._waiting[event_id]
                log.warning("giving up on %s in %s: its room key never came",
                            event_id, waiting.room_id)
                unreadable = self._unreadable(waiting.room_id, waiting.event.sender,
                                              event_id, waiting.sent_at, key_missing=True)
                if unreadable is not None:
                    found.append((waiting.room_id, unreadable))
        if found:
            await self._save()
        return found

    def next_give_up_s(self) -> float | None:
        """Seconds until a waiting message is given up (the sync's long-poll ends by
        then); None while nothing waits."""
        if not self._waiting:
            return None
        now = self.clock.now()
        return max(0.0, min(
            self.key_wait_s - (now - waiting.seen_at).total_seconds()
            for waiting in self._waiting.values()
        ))

    def _unreadable(self, room_id: str, sender: str, event_id: str, sent_at: datetime | None,
                    *, key_missing: bool) -> Incoming | None:
        """The unreadable message to answer: the first of a room in this run."""
        if room_id in self._answered:
            return None
        self._answered.add(room_id)
        direct = self.rooms.is_direct(room_id, sender)
        if not key_missing:
            log.warning("%s is encrypted; the bot cannot read it (matrix.encryption is off)",
                        room_id)
            if direct:
                self.rooms.forget_direct(sender, room_id)
        return Incoming(network=NETWORK, sender=sender, room=room_id, body="",
                        is_direct=direct, event_id=event_id, sent_at=sent_at,
                        unreadable=True, key_missing=key_missing)
