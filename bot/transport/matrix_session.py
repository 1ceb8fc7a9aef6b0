"""The Matrix session: nio's client, how requests are made, and logging in.

Login by password once, then the access token and device id live in the
database (`TransportState`) and are reused; or a configured access token.
Every request goes through `call`, which waits out HTTP 429 answers with
`retry_after_ms` (nio is told to return 429s instead of sleeping on them
forever) and paces the requests that come after (`Pacer`). With
`matrix.encryption` on, the device's crypto store is opened before the login
and loaded, its keys uploaded, right after it (`matrix_crypto`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from nio import AsyncClient, AsyncClientConfig, ErrorResponse, LoginResponse, WhoamiResponse

from bot import logs, metrics
from bot.db.state import StateStore
from bot.transport.base import LoginFailed
from bot.transport.matrix_crypto import CryptoUnavailable, DeviceLost, MatrixCrypto
from bot.transport.matrix_network import MatrixSettings, store_folder
from bot.transport.pacing import Pacer

log = logging.getLogger(__name__)

NETWORK = "matrix"

# Keys of the facts kept in TransportState between runs.
STATE_USER_ID = "user_id"
STATE_ACCESS_TOKEN = "access_token"
STATE_DEVICE_ID = "device_id"
STATE_SYNC_TOKEN = "sync_token"

REQUEST_TIMEOUT_S = 30.0
# How long one request waits out HTTP 429 answers before it counts as a failed attempt.
SEND_DEADLINE_S = 600.0

REJECTED_TOKEN_ERRORS = frozenset({"M_UNKNOWN_TOKEN", "M_MISSING_TOKEN"})
REJECTED_LOGIN_ERRORS = frozenset(
    {"M_FORBIDDEN", "M_USER_DEACTIVATED", "M_INVALID_PARAM", "M_INVALID_USERNAME"}
)


class MatrixLoginError(LoginFailed):
    """The bot cannot log in, and retrying will not help until the configuration changes."""


class Transient(Exception):
    """A temporary failure (homeserver down, 5xx): retried with backoff."""


def error_code(response: Any) -> str | None:
    if isinstance(response, ErrorResponse):
        code = response.status_code
        return str(code) if code is not None else None
    return None


def retry_after_s(response: Any) -> float | None:
    """Seconds the homeserver asked us to wait (HTTP 429), or None."""
    if error_code(response) != "M_LIMIT_EXCEEDED":
        return None
    retry_ms = getattr(response, "retry_after_ms", None)
    return max(0.05, float(retry_ms) / 1000) if isinstance(retry_ms, int | float) else 5.0


def event_source(event: Any) -> dict[str, Any] | None:
    source = getattr(event, "source", None)
    return source if isinstance(source, dict) else None


class MatrixSession:
    """One Matrix account's client, with paced requests and login."""

    def __init__(
        self, settings: MatrixSettings, state: StateStore, store: Path | None = None
    ) -> None:
        self.settings = settings
        self.state = state
        self.user_id = settings.user_id
        store = store or store_folder(settings, None)
        self.client = AsyncClient(
            settings.homeserver,
            settings.user_id,
            store_path=str(store),
            config=AsyncClientConfig(
                # 429s come back to us: requests pace themselves instead of nio
                # sleeping inside one request, forever by default.
                max_limit_exceeded=0,
                # One immediate retry (a pooled connection the server closed), then the
                # error reaches our own loops and their backoff.
                max_timeouts=1,
                max_timeout_retry_wait_time=settings.max_retry_wait_seconds,
                request_timeout=REQUEST_TIMEOUT_S,
                encryption_enabled=settings.encryption,
                store_sync_tokens=False,
            ),
        )
        # None with encryption off: the bot then neither reads nor sends encrypted events.
        self.crypto = MatrixCrypto(self, store) if settings.encryption else None
        self.send_pacer = Pacer()  # message sends: Synapse's rc_message bucket
        self.other_pacer = Pacer()  # joins, logins, uploads... other buckets
        self.logged_in = asyncio.Event()

    async def call(self, request: Callable[[], Awaitable[Any]], *, pacer: Pacer) -> Any:
        """Make a request, waiting out HTTP 429 answers for up to SEND_DEADLINE_S."""
        loop = asyncio.get_running_loop()
        give_up = loop.time() + SEND_DEADLINE_S
        while True:
            response = await pacer.run(request)
            wait = retry_after_s(response)
            if wait is not None:
                metrics.RATE_LIMITED.labels(network=NETWORK).inc()
            if wait is None or loop.time() + wait > give_up:
                return response
            log.info("rate limited by the homeserver; waiting %.1f s", wait)
            pacer.limited_for(wait)

    async def log_in(self) -> None:
        """Log in (`_log_in`), then load the device's keys and upload what is needed."""
        if self.crypto is not None:
            try:
                await self.crypto.open_store()
            except CryptoUnavailable as exc:
                raise MatrixLoginError(str(exc)) from None
        await self._log_in()
        await self.after_login()

    async def after_login(self) -> None:
        """The device's crypto store loaded and its keys on the homeserver (encryption on)."""
        if self.crypto is None:
            return
        try:
            try:
                await self.crypto.start()
            except DeviceLost as lost:
                await self._replace_device(str(lost))
                await self.crypto.start()
        except CryptoUnavailable as exc:
            raise MatrixLoginError(str(exc)) from None

    async def _replace_device(self, why: str) -> None:
        """A new device, since the old one can no longer decrypt (its keys are lost). The
        old one is logged out (which deletes it, its keys with it), so people's apps stop
        encrypting for it."""
        if not self.settings.password:
            raise MatrixLoginError(f"{why}; a new device needs matrix.password (or delete "
                                   "the device and configure a new access token)")
        log.warning("%s: logging out of it and in on a new device", why)
        await self.call(self.client.logout, pacer=self.other_pacer)  # a failure: it stays
        self.client.store, self.client.olm = None, None  # the new device's store loads
        await self.state.set(STATE_DEVICE_ID, None)
        await self.password_login(None)

    async def _log_in(self) -> None:
        """Use a configured or saved access token if the homeserver accepts it, else log in."""
        saved_user = await self.state.get(STATE_USER_ID)
        if saved_user is not None and saved_user != self.user_id:
            # The database belonged to another account: its token and sync position are not ours.
            log.warning("forgetting the saved Matrix session of %s", saved_user)
            for key in (STATE_ACCESS_TOKEN, STATE_DEVICE_ID, STATE_SYNC_TOKEN):
                await self.state.set(key, None)
        await self.state.set(STATE_USER_ID, self.user_id)
        saved_token = await self.state.get(STATE_ACCESS_TOKEN)
        saved_device = await self.state.get(STATE_DEVICE_ID)
        candidates: list[tuple[str, str, str | None]] = []
        if self.settings.access_token:
            candidates.append(("configured access token", self.settings.access_token, None))
        if saved_token and saved_token != self.settings.access_token:
            candidates.append(("saved access token", saved_token, saved_device))
        for label, token, device in candidates:
            if await self.token_works(token, device):
                log.info("logged in to %s as %s (device %s) with the %s",
                         self.settings.homeserver, self.user_id, self.client.device_id, label)
                return
            log.warning("the homeserver rejected the %s", label)
        await self.password_login(saved_device)

    async def token_works(self, token: str, device: str | None) -> bool:
        # Not nio's restore_login: it loads the crypto store, which needs the device id
        # that only the answer below may tell (a configured token's).
        self.client.user_id, self.client.access_token = self.user_id, token
        self.client.device_id = device or ""
        response = await self.call(self.client.whoami, pacer=self.other_pacer)
        if isinstance(response, WhoamiResponse):
            if response.user_id != self.user_id:
                raise MatrixLoginError(
                    f"the access token belongs to {response.user_id}, "
                    f"not to matrix.user_id {self.user_id}"
                )
            self.client.device_id = response.device_id or device or ""
            logs.keep_out(token)  # a saved token is known only now: never in a log
            return True
        if error_code(response) in REJECTED_TOKEN_ERRORS:
            return False
        raise Transient(f"checking the access token: {response}")

    async def password_login(self, device: str | None) -> None:
        if not self.settings.password:
            raise MatrixLoginError(
                f"the homeserver {self.settings.homeserver} rejected the access token of "
                f"{self.user_id}, and no matrix.password is configured to log in again"
            )
        # The same device as before, so the bot does not leave a trail of devices behind.
        self.client.access_token = ""
        self.client.device_id = device
        password = self.settings.password
        response = await self.call(
            lambda: self.client.login(password, device_name=self.settings.device_name),
            pacer=self.other_pacer,
        )
        if not isinstance(response, LoginResponse):
            if error_code(response) in REJECTED_LOGIN_ERRORS:
                raise MatrixLoginError(
                    f"cannot log in to {self.settings.homeserver} as {self.user_id}: {response}"
                )
            raise Transient(f"logging in: {response}")
        logs.keep_out(response.access_token)
        await self.state.set(STATE_ACCESS_TOKEN, response.access_token)
        await self.state.set(STATE_DEVICE_ID, response.device_id)
        log.info("logged in to %s as %s with the password (device %s)",
                 self.settings.homeserver, self.user_id, response.device_id)
