"""Chat networks as the rest of the bot knows them: data, one registration each.

The configuration, the commands and the app name no network. Each network
registers itself once, in its own file in bot/transport/ (the built-in ones are
listed in `bot.transport.BUILT_IN`), with everything that differs between
networks outside its transport:

- its section of the configuration file (`[name]`, a frozen dataclass the loader
  walks), its secrets' environment variables and what `run` needs of it;
- the form of its people's user ids (what a command accepts as a person there)
  and how a person is written in a command, which usage lines and examples show
  to someone asking on that network;
- who organizes there, whether it posts the daily question as a poll;
- how its transport is built (imported only when `run` uses it).

What only some transports can do (power levels, deciding organizers, sync
health, actions) are typed protocols in bot/transport/capabilities.py.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.clock import Clock
    from bot.config_sections import Settings
    from bot.db.state import StateStore
    from bot.transport.base import Transport, VoteHandler


@dataclass(frozen=True)
class Needed:
    """Keys of a network's section of which `run` needs at least one set (`keys`
    naming a login: a password or an access token); `hint` says where to find it."""

    keys: tuple[str, ...]
    hint: str = ""


@dataclass(frozen=True)
class Wiring:
    """What the app hands a network's transport factory."""

    settings: Settings
    section: Any
    state: StateStore
    clock: Clock
    on_vote: VoteHandler


@dataclass(frozen=True)
class Network:
    name: str
    # How the network is called in words ("a person on {title}").
    title: str
    # The user ids of its people, as the bot stores them (a transport turns a
    # mention into one); `values.UserId` accepts an id of any registered form.
    user_id: re.Pattern[str]
    id_example: str
    # A person in a command: in usage lines, and in examples and hints.
    person_usage: str
    person_example: str
    # Its rooms' ids, where the configuration names one (`bot.organizers_room`).
    room_id: re.Pattern[str] | None = None
    room_example: str = ""
    # Its `[name]` section of the configuration; None: it is not configured by file.
    section: type | None = None
    # Keys of the section that are secrets -> the environment variable that may hold it.
    secrets: Mapping[str, str] = field(default_factory=dict)
    needed: tuple[Needed, ...] = ()
    # What a section needs for `run`, in words, for a file naming no network.
    login: str = ""
    # The organizers its section lists: user ids of the network where given as one
    # (those are told things), other forms as given (e-mail addresses).
    organizers: Callable[[Any], tuple[str, ...]] = lambda section: ()
    # Whether the section asks for the daily question as a poll.
    polls: Callable[[Any], bool] = lambda section: False
    # Whether the section names a room for the status board (`BOARD_ROOM`).
    board: Callable[[Any], bool] = lambda section: False
    transport: Callable[[Wiring], Transport] | None = None

    def fits(self, user_id: str) -> bool:
        """Whether `user_id` names a person of this network."""
        return self.user_id.fullmatch(user_id) is not None

    def usage(self, text: str) -> str:
        """A usage line with its `{person}` as this network's usage writes one."""
        return text.replace(PERSON, self.person_usage)

    def example(self, text: str) -> str:
        """An example or a hint with its `{person}` as someone of this network types one."""
        return text.replace(PERSON, self.person_example)


# Where a declared usage, example or hint names a person: written out per network.
PERSON = "{person}"

_registered: dict[str, Network] = {}
_loaded = False


def register(network: Network) -> Network:
    """Add a network (once per name; registering the same one again is harmless)."""
    known = _registered.get(network.name)
    if known is not None and known != network:
        raise ValueError(f"a different network is registered as {network.name!r} already")
    _registered[network.name] = network
    return network


def unregister(name: str) -> None:
    """Forget a network registered by `register` (a test's own network)."""
    _registered.pop(name, None)


def _load_built_in() -> None:
    global _loaded
    if not _loaded:
        _loaded = True
        import importlib

        from bot.transport import BUILT_IN  # the package's __init__ only: no network library

        for module in BUILT_IN:
            importlib.import_module(module)


def get(name: str) -> Network:
    """The network registered as `name`; LookupError if none is."""
    _load_built_in()
    try:
        return _registered[name]
    except KeyError:
        raise LookupError(f"no chat network {name!r} is registered") from None


def every() -> tuple[Network, ...]:
    _load_built_in()
    return tuple(_registered.values())


def configured(settings: Settings) -> list[tuple[Network, Any]]:
    """The networks whose section the configuration holds, with that section."""
    return [(network, settings.networks[network.name]) for network in every()
            if network.name in settings.networks]


def owner_of(user_id: str) -> Network | None:
    """The first registered network whose ids look like `user_id`."""
    return next((network for network in every() if network.fits(user_id)), None)
