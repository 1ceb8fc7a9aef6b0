"""The bot's device, signed by its own account, on the real Synapse: as another person
reads it from /keys/query, the chain device <- self-signing key <- master key checks
out with signedjson; a second start changes nothing; a second device is signed by the
same key; someone else's keys stay unless `matrix.cross_signing_reset` says otherwise.

The bot's devices are matrix-nio clients with encryption on (their own Olm store in
tmp_path), so each has published device keys as the bot's own device does."""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from nio import AsyncClient, AsyncClientConfig, KeysUploadResponse, LoginResponse
from signedjson.key import decode_verify_key_base64
from signedjson.sign import SignatureVerifyException, verify_signed_json

from bot.db import migrate
from bot.db.engine import create_engine, create_sessionmaker
from bot.db.state import StateStore
from bot.transport.matrix_cross_signing import (
    Outcome,
    Result,
    cross_sign,
    load_keys,
    when_device_ready,
)
from bot.transport.matrix_network import MatrixSettings
from bot.transport.matrix_session import MatrixSession
from bot.transport.matrix_signing_keys import CrossSigningKeys, public_key, public_key_of
from tests.e2e.conftest import unique
from tests.e2e.homeserver import Homeserver, RegisteredUser

if TYPE_CHECKING:
    from tests.e2e.bots import BotRunner
    from tests.e2e.conftest import ChatUser

MakeUser = Callable[..., Awaitable["ChatUser"]]
MakeBot = Callable[..., Awaitable["BotRunner"]]
Http = Callable[..., dict[str, Any]]
PASSWORD = "bot-pass-w0rd"


class BotAccount:
    """The bot's account: its database (the kept seeds) and devices logged in with
    encryption on, each signed through a MatrixSession like the bot's own."""

    def __init__(self, server: Homeserver, account: RegisteredUser, tmp: Path,
                 state: StateStore) -> None:
        self.server, self.account, self.tmp, self.state = server, account, tmp, state
        self.user_id = account.user_id
        self.clients: list[AsyncClient] = []

    async def new_device(self) -> str:
        """Log in once more with encryption on and publish the device's keys."""
        store = self.tmp / f"olm-{len(self.clients)}"
        store.mkdir()
        client = AsyncClient(self.server.url, self.user_id, store_path=str(store),
                             config=AsyncClientConfig(encryption_enabled=True))
        self.clients.append(client)
        login = await client.login(PASSWORD, device_name="classroom-bot")
        assert isinstance(login, LoginResponse), login
        assert client.should_upload_keys
        uploaded = await client.keys_upload()
        assert isinstance(uploaded, KeysUploadResponse), uploaded
        return str(login.device_id)

    async def sign(self, device: str, *, reset: bool = False,
                   password: str | None = PASSWORD) -> Result:
        """What the bot does at start for `device` (its token, the kept seeds)."""
        session = self.session(device, reset=reset, password=password)
        try:
            return await cross_sign(session)
        finally:
            await session.client.close()

    def session(self, device: str, *, reset: bool = False,
                password: str | None = PASSWORD) -> MatrixSession:
        client = next(c for c in self.clients if c.device_id == device)
        settings = MatrixSettings(homeserver=self.server.url, user_id=self.user_id,
                                  password=password, cross_signing_reset=reset,
                                  encryption=False)  # only its request path is used
        session = MatrixSession(settings, self.state)
        session.client.restore_login(self.user_id, device, client.access_token)
        return session


@pytest.fixture
async def bot_account(
    homeserver: Homeserver, tmp_path: Path
) -> AsyncIterator[Callable[[], Awaitable[BotAccount]]]:
    made: list[BotAccount] = []
    engines = []

    async def make() -> BotAccount:
        engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / f'bot-{len(made)}.db'}")
        engines.append(engine)
        await migrate.prepare(engine, auto_migrate=True)
        state = StateStore(create_sessionmaker(engine), "matrix")
        account = homeserver.register(unique("signed-bot"), password=PASSWORD)
        folder = tmp_path / f"account-{len(made)}"
        folder.mkdir()
        made.append(BotAccount(homeserver, account, folder, state))
        return made[-1]

    yield make
    for bot in made:
        for client in bot.clients:
            await client.close()
    for engine in engines:
        await engine.dispose()


def keys_of(http: Http, reader: ChatUser, user_id: str) -> dict[str, Any]:
    """/keys/query for `user_id`, as another person asks it."""
    return http(reader.server, reader.account.access_token, "POST",
                "/_matrix/client/v3/keys/query", {"device_keys": {user_id: []}})


def verify_key(key_json: dict[str, Any]) -> Any:
    public = public_key_of(key_json)
    assert public is not None, key_json
    return decode_verify_key_base64("ed25519", public, public)


def chain(answer: dict[str, Any], user_id: str, device: str) -> tuple[str, str]:
    """Check device <- self-signing <- master with signedjson; the two public keys."""
    master = answer["master_keys"][user_id]
    self_signing = answer["self_signing_keys"][user_id]
    assert master["usage"] == ["master"] and self_signing["usage"] == ["self_signing"]
    verify_signed_json(copy.deepcopy(self_signing), user_id, verify_key(master))
    device_keys = answer["device_keys"][user_id][device]
    verify_signed_json(copy.deepcopy(device_keys), user_id, verify_key(self_signing))
    # The device's own signature is still there beside the account's.
    own = decode_verify_key_base64("ed25519", device, device_keys["keys"][f"ed25519:{device}"])
    verify_signed_json(copy.deepcopy(device_keys), user_id, own)
    return str(public_key_of(master)), str(public_key_of(self_signing))


def unsigned(answer: dict[str, Any], user_id: str, device: str) -> bool:
    self_signing = answer.get("self_signing_keys", {}).get(user_id)
    if self_signing is None:
        return True
    try:
        verify_signed_json(copy.deepcopy(answer["device_keys"][user_id][device]), user_id,
                           verify_key(self_signing))
    except SignatureVerifyException:
        return True
    return False


async def test_another_person_checks_the_bots_chain_and_a_second_start_changes_nothing(
    bot_account: Callable[[], Awaitable[BotAccount]], make_user: MakeUser, http: Http
) -> None:
    bot, reader = await bot_account(), await make_user("reader")
    device = await bot.new_device()
    assert unsigned(keys_of(http, reader, bot.user_id), bot.user_id, device)

    first = await bot.sign(device)
    assert (first.outcome, first.uploaded_keys, first.signed_device) == (
        Outcome.SIGNED, True, True)
    answer = keys_of(http, reader, bot.user_id)
    master, self_signing = chain(answer, bot.user_id, device)
    kept = await load_keys(bot.state, bot.user_id)
    assert kept is not None
    assert (master, self_signing) == (public_key(kept.master), public_key(kept.self_signing))

    second = await bot.sign(device)
    assert (second.outcome, second.uploaded_keys, second.signed_device) == (
        Outcome.SIGNED, False, False)
    assert keys_of(http, reader, bot.user_id) == answer

    # A second device of the account (a new login) is signed by the same key, through
    # the callback the session calls once a device's keys are uploaded.
    other = await bot.new_device()
    session = bot.session(other)
    try:
        await when_device_ready(session)(other)
    finally:
        await session.client.close()
    answer = keys_of(http, reader, bot.user_id)
    assert chain(answer, bot.user_id, other) == (master, self_signing)
    assert chain(answer, bot.user_id, device) == (master, self_signing)


async def test_someone_elses_keys_stay_without_the_option_and_are_replaced_with_it(
    bot_account: Callable[[], Awaitable[BotAccount]], make_user: MakeUser, http: Http
) -> None:
    bot, reader = await bot_account(), await make_user("reader")
    device = await bot.new_device()
    # Someone set up cross-signing for the account first (the first upload needs no
    # password on Synapse).
    foreign = CrossSigningKeys.generate()
    http(bot.server, bot.clients[0].access_token, "POST",
         "/_matrix/client/v3/keys/device_signing/upload", foreign.upload_body(bot.user_id))

    left = await bot.sign(device)
    assert (left.outcome, left.uploaded_keys) == (Outcome.FOREIGN_KEYS, False)
    answer = keys_of(http, reader, bot.user_id)
    assert public_key_of(answer["master_keys"][bot.user_id]) == public_key(foreign.master)
    assert unsigned(answer, bot.user_id, device)

    # With only an access token the replacement cannot answer the password question.
    waiting = await bot.sign(device, reset=True, password=None)
    assert waiting.outcome == Outcome.NEEDS_PASSWORD
    assert public_key_of(keys_of(http, reader, bot.user_id)["master_keys"][bot.user_id]) == (
        public_key(foreign.master))

    replaced = await bot.sign(device, reset=True)
    assert (replaced.outcome, replaced.uploaded_keys, replaced.signed_device) == (
        Outcome.SIGNED, True, True)
    kept = await load_keys(bot.state, bot.user_id)
    assert kept is not None
    master, _ = chain(keys_of(http, reader, bot.user_id), bot.user_id, device)
    assert master == public_key(kept.master) != public_key(foreign.master)

    # The option left on: the bot's own keys are kept, nothing is uploaded again.
    again = await bot.sign(device, reset=True)
    assert (again.outcome, again.uploaded_keys, again.signed_device) == (
        Outcome.SIGNED, False, False)


async def test_the_running_bot_signs_its_device_at_start_and_a_restart_keeps_the_chain(
    make_bot: MakeBot, make_user: MakeUser, http: Http
) -> None:
    bot, reader = await make_bot(encryption=True), await make_user("reader")
    device = str(bot.transport.session.client.device_id)
    first = chain(keys_of(http, reader, bot.user_id), bot.user_id, device)

    await bot.stop()
    await bot.start()
    assert bot.transport.session.client.device_id == device  # the same device
    answer = keys_of(http, reader, bot.user_id)
    assert chain(answer, bot.user_id, device) == first  # the same keys, still signed
    assert list(answer["device_keys"][bot.user_id]) == [device]
