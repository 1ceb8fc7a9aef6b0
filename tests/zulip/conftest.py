"""Fixtures for tests against the Zulip API double: the server and official clients."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
import zulip

from tests.zulip.double import ZulipDouble
from tests.zulip.fixtures import org, organizer_bot, zulip_bot, zulip_processes
from tests.zulip.realm import User

__all__ = ["org", "organizer_bot", "zulip_bot", "zulip_processes"]  # the bot against the double

MakeClient = Callable[[User], zulip.Client]


@pytest.fixture
def double() -> Iterator[ZulipDouble]:
    """A fresh organization; heartbeats every second so long-polls end quickly."""
    server = ZulipDouble(longpoll_timeout_s=10.0, heartbeat_s=1.0).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def client_for(double: ZulipDouble) -> MakeClient:
    """The official `zulip` client logged in as a person of the double."""

    def make(user: User) -> zulip.Client:
        return zulip.Client(email=user.email, api_key=user.api_key, site=double.url,
                            client="classroom-bot-tests")

    return make
