"""Declaring a conversation kind, the way a command is declared (aiogram's FSM,
python-telegram-bot's ConversationHandler).

A kind is declared once, in its feature module's `KindSet`:

    kinds = KindSet()
    kinds.add(Kind(name="forget-me", called=..., question=..., help=..., start=...,
                   answer=..., closes_at=..., expired=...))

and the kind sets are mounted beside the command registry
(bot/commands/registry.py). The mechanism (bot/conversations/store.py, router.py)
knows kinds only through this declaration: it never imports a feature. A kind's
functions get what they need in a `Scene` (the session, settings, the time, the
person, what the conversation is about) and its own state (JSON), never the
router's internals; `answer` is a step: state + text -> `Step`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.db.models import Person
from bot.messages import Notice

# A kind's state: anything JSON can hold (None: not started yet).
State = Any


@dataclass(frozen=True)
class Subject:
    """What a conversation is about: its kind and, within it, a topic (a form's name),
    a workshop and day, and the room it counts for."""

    kind: str
    topic: str | None = None
    workshop_id: int | None = None
    day: int = 0
    room_id: int | None = None

    def same(self, other: Subject) -> bool:
        return (self.kind, self.topic, self.workshop_id, self.day) == (
            other.kind, other.topic, other.workshop_id, other.day)


@dataclass(frozen=True)
class Scene:
    """What a kind's functions are given."""

    session: AsyncSession
    settings: Settings
    now: datetime
    person: Person
    subject: Subject
    started_at: datetime
    chat: str | None = None  # the direct chat the message came from, if any


@dataclass(frozen=True)
class Step:
    """What one answer did: the new state (None: the conversation ended), what to say,
    and for the transport the notices and action of the answer. `gone`: the person no
    longer exists (forget-me), so nothing waiting of theirs starts."""

    text: str
    state: State
    ended: bool = False
    notices: tuple[Notice, ...] = ()
    action: str | None = None
    gone: bool = False


@dataclass(frozen=True)
class Kind:
    name: str
    # "the `daily` form about day 2", "confirming forget-me"
    called: Callable[[Subject], str]
    # The question the person is at.
    question: Callable[[Settings, Subject, State], str]
    help: Callable[[Settings, Subject], str]
    # Its start: the first state and what to say (the intro and the first question).
    start: Callable[[Scene], Awaitable[tuple[State, str]]]
    answer: Callable[[Scene, State, str], Awaitable[Step]]
    # When it can no longer be answered.
    closes_at: Callable[[Scene], Awaitable[datetime]]
    # What the person is told at their next message once it closed.
    expired: Callable[[Scene, datetime], str]
    # May a command be typed inside it (it stays open)? Else "finish or cancel first".
    commands_inside: bool = True
    # Does its subject still exist (a form taken out of the configuration)?
    exists: Callable[[Settings, Subject], bool] = lambda _settings, _subject: True


@dataclass
class KindSet:
    """The conversation kinds of one feature module; the dispatcher mounts several."""

    kinds: list[Kind] = field(default_factory=list)

    def add(self, kind: Kind) -> Kind:
        self.kinds.append(kind)
        return kind


class Kinds:
    """All mounted kinds, by name."""

    def __init__(self, sets: Iterable[KindSet]) -> None:
        self._by_name: dict[str, Kind] = {}
        for kind in (k for s in sets for k in s.kinds):
            if kind.name in self._by_name:
                raise ValueError(f"conversation kind {kind.name!r} declared twice")
            self._by_name[kind.name] = kind

    def get(self, name: str) -> Kind | None:
        return self._by_name.get(name)

    def __iter__(self) -> Iterator[Kind]:
        return iter(self._by_name.values())
