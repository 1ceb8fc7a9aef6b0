"""What the Zulip API double records and what it answers when a test breaks it:
calls made, rate limits armed, and the pages a proxy in front of Zulip serves."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from aiohttp import web


@dataclass
class RateLimit:
    remaining: int
    retry_after: float
    who: str | None
    path: str | None
    by_proxy: bool = False  # a proxy's HTML page with only the header, not Zulip's JSON


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    who: str | None
    status: int
    at: float = field(default_factory=time.monotonic)


def bad_gateway() -> web.Response:
    """What a proxy in front of a stopped Zulip server answers."""
    return web.Response(status=502, text="<html>502 Bad Gateway</html>",
                        content_type="text/html")


def proxy_limited(retry_after: float) -> web.Response:
    """What nginx's rate limiting in front of Zulip answers: a page, no JSON."""
    return web.Response(status=429, text="<html>429 Too Many Requests</html>",
                        content_type="text/html",
                        headers={"Retry-After": f"{retry_after:g}"})
