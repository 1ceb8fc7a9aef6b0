"""Zulip's REST API (zulip.com/api) over aiohttp: requests, errors, HTTP 429 pacing.

Authentication is HTTP basic with the bot's e-mail and API key (the values of
its zuliprc). Parameters that are not plain strings are sent JSON-encoded, as
the API documents. Every answer is `{"result": "success"|"error", "msg", ...}`;
an error becomes a `ZulipError` carrying Zulip's `code` (`BAD_EVENT_QUEUE_ID`,
`RATE_LIMIT_HIT`, `STREAM_DOES_NOT_EXIST`, ...). A server that cannot be
reached, answers 5xx or no JSON (a proxy's error page) is `Unreachable`.
HTTP 429s are waited out with the server's `Retry-After` (`paced`), and the
requests that follow go one at a time for a while (`Pacer`). The wait is the
answer's `retry-after`, else its `Retry-After` header (seconds, or an HTTP date
read against the answer's `Date`): a 429 from a proxy in front of Zulip (an
nginx page, no JSON) is still a rate limit, not an unreachable server.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import math
from email.utils import parsedate_to_datetime
from typing import Any

import aiohttp

from bot import metrics
from bot.transport.base import Attachment
from bot.transport.pacing import Pacer
from bot.transport.zulip_network import ZulipSettings

log = logging.getLogger(__name__)

NETWORK = "zulip"
REQUEST_TIMEOUT_S = 30.0
# How long one request waits out HTTP 429 answers before it counts as a failed attempt.
RATE_LIMIT_DEADLINE_S = 600.0


class ZulipError(Exception):
    """The server answered with an error in Zulip's shape."""

    def __init__(self, status: int, code: str, msg: str, body: dict[str, Any],
                 header_wait: float | None = None) -> None:
        super().__init__(f"{code} ({status}): {msg}")
        self.status, self.code, self.msg, self.body = status, code, msg, body
        self.header_wait = header_wait  # what the `Retry-After` header said, in seconds

    @property
    def retry_after(self) -> float | None:
        """Seconds the server asked us to wait (HTTP 429), or None."""
        if self.status != 429 and self.code != "RATE_LIMIT_HIT":
            return None
        value = self.body.get("retry-after")
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(
                value):
            value = self.header_wait
        if value is None:
            return 1.0  # neither says: a short pause, then the pacer's one at a time
        return max(0.05, float(value))


def header_wait(retry_after: str | None, date: str | None) -> float | None:
    """A `Retry-After` header in seconds: a number of seconds, or an HTTP date counted
    from the answer's own `Date` (the server's clock, not ours); None if unreadable."""
    if not retry_after:
        return None
    try:
        seconds = float(retry_after.strip())
    except ValueError:
        try:
            seconds = (parsedate_to_datetime(retry_after)
                       - parsedate_to_datetime(date or "")).total_seconds()
        except (TypeError, ValueError):
            return None
    return max(0.0, seconds) if math.isfinite(seconds) else None


class Unreachable(Exception):
    """No answer in Zulip's shape: connection refused, timeout, 5xx, a proxy's page."""


class ZulipApi:
    """The bot account's HTTP session with the Zulip server."""

    def __init__(self, settings: ZulipSettings) -> None:
        self.settings = settings
        self.base = settings.site.rstrip("/")
        login = f"{settings.email}:{settings.api_key or ''}".encode()
        self._authorization = "Basic " + base64.b64encode(login).decode("ascii")
        self._session: aiohttp.ClientSession | None = None
        self.send_pacer = Pacer()  # message sends
        self.other_pacer = Pacer()  # everything else but the long-poll

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                headers={"Authorization": self._authorization, "User-Agent": "classroom-bot"})
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def call(
        self, method: str, endpoint: str, params: dict[str, Any] | None = None,
        *, wait_s: float = REQUEST_TIMEOUT_S, upload: Attachment | None = None,
    ) -> dict[str, Any]:
        """One request; the answer's JSON on success, else ZulipError or Unreachable."""
        encoded = {key: value if isinstance(value, str) else json.dumps(value)
                   for key, value in (params or {}).items()}
        url = f"{self.base}/api/v1/{endpoint}"
        body: Any = None
        if upload is not None:
            form = aiohttp.FormData()
            form.add_field("file", upload.data, filename=upload.filename,
                           content_type=upload.content_type)
            body = form
        elif method != "GET":
            body = encoded
        try:
            async with self._client().request(
                method, url, params=encoded if method == "GET" else None, data=body,
                timeout=aiohttp.ClientTimeout(total=wait_s),
            ) as response:
                status = response.status
                wait = header_wait(response.headers.get("Retry-After"),
                                   response.headers.get("Date"))
                try:
                    answer = await response.json(content_type=None)
                except (json.JSONDecodeError, UnicodeDecodeError, aiohttp.ContentTypeError):
                    answer = None
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise Unreachable(f"{method} {endpoint}: {type(exc).__name__}: {exc}") from exc
        if status == 429 and not (isinstance(answer, dict) and "result" in answer):
            raise ZulipError(status, "RATE_LIMIT_HIT", "HTTP 429 without a Zulip answer", {},
                             header_wait=wait)
        if not isinstance(answer, dict) or ("result" not in answer and status >= 500):
            raise Unreachable(f"{method} {endpoint}: HTTP {status} without a Zulip answer")
        if answer.get("result") == "success" and status < 400:
            return answer
        if status >= 500:
            raise Unreachable(f"{method} {endpoint}: HTTP {status}: {answer.get('msg')}")
        raise ZulipError(status, str(answer.get("code") or "BAD_REQUEST"),
                         str(answer.get("msg") or ""), answer, header_wait=wait)

    async def paced(
        self, method: str, endpoint: str, params: dict[str, Any] | None = None,
        *, pacer: Pacer | None = None, upload: Attachment | None = None,
    ) -> dict[str, Any]:
        """A request that waits out HTTP 429s (for up to RATE_LIMIT_DEADLINE_S)."""
        pacer = pacer or self.other_pacer
        loop = asyncio.get_running_loop()
        give_up = loop.time() + RATE_LIMIT_DEADLINE_S
        while True:
            try:
                return await pacer.run(lambda: self.call(method, endpoint, params,
                                                         upload=upload))
            except ZulipError as error:
                wait = error.retry_after
                if wait is None:
                    raise
                metrics.RATE_LIMITED.labels(network=NETWORK).inc()
                if loop.time() + wait > give_up:
                    raise
                log.info("rate limited by the Zulip server; waiting %.1f s", wait)
                pacer.limited_for(wait)
