"""The HTTP server, one more component of the app (off unless `[http] listen` is set).

Routes: `/` and `/SLUG/` (the room page of the current or a named workshop), and
beside each `rooms.json`, `rooms.csv`, `workshop.ics` and `onboarding.ics`; plus
`/healthz` and `/metrics`. Links between them are relative, so the site works
behind a reverse proxy under any path. A bad request gets its status and a short
page; an unexpected error a 500 page with a reference that is also in the log,
never a traceback. It binds to the one configured address and nowhere else.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Awaitable, Callable, Mapping
from datetime import timedelta

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import Clock
from bot.config import parse_listen
from bot.web.pages import Pages, html_page

log = logging.getLogger(__name__)

# Longer query strings are refused (414): the filters need a few dozen characters.
MAX_QUERY = 1024
SLUG = "{slug:[a-z0-9][a-z0-9-]{1,39}}"
REASONS = {400: "Bad request", 404: "Not found", 405: "Method not allowed",
           414: "URI too long", 500: "Server error"}
MESSAGES = {404: "There is no page here.", 405: "This address only answers GET (and HEAD).",
            414: "The address is too long.", 400: "The request could not be understood."}


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Short pages for bad requests; a reference instead of a traceback."""
    if len(request.query_string) > MAX_QUERY:
        return _error(414, MESSAGES[414], request.path)
    try:
        return await handler(request)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        message = exc.text if exc.text and not exc.text.startswith(f"{exc.status}:") else ""
        message = message or MESSAGES.get(exc.status, exc.reason)
        response = _error(exc.status, message, request.path)
        if exc.status == 405:
            response.headers["Allow"] = "GET, HEAD"
        return response
    except Exception:
        reference = secrets.token_hex(3)
        log.exception("web request %s %s failed [ref %s]", request.method, request.path,
                      reference)
        return _error(500, f"Something went wrong on our side (reference {reference}).",
                      request.path)


def _error(status: int, message: str, path: str) -> web.Response:
    """The error in the form the address asked for: JSON for `.json` (a script reads
    it), plain text for the other data files, a short page otherwise."""
    reason = REASONS.get(status, "Error")
    if path.endswith(".json"):
        return web.json_response({"status": status, "error": message}, status=status)
    if path.endswith((".csv", ".ics")):
        return web.Response(text=f"{status} {reason}: {message}\n", status=status,
                            content_type="text/plain", charset="utf-8")
    return html_page("error.html", http_status=status, status=status, reason=reason,
                     message=message)


def build(pages: Pages) -> web.Application:
    app = web.Application(middlewares=[errors])
    for base in ("/", f"/{SLUG}/"):
        app.router.add_get(base, pages.room_page)
        app.router.add_get(base + "rooms.json", pages.rooms_data)
        app.router.add_get(base + "rooms.csv", pages.rooms_data)
        app.router.add_get(base + "workshop.ics", pages.workshop_ics)
        app.router.add_get(base + "onboarding.ics", pages.onboarding_ics)
    app.router.add_get("/healthz", pages.healthz)
    app.router.add_get("/metrics", pages.metrics)
    app.router.add_get(f"/{SLUG}", _to_folder)
    return app


async def _to_folder(request: web.Request) -> web.StreamResponse:
    """`/2026-spring` -> `2026-spring/` (relative, so it works under a proxy's path)."""
    raise web.HTTPMovedPermanently(request.match_info["slug"] + "/")


class WebServer:
    """The HTTP server as a component of the app."""

    name = "web server"

    def __init__(
        self,
        listen: str,
        sessions: async_sessionmaker[AsyncSession],
        clock: Clock,
        *,
        prefix: str,
        transports: Mapping[str, object],
        sync_max_age: timedelta,
    ) -> None:
        self.host, self.port = parse_listen(listen)
        self.pages = Pages(sessions, clock, prefix, transports, sync_max_age)
        self.runner: web.AppRunner | None = None

    async def start(self) -> None:
        self.runner = web.AppRunner(build(self.pages), access_log=None)
        await self.runner.setup()
        site = web.TCPSite(self.runner, self.host, self.port)
        await site.start()
        log.info("serving the web side on http://%s:%d/", self.host, self.port)

    @property
    def addresses(self) -> list[tuple[str, int]]:
        """Where it listens (the port is the real one when 0 was asked for)."""
        assert self.runner is not None
        return [(address[0], address[1]) for address in self.runner.addresses]

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()
            self.runner = None
