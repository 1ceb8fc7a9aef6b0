"""The Zulip transport the documented way, against the API double on 127.0.0.1:
hidden e-mail addresses, the server's message size, a `Retry-After` without a
JSON body, and a `register` answer without `max_message_id`."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from bot.transport.base import Outgoing
from bot.transport.pacing import Pacer
from bot.transport.zulip_api import ZulipApi, header_wait
from bot.transport.zulip_network import ZulipSettings
from bot.transport.zulip_people import Directory
from tests.zulip.bots import ZulipBot
from tests.zulip.double import ZulipDouble
from tests.zulip.people import Org
from tests.zulip.realm import ADMINS, MEMBERS, NOBODY, Message, User

WORKSHOP = ("!workshop add 2027-spring title=Spring tz=Europe/Oslo days=2027-03-17 "
            "time=10:00-15:00")


def settings_for(double: ZulipDouble, bot: User, **more: tuple[str, ...]) -> ZulipSettings:
    return ZulipSettings(site=double.url, email=bot.email, api_key=bot.api_key,
                         max_retry_wait_seconds=0.5, **more)


@pytest.fixture
async def directory(double: ZulipDouble) -> AsyncIterator[tuple[ZulipDouble, Directory]]:
    """The bot's view of the people, organizers named by real addresses."""
    bot = double.add_user("Classroom Bot", "classroom-bot@zulip.test", is_bot=True)
    settings = settings_for(double, bot, organizers=(
        "ana@uni.test", "eve@uni.test", "bo@uni.test"))
    api = ZulipApi(settings)
    try:
        yield double, Directory(api, settings)
    finally:
        await api.close()


async def test_an_organizer_by_real_address_is_one_when_the_api_shows_a_fake_email(
    directory: tuple[ZulipDouble, Directory],
) -> None:
    double, people = directory
    ana = double.add_user("Ana Lopez", "ana@uni.test", address_visibility=MEMBERS)
    bo = double.add_user("Bo Berg", "bo@uni.test")  # shows the address to everyone
    # Addresses that start or end like an organizer's are someone else.
    near = [double.add_user("Ana Lopez", address, address_visibility=MEMBERS)
            for address in ("ana@uni.test.evil.test", "xana@uni.test", "ana@uni")]
    await people.refresh()
    seen = people.users[ana.user_id]
    assert seen.email == f"user{ana.user_id}@hidden.zulip.test"
    assert seen.delivery_email == "ana@uni.test"
    assert await people.is_organizer(f"zulip:{ana.user_id}")
    assert await people.is_organizer(f"zulip:{bo.user_id}")
    for other in near:
        assert not await people.is_organizer(f"zulip:{other.user_id}")


async def test_a_hidden_address_the_bot_may_not_see_names_nobody(
    directory: tuple[ZulipDouble, Directory],
) -> None:
    """Only admins see Eve's address (`delivery_email` is null for the bot): her
    address in the settings cannot be matched, which is why user ids are the
    configuration to use."""
    double, people = directory
    eve = double.add_user("Eve Holm", "eve@uni.test", address_visibility=ADMINS)
    nobody = double.add_user("Nils Holm", "ana@uni.test", address_visibility=NOBODY)
    await people.refresh()
    assert people.users[eve.user_id].delivery_email is None
    assert not await people.is_organizer(f"zulip:{eve.user_id}")
    assert not await people.is_organizer(f"zulip:{nobody.user_id}")


async def test_the_bot_takes_commands_from_an_organizer_whose_address_is_hidden(
    org: Org, tmp_path: Path
) -> None:
    ana = org.person("Ana Lopez", email="ana@uni.test", address_visibility=MEMBERS)
    bo = org.person("Bo Berg", email="bo@uni.test", address_visibility=ADMINS)
    running = ZulipBot(org, tmp_path / "bot.db", organizers=("ana@uni.test", "bo@uni.test"))
    await running.start()
    try:
        await bo.say(WORKSHOP)
        await bo.expect(r"is for an organizer")
        await ana.say(WORKSHOP)
        await ana.expect(r"2027-spring")
    finally:
        await running.stop()


def small_double(max_message_length: int) -> ZulipDouble:
    return ZulipDouble(longpoll_timeout_s=10.0, heartbeat_s=1.0,
                       max_message_length=max_message_length).start()


@pytest.fixture
def small_org() -> Iterator[Org]:
    """An organization whose server takes messages of at most 300 characters."""
    double = small_double(300)
    try:
        yield Org(double)
    finally:
        double.stop()


def from_bot(org: Org) -> list[Message]:
    return [m for m in org.double.messages() if m.sender.user_id == org.bot.user_id]


LINES = [f"line {n:03} of a long listing, with some words to fill it" for n in range(40)]


async def test_a_long_message_is_split_at_the_servers_max_message_length(
    small_org: Org, tmp_path: Path
) -> None:
    ana = small_org.person("Ana Lopez")
    running = ZulipBot(small_org, tmp_path / "bot.db")
    await running.start()
    try:
        await running.transport.deliver(Outgoing("\n".join(LINES), user=ana.key, key="r:1"))
    finally:
        await running.stop()
    parts = [m.content for m in from_bot(small_org)]
    assert len(parts) >= 8 and all(len(part) <= 300 for part in parts)
    assert "\n".join(parts).splitlines() == LINES  # nothing truncated, nothing lost


async def test_without_max_message_length_the_documented_10000_holds(
    org: Org, tmp_path: Path
) -> None:
    org.double.omit_from_register("max_message_length")
    ana = org.person("Ana Lopez")
    running = ZulipBot(org, tmp_path / "bot.db")
    await running.start()
    text = "\n".join(LINES * 6)  # about 14,000 characters
    try:
        await running.transport.deliver(Outgoing(text, user=ana.key, key="r:1"))
    finally:
        await running.stop()
    parts = [m.content for m in from_bot(org)]
    assert len(parts) == 2 and 9_000 < len(parts[0]) <= 10_000
    assert "\n".join(parts) == text


class FakeTime:
    """A monotonic clock that a pacer's sleep moves forward: waits without waiting."""

    def __init__(self) -> None:
        self.now = 1_000.0
        self.slept: list[float] = []

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


async def test_a_429_page_without_json_is_waited_out_for_its_retry_after_header(
    double: ZulipDouble,
) -> None:
    bot = double.add_user("Classroom Bot", "classroom-bot@zulip.test", is_bot=True)
    api = ZulipApi(settings_for(double, bot))
    fake = FakeTime()
    api.other_pacer = Pacer(monotonic=fake.monotonic, sleep=fake.sleep)
    double.rate_limit(1, retry_after=2, who=bot, path="/users/me", by_proxy=True)
    try:
        me = await api.paced("GET", "users/me")
    finally:
        await api.close()
    assert me["user_id"] == bot.user_id
    assert fake.slept == [2.0]  # the header's two seconds: no failure, no guess
    assert [c.status for c in double.calls if c.path.endswith("/users/me")] == [429, 200]


def test_retry_after_is_seconds_or_an_http_date_counted_from_the_answers_date() -> None:
    date = "Thu, 03 Dec 2026 08:00:00 GMT"
    assert header_wait("2", date) == 2.0
    assert header_wait(" 0.5 ", None) == 0.5
    assert header_wait("Thu, 03 Dec 2026 08:00:07 GMT", date) == 7.0
    assert header_wait("Thu, 03 Dec 2026 07:59:00 GMT", date) == 0.0  # already past
    for unreadable in ("soon", "nan", "inf", "", None):
        assert header_wait(unreadable, date) is None
    assert header_wait("Thu, 03 Dec 2026 08:00:07 GMT", None) is None  # no Date to count from


async def test_the_bot_answers_once_after_a_proxys_429_on_its_send(
    org: Org, zulip_bot: ZulipBot
) -> None:
    ana = org.person("Ana Lopez")
    org.double.rate_limit(1, retry_after=1.5, who=org.bot, path="/messages", by_proxy=True)
    started = time.monotonic()
    await ana.say("!tz")
    await ana.expect(r"time zone")
    assert time.monotonic() - started >= 1.5  # the header, not a backoff
    sends = [c.status for c in org.double.calls
             if c.who == org.bot.email and c.method == "POST" and c.path.endswith("/messages")]
    assert sends == [429, 200]
    assert len(from_bot(org)) == 1


async def test_a_first_start_without_max_message_id_leaves_the_history_unanswered(
    org: Org, tmp_path: Path
) -> None:
    org.double.omit_from_register("max_message_id")
    ana = org.person("Ana Lopez")
    org.double.post(ana.user, "!tz Europe/Berlin", stream=org.channel, topic="general")
    org.double.post(ana.user, "tz", to=(org.bot,))
    running = ZulipBot(org, tmp_path / "bot.db")
    await running.start()
    try:
        await ana.say("!tz Europe/Oslo")
        await ana.expect(r"Europe/Oslo")
        assert await ana.quiet(1.0) == []
    finally:
        await running.stop()
    assert len(from_bot(org)) == 1
