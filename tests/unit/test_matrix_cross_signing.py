"""The bot's cross-signing keys: the signed JSON checks out with signedjson, kept seeds
give back the same keys, someone else's keys are left alone unless the configuration
says otherwise, a missing password is said, and the seeds never reach a log.

The homeserver's side is on the real Synapse in tests/e2e/test_matrix_cross_signing.py;
here the answers are scripted, to reach the decisions the real one rarely takes."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator, Mapping
from typing import Any

import pytest
from signedjson.key import decode_verify_key_base64, get_verify_key
from signedjson.sign import SignatureVerifyException, verify_signed_json

from bot import logs
from bot.transport.matrix_cross_signing import (
    STATE_OWNER,
    STATE_SEEDS,
    UPLOAD_KEYS,
    UPLOAD_SIGNATURES,
    Answer,
    Outcome,
    _JsonAnswer,
    ensure_cross_signed,
    load_keys,
    save_keys,
)
from bot.transport.matrix_session import Transient, retry_after_s
from bot.transport.matrix_signing_keys import (
    MASTER,
    SELF_SIGNING,
    USER_SIGNING,
    CrossSigningKeys,
    key_from_seed,
    public_key,
    public_key_of,
)

BOT = "@classroom-bot:uni.no"
DEVICE = "BOTDEVICE"
PASSWORD = "bot pass w0rd"


def device_keys(signatures: dict[str, Any] | None = None) -> dict[str, Any]:
    """A device's keys as /keys/query gives them (its own signature is made up)."""
    return {
        "user_id": BOT, "device_id": DEVICE,
        "algorithms": ["m.olm.v1.curve25519-aes-sha2", "m.megolm.v1.aes-sha2"],
        "keys": {f"curve25519:{DEVICE}": "c" * 43, f"ed25519:{DEVICE}": "e" * 43},
        "signatures": signatures or {BOT: {f"ed25519:{DEVICE}": "s" * 86}},
        "unsigned": {"device_display_name": "classroom-bot"},
    }


class Memory:
    """The TransportState rows, in a dict."""

    def __init__(self) -> None:
        self.rows: dict[str, str] = {}

    async def get(self, key: str) -> str | None:
        return self.rows.get(key)

    async def set_many(self, values: Mapping[str, str | None]) -> None:
        for key, value in values.items():
            if value is None:
                self.rows.pop(key, None)
            else:
                self.rows[key] = value


class Scripted:
    """Answers /keys/query with `keys` (the account's) and the device; each upload with
    the next of `uploads` (default: 200). Records every request."""

    def __init__(self, keys: CrossSigningKeys | None, *uploads: Answer,
                 device: dict[str, Any] | None = None) -> None:
        self.query: dict[str, Any] = {"device_keys": {BOT: {DEVICE: device or device_keys()}}}
        if keys is not None:
            self.query.update({
                "master_keys": {BOT: keys.key_json(BOT, MASTER)},
                "self_signing_keys": {BOT: keys.key_json(BOT, SELF_SIGNING)},
                "user_signing_keys": {BOT: keys.key_json(BOT, USER_SIGNING)},
            })
        self.uploads = list(uploads)
        self.calls: list[tuple[str, dict[str, Any]]] = []

    async def __call__(self, method: str, path: str, body: dict[str, Any]) -> Answer:
        assert method == "POST"
        self.calls.append((path, body))
        if path.endswith("/keys/query"):
            return Answer(200, self.query)
        if path == UPLOAD_KEYS and self.uploads:
            return self.uploads.pop(0)
        return Answer(200, {"failures": {}} if path == UPLOAD_SIGNATURES else {})

    def paths(self) -> list[str]:
        return [path.rsplit("/keys/", 1)[1] for path, _ in self.calls]


UIA = Answer(401, {"session": "S1", "flows": [{"stages": ["m.login.password"]}], "params": {}})


def verify_key(key_json: dict[str, Any]) -> Any:
    public = public_key_of(key_json)
    assert public is not None, key_json
    return decode_verify_key_base64("ed25519", public, public)


# -- the keys as data ---------------------------------------------------------------


def test_the_three_keys_are_what_the_spec_says_and_the_master_key_signs_the_others() -> None:
    keys = CrossSigningKeys.generate()
    body = keys.upload_body(BOT)
    master = body["master_key"]
    public = public_key(keys.master)
    assert master == {"user_id": BOT, "usage": ["master"], "keys": {f"ed25519:{public}": public}}
    for usage in ("self_signing", "user_signing"):
        key = body[f"{usage}_key"]
        assert key["usage"] == [usage] and key["user_id"] == BOT
        verify_signed_json(key, BOT, verify_key(master))
        with pytest.raises(SignatureVerifyException):  # not by itself, nor by another key
            verify_signed_json(key, BOT, verify_key(key))
    assert len(set(keys.public_keys().values())) == 3


def test_the_device_signature_verifies_and_covers_the_device_keys() -> None:
    keys = CrossSigningKeys.generate()
    signed = keys.sign_device(BOT, device_keys())
    assert "unsigned" not in signed
    assert list(signed["signatures"][BOT]) == [f"ed25519:{public_key(keys.self_signing)}"]
    verify_signed_json(signed, BOT, get_verify_key(keys.self_signing))
    tampered = {**signed, "keys": {**signed["keys"], f"ed25519:{DEVICE}": "f" * 43}}
    with pytest.raises(SignatureVerifyException):
        verify_signed_json(tampered, BOT, get_verify_key(keys.self_signing))
    with pytest.raises(SignatureVerifyException):  # the master key does not sign devices
        verify_signed_json(signed, BOT, get_verify_key(keys.master))


def test_a_kept_seed_gives_back_the_same_key() -> None:
    keys = CrossSigningKeys.generate()
    again = CrossSigningKeys.from_seeds(keys.seeds())
    assert again.public_keys() == keys.public_keys()
    assert again.upload_body(BOT) == keys.upload_body(BOT)  # ed25519 signs deterministically
    assert key_from_seed(keys.seeds()[MASTER]).version == public_key(keys.master)
    with pytest.raises(ValueError):
        key_from_seed("not a seed")


async def test_seeds_kept_for_another_account_or_damaged_are_not_used() -> None:
    memory, keys = Memory(), CrossSigningKeys.generate()
    await save_keys(memory, BOT, keys)
    assert memory.rows[STATE_OWNER] == BOT
    assert {memory.rows[STATE_SEEDS[usage]] for usage in keys.seeds()} == set(keys.seeds().values())
    loaded = await load_keys(memory, BOT)
    assert loaded is not None and loaded.public_keys() == keys.public_keys()
    assert await load_keys(memory, "@someone-else:uni.no") is None
    memory.rows[STATE_SEEDS[SELF_SIGNING]] = "!!"
    assert await load_keys(memory, BOT) is None


# -- what the bot does at start -------------------------------------------------------


async def test_a_new_account_gets_the_bots_keys_and_a_signed_device() -> None:
    memory, server = Memory(), Scripted(None)
    result = await ensure_cross_signed(server, memory, user_id=BOT, device_id=DEVICE,
                                       password=None)
    assert (result.outcome, result.uploaded_keys, result.signed_device) == (
        Outcome.SIGNED, True, True)
    assert server.paths() == ["query", "device_signing/upload", "signatures/upload"]
    keys = await load_keys(memory, BOT)
    assert keys is not None
    assert server.calls[1][1] == keys.upload_body(BOT)  # the kept keys are the uploaded ones
    signed = server.calls[2][1][BOT][DEVICE]
    verify_signed_json(signed, BOT, get_verify_key(keys.self_signing))


async def test_with_its_own_keys_on_the_server_the_bot_only_signs_a_device_not_yet_signed(
) -> None:
    memory, keys = Memory(), CrossSigningKeys.generate()
    await save_keys(memory, BOT, keys)
    unsigned = Scripted(keys)
    result = await ensure_cross_signed(unsigned, memory, user_id=BOT, device_id=DEVICE,
                                       password=PASSWORD)
    assert (result.outcome, result.uploaded_keys, result.signed_device) == (
        Outcome.SIGNED, False, True)
    assert unsigned.paths() == ["query", "signatures/upload"]
    signed = keys.sign_device(BOT, device_keys())
    own = {BOT: {**device_keys()["signatures"][BOT], **signed["signatures"][BOT]}}
    done = Scripted(keys, device=device_keys(own))
    result = await ensure_cross_signed(done, memory, user_id=BOT, device_id=DEVICE,
                                       password=PASSWORD)
    assert (result.outcome, result.uploaded_keys, result.signed_device) == (
        Outcome.SIGNED, False, False)
    assert done.paths() == ["query"]


async def test_someone_elses_keys_are_left_alone_and_the_log_says_how_to_replace_them(
    caplog: pytest.LogCaptureFixture,
) -> None:
    memory, foreign = Memory(), CrossSigningKeys.generate()
    await save_keys(memory, BOT, CrossSigningKeys.generate())  # the bot's, never uploaded
    server = Scripted(foreign)
    with caplog.at_level(logging.WARNING):
        result = await ensure_cross_signed(server, memory, user_id=BOT, device_id=DEVICE,
                                           password=PASSWORD)
    assert result.outcome == Outcome.FOREIGN_KEYS and not result.uploaded_keys
    assert server.paths() == ["query"]
    assert "matrix.cross_signing_reset = true" in caplog.text
    assert public_key(foreign.master) in caplog.text


async def test_with_the_reset_option_the_bots_keys_replace_them_with_the_password() -> None:
    memory, foreign = Memory(), CrossSigningKeys.generate()
    server = Scripted(foreign, UIA)
    result = await ensure_cross_signed(server, memory, user_id=BOT, device_id=DEVICE,
                                       password=PASSWORD, reset=True)
    assert (result.outcome, result.uploaded_keys, result.signed_device) == (
        Outcome.SIGNED, True, True)
    assert server.paths() == ["query", "device_signing/upload", "device_signing/upload",
                              "signatures/upload"]
    first, second = server.calls[1][1], server.calls[2][1]
    assert "auth" not in first
    assert second["auth"] == {"type": "m.login.password",
                              "identifier": {"type": "m.id.user", "user": BOT},
                              "password": PASSWORD, "session": "S1"}
    keys = await load_keys(memory, BOT)
    assert keys is not None and public_key_of(second["master_key"]) == public_key(keys.master)


async def test_without_a_password_the_upload_waits_and_the_log_says_what_to_set(
    caplog: pytest.LogCaptureFixture,
) -> None:
    memory, server = Memory(), Scripted(CrossSigningKeys.generate(), UIA)
    with caplog.at_level(logging.WARNING):
        result = await ensure_cross_signed(server, memory, user_id=BOT, device_id=DEVICE,
                                           password=None, reset=True)
    assert result.outcome == Outcome.NEEDS_PASSWORD
    assert server.paths() == ["query", "device_signing/upload"]
    assert "matrix.password" in caplog.text and "CLASSROOM_BOT_MATRIX_PASSWORD" in caplog.text
    assert await load_keys(memory, BOT) is not None  # kept: the next start uploads these


async def test_a_wrong_password_or_an_unknown_flow_is_a_refusal_and_a_5xx_a_retry() -> None:
    wrong = Answer(401, {"errcode": "M_FORBIDDEN", "error": "Invalid password", **UIA.body})
    server = Scripted(None, UIA, wrong)
    result = await ensure_cross_signed(server, Memory(), user_id=BOT, device_id=DEVICE,
                                       password="nope", reset=True)
    assert result.outcome == Outcome.REFUSED
    oauth = Answer(401, {"session": "d", "flows": [{"stages": ["m.oauth"]}]})
    result = await ensure_cross_signed(Scripted(None, oauth), Memory(), user_id=BOT,
                                       device_id=DEVICE, password=PASSWORD)
    assert result.outcome == Outcome.REFUSED
    with pytest.raises(Transient):
        await ensure_cross_signed(Scripted(None, Answer(502, {})), Memory(), user_id=BOT,
                                  device_id=DEVICE, password=PASSWORD)


async def test_a_homeserver_without_cross_signing_is_a_refusal_not_a_retry_forever() -> None:
    server = Scripted(None)
    server.query = {"errcode": "M_UNRECOGNIZED", "error": "Unrecognized request"}

    async def no_keys_api(method: str, path: str, body: dict[str, Any]) -> Answer:
        await server(method, path, body)
        return Answer(404, server.query)

    result = await ensure_cross_signed(no_keys_api, Memory(), user_id=BOT, device_id=DEVICE,
                                       password=PASSWORD)
    assert result.outcome == Outcome.REFUSED and server.paths() == ["query"]


async def test_a_device_without_published_keys_is_not_signed_yet() -> None:
    server = Scripted(None)
    server.query["device_keys"] = {BOT: {}}
    result = await ensure_cross_signed(server, Memory(), user_id=BOT, device_id=DEVICE,
                                       password=None)
    assert (result.outcome, result.uploaded_keys) == (Outcome.NO_DEVICE_KEYS, True)
    assert "signatures/upload" not in server.paths()


def test_through_the_session_a_429_is_waited_out_and_an_auth_question_is_read() -> None:
    """The session's `call` waits out what it sees as an HTTP 429 (`retry_after_s`);
    a 401 that asks for auth comes back whole, also when a stage failed."""
    limited = _JsonAnswer.from_dict({"errcode": "M_LIMIT_EXCEEDED", "error": "Too many",
                                     "retry_after_ms": 1200})
    assert retry_after_s(limited) == 1.2
    asked = _JsonAnswer.from_dict({"errcode": "M_FORBIDDEN", **UIA.body})
    assert retry_after_s(asked) is None
    assert getattr(asked, "body", None) == {"errcode": "M_FORBIDDEN", **UIA.body}
    refused = _JsonAnswer.from_dict({"errcode": "M_FORBIDDEN", "error": "no"})
    assert getattr(refused, "body", None) == {"errcode": "M_FORBIDDEN", "error": "no"}


# -- the seeds never reach a log ------------------------------------------------------


@pytest.fixture
def root_log() -> Iterator[io.StringIO]:
    """What a root handler with the redaction filter writes."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    root = logging.getLogger()
    root.addHandler(handler)
    logs.install()
    try:
        yield stream
    finally:
        root.removeHandler(handler)


async def test_seeds_made_or_read_are_redacted_from_every_log_line(root_log: io.StringIO) -> None:
    memory, made = Memory(), CrossSigningKeys.generate()
    await save_keys(memory, BOT, made)
    kept = CrossSigningKeys.generate()
    for usage, seed in kept.seeds().items():
        memory.rows[STATE_SEEDS[usage]] = seed  # as a restart finds them in the database
    await load_keys(memory, BOT)
    spill = logging.getLogger("bot.tests.spill")
    for seed in (*made.seeds().values(), *kept.seeds().values()):
        spill.error("params %r", ("matrix", "cross_signing_master_seed", seed))
    spill.error("cross_signing_self_signing_seed=%s", "not-yet-known-value")
    written = root_log.getvalue()
    for seed in (*made.seeds().values(), *kept.seeds().values()):
        assert seed not in written
    assert "not-yet-known-value" not in written
    assert written.count(logs.REDACTED) == 7
