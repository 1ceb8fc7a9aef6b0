"""The web side's handlers: the room page, its data, calendar feeds, health and metrics.

Everything public comes from the listing service (`bot/services/listing.py`), so
the page, `/rooms.json` and `/rooms.csv` show exactly what the chat export does:
consented rooms only, no people, no venue or video link. Each handler reads in
a read-only session (it never takes SQLite's write lock).
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Mapping
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Protocol
from zoneinfo import ZoneInfo

import jinja2
from aiohttp import web
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot import metrics
from bot.clock import Clock
from bot.countries import country_name
from bot.db.models import (
    DeliveryStatus,
    OutboxMessage,
    Reminder,
    ReminderStatus,
    Workshop,
)
from bot.services import calendars, lifecycle, listing, onboarding, workshops
from bot.services.errors import UserError
from bot.text import span
from bot.transport.capabilities import SyncHealth
from bot.values import language_name
from bot.web import filters

TEMPLATES = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
)
HEALTH_DB_TIMEOUT_S = 5.0


class Syncing(Protocol):
    """A transport that receives by syncing says when it last did (Matrix does)."""

    network: str
    last_sync: datetime | None


def html_page(template: str, http_status: int = 200, **values: Any) -> web.Response:
    body = TEMPLATES.get_template(template).render(**values)
    return web.Response(text=body, status=http_status, content_type="text/html", charset="utf-8")


def conditional(request: web.Request, body: bytes, content_type: str) -> web.Response:
    """A response with an ETag; 304 without a body when the client has this version."""
    tag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    headers = {"ETag": tag, "Cache-Control": "public, max-age=60"}
    if tag in {t.strip() for t in request.headers.get("If-None-Match", "").split(",")}:
        return web.Response(status=304, headers=headers)
    return web.Response(body=body, headers=headers, content_type=content_type, charset="utf-8")


class Pages:
    """The handlers, with what they read from."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        clock: Clock,
        prefix: str,
        transports: Mapping[str, object],
        sync_max_age: timedelta,
    ) -> None:
        self.sessions = sessions
        self.clock = clock
        self.prefix = prefix
        self.transports = transports
        self.sync_max_age = sync_max_age

    async def _workshop(self, session: AsyncSession, request: web.Request) -> Workshop:
        slug = request.match_info.get("slug")
        try:
            if slug is None:
                workshop = await workshops.require_current(session)
            else:
                workshop = await workshops.by_slug(session, slug)
        except UserError:
            what = f"There is no workshop {slug!r}." if slug else "No workshop is set up yet."
            raise web.HTTPNotFound(text=what) from None
        # Archived: hidden from the web as from the chat's listings.
        if lifecycle.state_of(workshop, self.clock.now()) is lifecycle.State.ARCHIVED:
            raise web.HTTPNotFound(text=f"The workshop {workshop.slug!r} is archived.")
        return workshop

    async def room_page(self, request: web.Request) -> web.Response:
        async with self.sessions() as session, session.begin():
            workshop = await self._workshop(session, request)
            entries = await listing.public_rooms(session, workshop)
            zone = ZoneInfo(workshop.timezone)
            days = [
                {"number": day.number, "text": span(day.starts_at, day.ends_at, zone),
                 "start_iso": day.starts_at.isoformat(), "end_iso": day.ends_at.isoformat()}
                for day in workshop.days
            ]
            links = [(label, url) for label, url in workshops.links(workshop) if _web(url)]
        chosen = filters.read(request.query, entries)
        rooms = [_shown(entry) for entry in entries]
        shown = [room for room, entry in zip(rooms, entries, strict=True) if chosen.keep(entry)]
        languages = sorted({(r["language"], r["language_name"]) for r in rooms},
                           key=lambda pair: pair[1])
        countries = sorted({(filters.country_of(entry), r["country_name"])
                            for r, entry in zip(rooms, entries, strict=True) if entry.country},
                           key=lambda pair: pair[1])
        return html_page(
            "rooms.html", workshop=workshop, days=days, links=links, shown=shown,
            total=len(rooms),
            state=lifecycle.state_of(workshop, self.clock.now()),
            chosen=chosen, modes=filters.MODES, languages=languages, prefix=self.prefix,
            countries=countries,
        )

    async def rooms_data(self, request: web.Request) -> web.Response:
        """The listed rooms as JSON or CSV, narrowed by the same filters as the page."""
        fmt: listing.Format = "json" if request.path.endswith(".json") else "csv"
        async with self.sessions() as session, session.begin():
            workshop = await self._workshop(session, request)
            entries = await listing.public_rooms(session, workshop)
        chosen = filters.read(request.query, entries)
        data = listing.render([entry for entry in entries if chosen.keep(entry)], fmt)
        response = conditional(request, data.encode(), listing.CONTENT_TYPES[fmt])
        # A static workshop site may fetch the list from the browser.
        response.headers["Access-Control-Allow-Origin"] = "*"
        return response

    async def workshop_ics(self, request: web.Request) -> web.Response:
        async with self.sessions() as session, session.begin():
            workshop = await self._workshop(session, request)
            body = calendars.workshop_calendar(workshop, workshop.created_at)
        return conditional(request, body, "text/calendar")

    async def onboarding_ics(self, request: web.Request) -> web.Response:
        async with self.sessions() as session, session.begin():
            workshop = await self._workshop(session, request)
            found = await onboarding.sessions_of(session, workshop)
            body = calendars.onboarding_calendar(
                workshop, found, None, workshop.created_at, linked=()  # public: no link
            )
        return conditional(request, body, "text/calendar")

    async def healthz(self, request: web.Request) -> web.Response:
        """200 when the database answers and every syncing transport synced lately."""
        problems: dict[str, str] = {}
        checks: dict[str, str] = {}
        try:
            async with self.sessions() as session:
                await session.execute(text("SELECT 1"))
            checks["database"] = "ok"
        except Exception as exc:
            checks["database"] = "unreachable"
            problems["database"] = f"unreachable: {type(exc).__name__}"
        now = self.clock.now()
        for network, transport in self.transports.items():
            if not isinstance(transport, SyncHealth):
                continue  # a transport that does not sync (the console) has nothing to tell
            last = transport.last_sync
            if last is None:
                problems[network] = "not synced yet"
            elif now - last > self.sync_max_age:
                problems[network] = f"last sync {int((now - last).total_seconds())} s ago"
            checks[network] = problems.get(network, "ok")
        body = {"status": "unhealthy" if problems else "ok", "checks": checks}
        if problems:
            body["problems"] = problems
        return web.json_response(body, status=503 if problems else 200,
                                 headers={"Cache-Control": "no-store"})

    async def metrics(self, request: web.Request) -> web.Response:
        """Counters kept in memory, and gauges read from the tables at each scrape."""
        try:
            async with self.sessions() as session:
                pending = await session.scalar(
                    select(func.count()).where(OutboxMessage.status == DeliveryStatus.PENDING)
                )
                reminders = await session.execute(
                    select(Reminder.status, Reminder.late_minutes.is_not(None), func.count())
                    .where(Reminder.status != ReminderStatus.CANCELLED)
                    .group_by(Reminder.status, Reminder.late_minutes.is_not(None))
                )
            metrics.OUTBOX_DEPTH.set(int(pending or 0))
            by_status = dict.fromkeys(("pending", "sent", "delayed", "missed", "skipped"), 0)
            for status, late, count in reminders:
                by_status[status.value] += count
                if status is ReminderStatus.SENT and late:
                    by_status["delayed"] += count  # sent late: also counted as sent
            for name, count in by_status.items():
                metrics.REMINDERS.labels(status=name).set(count)
        except Exception:  # the other metrics still tell; /healthz says what is wrong
            pass
        return web.Response(
            body=metrics.exposition(),
            headers={"Content-Type": "text/plain; version=0.0.4; charset=utf-8",
                     "Cache-Control": "no-store"},
        )


def _shown(entry: listing.PublicRoom) -> dict[str, Any]:
    room = dataclasses.asdict(entry)
    room["language_name"] = language_name(entry.language)
    room["country_name"] = country_name(entry.country)
    room["signup_link"] = entry.signup_url if _web(entry.signup_url) else ""
    return room


def _web(url: str) -> bool:
    """Only a web address becomes a link (never javascript: or data:)."""
    return url.startswith(("https://", "http://"))

