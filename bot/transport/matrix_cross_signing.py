"""The bot's device, signed by its own account (Matrix cross-signing).

Element neither shows messages from nor sends to a device its own account has
not signed, and matrix-nio has no cross-signing: the bot makes its three keys
(`matrix_signing_keys`), uploads them (`POST /keys/device_signing/upload`,
answering user-interactive auth with the password when the homeserver asks),
and signs its device's keys with the self-signing key
(`POST /keys/signatures/upload`).

At every start `ensure_cross_signed` reads the account's keys from
`/keys/query` and does only what is missing:

- no master key on the server: upload the bot's keys (made now, or kept from
  an earlier run that could not upload them);
- the bot's own master key: only sign the current device if it is not yet;
- someone else's master key (a person who set up cross-signing for the account
  in Element): left alone, with a warning saying how to replace it, unless
  `matrix.cross_signing_reset` is on.

The seeds are secrets like the access token: TransportState rows, written
before the upload (a crash after it must not lose keys the server holds), and
kept out of every log from the moment they are read or made.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

from nio import ErrorResponse, Response
from signedjson.key import get_verify_key
from signedjson.sign import SignatureVerifyException, verify_signed_json

from bot import logs
from bot.transport.matrix_session import MatrixSession, Transient
from bot.transport.matrix_signing_keys import (
    MASTER,
    SELF_SIGNING,
    USAGES,
    USER_SIGNING,
    CrossSigningKeys,
    public_key_of,
)

log = logging.getLogger(__name__)

QUERY = "/_matrix/client/v3/keys/query"
UPLOAD_KEYS = "/_matrix/client/v3/keys/device_signing/upload"
UPLOAD_SIGNATURES = "/_matrix/client/v3/keys/signatures/upload"

# TransportState keys: the account the seeds belong to, and one seed per key.
STATE_OWNER = "cross_signing_user_id"
STATE_SEEDS = {usage: f"cross_signing_{usage}_seed" for usage in USAGES}
# Where /keys/query puts each of an account's cross-signing keys.
QUERY_FIELDS = {MASTER: "master_keys", SELF_SIGNING: "self_signing_keys",
                USER_SIGNING: "user_signing_keys"}


@dataclass(frozen=True)
class Answer:
    """A homeserver's answer: HTTP status and JSON body."""

    status: int
    body: dict[str, Any]


class JsonRequests(Protocol):
    """Makes one authenticated JSON request as the bot (paced, 429s waited out)."""

    async def __call__(self, method: str, path: str, body: dict[str, Any]) -> Answer: ...


class KeyValues(Protocol):
    """Where the seeds are kept (bot/db/state.py's StateStore)."""

    async def get(self, key: str) -> str | None: ...

    async def set_many(self, values: Mapping[str, str | None]) -> None: ...


class Outcome(StrEnum):
    SIGNED = "signed"  # the device carries the bot's self-signing signature
    FOREIGN_KEYS = "foreign keys"  # the account's keys are someone else's: left alone
    NEEDS_PASSWORD = "needs password"  # the upload asks for a password the bot lacks
    NO_DEVICE_KEYS = "no device keys"  # the device has published no keys to sign yet
    REFUSED = "refused"  # the homeserver said no (wrong password, another auth flow)


@dataclass(frozen=True)
class Result:
    outcome: Outcome
    uploaded_keys: bool = False  # the bot's keys were uploaded in this run
    signed_device: bool = False  # the device's signature was uploaded in this run


async def ensure_cross_signed(
    requests: JsonRequests, state: KeyValues, *, user_id: str, device_id: str,
    password: str | None, reset: bool = False,
) -> Result:
    """Make sure the account has the bot's cross-signing keys and `device_id` is
    signed by them; see the module docstring. Raises `Transient` when the
    homeserver cannot answer now (worth a retry); everything else is a Result,
    with what to do logged."""
    keys = await load_keys(state, user_id)
    answer = await requests("POST", QUERY, {"device_keys": {user_id: []}})
    if not _ok(answer, "reading the account's keys"):
        log.warning("cannot read the cross-signing keys of %s: %s", user_id, _error(answer))
        return Result(Outcome.REFUSED)
    own = answer.body
    on_server = {usage: public_key_of(own.get(QUERY_FIELDS[usage], {}).get(user_id))
                 for usage in USAGES}
    ours = keys is not None and on_server[MASTER] == keys.public_keys()[MASTER]
    if on_server[MASTER] is not None and not ours and not reset:
        log.warning(
            "the Matrix account %s already has cross-signing keys that are not the bot's "
            "(master key %s): the bot's device %s stays unsigned, and Element neither "
            "shows its encrypted messages nor sends it any. To replace those keys with "
            "the bot's own, set matrix.cross_signing_reset = true (the homeserver asks "
            "for matrix.password) and restart; the account's other sessions then have "
            "to be verified again.", user_id, on_server[MASTER], device_id)
        return Result(Outcome.FOREIGN_KEYS)
    uploaded = False
    if keys is None or on_server != keys.public_keys():
        if keys is None:
            keys = CrossSigningKeys.generate()
            await save_keys(state, user_id, keys)
        problem = await _upload_keys(requests, keys, user_id, password, device_id)
        if problem is not None:
            return Result(problem)
        uploaded = True
        log.info("uploaded the bot's cross-signing keys for %s (master key %s)",
                 user_id, keys.public_keys()[MASTER])
    device = own.get("device_keys", {}).get(user_id, {}).get(device_id)
    if not isinstance(device, dict):
        log.warning("the bot's device %s has published no encryption keys yet: "
                    "nothing to sign", device_id)
        return Result(Outcome.NO_DEVICE_KEYS, uploaded)
    if signed_by_self_signing_key(device, user_id, keys):
        return Result(Outcome.SIGNED, uploaded)
    body = {user_id: {device_id: keys.sign_device(user_id, device)}}
    answer = await requests("POST", UPLOAD_SIGNATURES, body)
    if not _ok(answer, "uploading the device's signature") or answer.body.get("failures"):
        log.warning("the homeserver refused the signature of the bot's device %s: %s",
                    device_id, answer.body.get("failures") or _error(answer))
        return Result(Outcome.REFUSED, uploaded)
    log.info("signed the bot's device %s with its self-signing key", device_id)
    return Result(Outcome.SIGNED, uploaded, signed_device=True)


def signed_by_self_signing_key(
    device: Mapping[str, Any], user_id: str, keys: CrossSigningKeys
) -> bool:
    """Whether the device keys carry a valid signature by the bot's self-signing key."""
    try:
        verify_signed_json(dict(device), user_id, get_verify_key(keys.self_signing))
    except SignatureVerifyException:
        return False
    return True


async def load_keys(state: KeyValues, user_id: str) -> CrossSigningKeys | None:
    """The keys kept for `user_id`, or None (none kept, or another account's)."""
    if await state.get(STATE_OWNER) != user_id:
        return None
    seeds = {usage: await state.get(name) for usage, name in STATE_SEEDS.items()}
    present = {usage: seed for usage, seed in seeds.items() if seed}
    for seed in present.values():
        logs.keep_out(seed)
    if len(present) != len(USAGES):
        return None
    try:
        return CrossSigningKeys.from_seeds(present)
    except ValueError:
        log.warning("the kept cross-signing keys of %s are damaged: making new ones", user_id)
        return None


async def save_keys(state: KeyValues, user_id: str, keys: CrossSigningKeys) -> None:
    seeds = keys.seeds()
    for seed in seeds.values():
        logs.keep_out(seed)
    await state.set_many({STATE_OWNER: user_id,
                          **{STATE_SEEDS[usage]: seed for usage, seed in seeds.items()}})


async def _upload_keys(
    requests: JsonRequests, keys: CrossSigningKeys, user_id: str, password: str | None,
    device_id: str,
) -> Outcome | None:
    """Upload the keys, answering user-interactive auth with the password; None
    when they are on the server."""
    body = keys.upload_body(user_id)
    answer = await requests("POST", UPLOAD_KEYS, body)
    if answer.status == 401 and "flows" in answer.body:
        if not password:
            log.warning(
                "cannot upload the bot's cross-signing keys for %s: the homeserver asks "
                "for the account's password and only an access token is configured. Set "
                "matrix.password (or CLASSROOM_BOT_MATRIX_PASSWORD) and restart; until "
                "then the device %s stays unsigned and Element neither shows its "
                "encrypted messages nor sends it any.", user_id, device_id)
            return Outcome.NEEDS_PASSWORD
        if not _offers_password(answer.body):
            log.warning(
                "cannot upload the bot's cross-signing keys for %s: the homeserver does "
                "not take a password for it (%s)", user_id,
                answer.body.get("msg") or answer.body.get("flows"))
            return Outcome.REFUSED
        auth = {"type": "m.login.password",
                "identifier": {"type": "m.id.user", "user": user_id},
                "password": password, "session": answer.body.get("session")}
        answer = await requests("POST", UPLOAD_KEYS, {**body, "auth": auth})
    if _ok(answer, "uploading the cross-signing keys"):
        return None
    log.warning("the homeserver refused the bot's cross-signing keys for %s: %s",
                user_id, _error(answer))
    return Outcome.REFUSED


def _offers_password(challenge: Mapping[str, Any]) -> bool:
    flows = challenge.get("flows")
    return isinstance(flows, list) and any(
        isinstance(flow, dict) and flow.get("stages") == ["m.login.password"]
        for flow in flows)


def _ok(answer: Answer, what: str) -> bool:
    """True for 200; False for a refusal; raises Transient when a retry may help."""
    if answer.status == 200:
        return True
    if answer.status in (0, 429) or answer.status >= 500:
        raise Transient(f"{what}: {_error(answer)}")
    return False


def _error(answer: Answer) -> str:
    code, text = answer.body.get("errcode"), answer.body.get("error")
    return f"HTTP {answer.status} {code or ''} {text or ''}".strip()


# -- through the session's client -------------------------------------------------


@dataclass
class _JsonAnswer(Response):  # type: ignore[misc]
    """Any JSON answer, for nio's request path."""

    body: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, parsed: Any) -> Response:
        body = parsed if isinstance(parsed, dict) else {}
        if "errcode" in body and "flows" not in body:
            # An ErrorResponse, so that the session's `call` sees and waits out a 429.
            error = _JsonError(str(body.get("error", "")), str(body["errcode"]),
                               body.get("retry_after_ms"))
            error.body = body
            return error
        return cls(body=body)


@dataclass
class _JsonError(ErrorResponse):  # type: ignore[misc]
    body: dict[str, Any] = field(default_factory=dict)


def session_requests(session: MatrixSession) -> JsonRequests:
    """JSON requests made with the session's client and token, paced like its
    other requests (`MatrixSession.call`)."""

    async def request(method: str, path: str, body: dict[str, Any]) -> Answer:
        data = json.dumps(body)
        response = await session.call(
            lambda: session.client._send(_JsonAnswer, method, path, data),
            pacer=session.other_pacer,
        )
        transport = getattr(response, "transport_response", None)
        return Answer(int(getattr(transport, "status", 0) or 0),
                      dict(getattr(response, "body", {}) or {}))

    return request


async def cross_sign(session: MatrixSession) -> Result:
    """`ensure_cross_signed` for the session's account and current device."""
    return await ensure_cross_signed(
        session_requests(session), session.state, user_id=session.user_id,
        device_id=session.client.device_id, password=session.settings.password,
        reset=session.settings.cross_signing_reset,
    )


def when_device_ready(session: MatrixSession) -> Callable[[object], Awaitable[None]]:
    """A callback for the moment the device's keys are on the homeserver (whatever it is
    handed about the device: the session knows it): cross-sign it. Only a failure worth
    a retry is raised (`Transient`, a lost connection); what the bot cannot fix
    itself is logged with what to do, and the bot runs on with the device unsigned."""

    async def ready(_device: object) -> None:
        await cross_sign(session)

    return ready
