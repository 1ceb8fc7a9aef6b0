"""A Zulip API double on 127.0.0.1: the documented REST API (zulip.com/api) over aiohttp.

Test code, never shipped. It runs its own event loop in a thread, so the
official `zulip` client (synchronous, `requests`) can drive it from a test
while the bot talks to it over HTTP. Endpoints: `server_settings`,
`register`, `events` (long-poll with heartbeats, `BAD_EVENT_QUEUE_ID` for a
queue that is gone), `messages` (send to a channel + topic or direct; history
with anchor, `num_before`/`num_after` and narrow; PATCH edits), `user_uploads`, `users`,
`users/me`, `users/me/subscriptions`. Authentication is HTTP basic with
email:api_key; errors have Zulip's JSON shape.

Faults a test switches on: `outage(True)` (every request answers 502 as a proxy
in front of a stopped server would, long-polls included), `expire_queues()`,
`omit_from_register(...)` (fields a `register` answer leaves out),
`rate_limit(n)` (the next n matching requests get 429 `RATE_LIMIT_HIT` with
`Retry-After`, or a proxy's HTML 429 with only the header). `calls` records
every request (method, path, who, status).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import secrets
import threading
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from aiohttp import BasicAuth, web

from tests.zulip import streams
from tests.zulip.edits import edits_of
from tests.zulip.faults import Call, RateLimit, bad_gateway, proxy_limited
from tests.zulip.mentions import notifying_mentions
from tests.zulip.realm import (
    EVERYONE,
    MAX_MESSAGE_LENGTH,
    ApiError,
    Message,
    Realm,
    Stream,
    User,
    json_param,
    parse_narrow,
)

T = TypeVar("T")
VERSION = "10.0-double"
USER = web.RequestKey("user", User)
FEATURE_LEVEL = 300


class ZulipDouble:
    """The server and its realm; control methods may be called from any thread."""

    def __init__(self, *, longpoll_timeout_s: float = 90.0, heartbeat_s: float = 10.0,
                 queue_idle_timeout_s: float = 600.0,
                 max_message_length: int = MAX_MESSAGE_LENGTH) -> None:
        self.realm = Realm(max_message_length=max_message_length)
        self.longpoll_timeout_s = longpoll_timeout_s
        self.heartbeat_s = heartbeat_s
        self.queue_idle_timeout_s = queue_idle_timeout_s
        self.calls: list[Call] = []
        self.notifying: list[str] = []  # a bot's messages that notify someone (stop() fails)
        self._limits: list[RateLimit] = []
        self._doomed_polls = 0  # polls answered BAD_EVENT_QUEUE_ID at once (a broken server)
        self._register_omits: frozenset[str] = frozenset()
        self._down = asyncio.Event()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True,
                                        name="zulip-double")
        self._runner: web.AppRunner | None = None
        self.url = ""

    # -- life --------------------------------------------------------------------

    def start(self) -> ZulipDouble:
        self._thread.start()
        self.url = self._run(self._start())
        return self

    async def _start(self) -> str:
        self._down = asyncio.Event()  # created on the server's loop
        app = web.Application(middlewares=[self._middleware], client_max_size=30 * 2**20)
        api = [
            web.get("/api/v1/server_settings", self._server_settings),
            web.post("/api/v1/register", self._register),
            web.get("/api/v1/events", self._events),
            web.delete("/api/v1/events", self._delete_queue),
            web.post("/api/v1/messages", self._send),
            web.get("/api/v1/messages", self._messages),
            web.patch("/api/v1/messages/{message_id:\\d+}", edits_of(self)),
            web.post("/api/v1/submessage", self._submessage),
            web.post("/api/v1/user_uploads", self._upload),
            web.get("/user_uploads/{path:.+}", self._download),
            web.get("/api/v1/users", self._users),
            web.get("/api/v1/users/me", self._me),
            web.get("/api/v1/users/{user_id:\\d+}", self._user),
            *(web.route(method, path, self._on_streams(handler))
              for method, path, handler in streams.ROUTES),
        ]
        app.add_routes(api)
        self._runner = web.AppRunner(app, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        return f"http://127.0.0.1:{port}"

    def stop(self) -> None:
        """Stop the server; fail if a bot posted a message that notifies anyone (a
        mention outside code: see `mentions`), so every test against it checks."""
        if self._runner is not None:
            self._run(self._runner.cleanup())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        if self.notifying:
            raise AssertionError("a bot's Zulip message notifies someone it does not "
                                 "mean to: " + "; ".join(self.notifying))

    def _run(self, work: Awaitable[T]) -> T:
        future: concurrent.futures.Future[T] = asyncio.run_coroutine_threadsafe(
            _awaited(work), self._loop)
        return future.result(timeout=30)

    def _do(self, action: Callable[[], T]) -> T:
        async def call() -> T:
            return action()
        return self._run(call())

    # -- what tests control ------------------------------------------------------

    def add_user(self, full_name: str, email: str, *, role: int = 400,
                 is_bot: bool = False, address_visibility: int = EVERYONE) -> User:
        """A person; `email` is their real address (what they log in with), shown as
        the API's `email` only when `address_visibility` is EVERYONE."""
        return self._do(lambda: self.realm.add_user(full_name, email, role=role,
                                                    is_bot=is_bot,
                                                    address_visibility=address_visibility))

    def add_stream(self, name: str, *members: User) -> Stream:
        return self._do(lambda: self.realm.add_stream(name, members))

    def subscribe(self, stream: Stream, *users: User) -> None:
        self._do(lambda: stream.subscribers.update(u.user_id for u in users))

    def post(self, sender: User, content: str, *, stream: Stream | None = None,
             topic: str = "", to: tuple[User, ...] = ()) -> Message:
        """A message from `sender` without going through HTTP (a test's set-up)."""
        return self._do(lambda: self.realm.post(sender, content, stream=stream, topic=topic,
                                                to=to))

    def messages(self) -> list[Message]:
        return self._do(lambda: list(self.realm.messages))

    def expire_queues(self, user: User | None = None) -> int:
        """Forget event queues (of one user, or all): their next poll gets BAD_EVENT_QUEUE_ID."""
        return self._do(lambda: self.realm.expire(
            user_id=None if user is None else user.user_id))

    def queue_count(self, user: User) -> int:
        return self._do(lambda: sum(q.user_id == user.user_id
                                    for q in self.realm.queues.values()))

    def rate_limit(self, calls: int, *, retry_after: float = 1.0, who: User | None = None,
                   path: str | None = None, by_proxy: bool = False) -> None:
        """The next `calls` requests (by `who`, to `path`) are answered 429: Zulip's
        JSON error, or (`by_proxy`) a proxy's HTML page with only the header."""
        limit = RateLimit(calls, retry_after, None if who is None else who.email, path,
                          by_proxy)
        self._do(lambda: self._limits.append(limit))

    def omit_from_register(self, *fields: str) -> None:
        """`register` answers leave these fields out (`max_message_id`,
        `max_message_length`), as an older or differently configured server may."""
        self._do(lambda: setattr(self, "_register_omits", frozenset(fields)))

    def lose_queues_at_first_poll(self, polls: int) -> None:
        """The next `polls` event polls find their queue gone, however new it is."""
        self._do(lambda: setattr(self, "_doomed_polls", polls))

    def outage(self, down: bool) -> None:
        """While down every request (long-polls waiting included) is answered 502."""
        self._do(lambda: self._down.set() if down else self._down.clear())

    # -- plumbing ------------------------------------------------------------------

    @web.middleware
    async def _middleware(
        self, request: web.Request,
        handler: Callable[[web.Request], Awaitable[web.StreamResponse]],
    ) -> web.StreamResponse:
        who = _login(request)  # recorded even when the request is refused
        try:
            if self._down.is_set():
                response = bad_gateway()
                self.calls.append(Call(request.method, request.path, who, response.status))
                return response
            user = None
            if request.path != "/api/v1/server_settings":
                user = self._authenticate(request)
                who = user.email
            limit = self._rate_limited(request, who)
            if user is not None:
                request[USER] = user
            response = (proxy_limited(limit.retry_after) if limit is not None
                        else await handler(request))
        except ApiError as error:
            response = web.json_response(error.body(), status=error.status)
            if error.code == "RATE_LIMIT_HIT":
                response.headers["Retry-After"] = str(error.extra["retry-after"])
        self.calls.append(Call(request.method, request.path, who, response.status))
        return response

    def _authenticate(self, request: web.Request) -> User:
        header = request.headers.get("Authorization", "")
        try:
            auth = BasicAuth.decode(header)
        except ValueError:
            raise ApiError("Missing 'Authorization' header", "UNAUTHORIZED", 401) from None
        user = self.realm.by_login(auth.login)
        if user is None or not secrets.compare_digest(user.api_key, auth.password):
            raise ApiError("Invalid API key", "UNAUTHORIZED", 401)
        return user

    def _rate_limited(self, request: web.Request, who: str | None) -> RateLimit | None:
        """The limit a proxy in front enforces for this request, if one does; Zulip's
        own are raised as its JSON error."""
        for limit in self._limits:
            if limit.remaining > 0 and limit.who in (None, who) and (
                    limit.path is None or request.path.endswith(limit.path)):
                limit.remaining -= 1
                if limit.by_proxy:
                    return limit
                raise ApiError("API usage exceeded rate limit", "RATE_LIMIT_HIT", 429,
                               **{"retry-after": limit.retry_after})
        return None

    @staticmethod
    async def _params(request: web.Request) -> dict[str, str]:
        params = dict(request.query)
        if request.method != "GET" and request.content_type == "application/x-www-form-urlencoded":
            params.update({k: str(v) for k, v in (await request.post()).items()})
        return params

    @staticmethod
    def _ok(**data: Any) -> web.Response:
        return web.json_response({"result": "success", "msg": "", **data})

    # -- endpoints -------------------------------------------------------------------

    async def _server_settings(self, request: web.Request) -> web.Response:
        return self._ok(zulip_version=VERSION, zulip_feature_level=FEATURE_LEVEL,
                        zulip_merge_base=VERSION, push_notifications_enabled=False,
                        realm_uri=self.url, realm_url=self.url, realm_name="Double",
                        authentication_methods={"password": True})

    async def _register(self, request: web.Request) -> web.Response:
        params = await self._params(request)
        types = json_param(params, "event_types", None)
        queue = self.realm.register(
            request[USER], None if types is None else tuple(types),
            json_param(params, "apply_markdown", False))
        # The initial state comes for `fetch_event_types`, else for `event_types`.
        fetch = json_param(params, "fetch_event_types", types)
        state: dict[str, Any] = {}
        if fetch is None or "message" in fetch:
            state["max_message_id"] = self.realm.max_message_id
        if fetch is None or "realm" in fetch:
            state["max_message_length"] = self.realm.max_message_length
        state = {k: v for k, v in state.items() if k not in self._register_omits}
        return self._ok(queue_id=queue.queue_id, last_event_id=-1,
                        event_queue_longpoll_timeout_seconds=self.longpoll_timeout_s,
                        zulip_version=VERSION, zulip_feature_level=FEATURE_LEVEL, **state)

    async def _events(self, request: web.Request) -> web.Response:
        params = await self._params(request)
        self.realm.expire(idle_for=self.queue_idle_timeout_s)
        if self._doomed_polls > 0 and params.get("queue_id") in self.realm.queues:
            self._doomed_polls -= 1
            del self.realm.queues[params["queue_id"]]
        queue = self.realm.queue_of(request[USER], params.get("queue_id", ""))
        last = int(json_param(params, "last_event_id", -1))
        queue.events = [e for e in queue.events if e["id"] > last]
        if not queue.events and not json_param(params, "dont_block", False):
            queue.changed.clear()
            down = asyncio.ensure_future(self._down.wait())
            changed = asyncio.ensure_future(queue.changed.wait())
            await asyncio.wait({down, changed}, timeout=self.heartbeat_s,
                               return_when=asyncio.FIRST_COMPLETED)
            down.cancel()
            changed.cancel()
            if self._down.is_set():
                return bad_gateway()
            queue = self.realm.queue_of(request[USER], queue.queue_id)
            if not queue.events:
                queue.add({"type": "heartbeat"})
        return self._ok(events=list(queue.events), queue_id=queue.queue_id)

    async def _delete_queue(self, request: web.Request) -> web.Response:
        params = await self._params(request)
        queue = self.realm.queue_of(request[USER], params.get("queue_id", ""))
        del self.realm.queues[queue.queue_id]
        return self._ok()

    async def _send(self, request: web.Request) -> web.Response:
        params = await self._params(request)
        sender: User = request[USER]
        kind = params.get("type", "")
        to = params.get("to", "")
        content = params.get("content", "")
        if sender.is_bot and (found := notifying_mentions(content)):
            self.notifying.append(f"{found} in {content!r}")
        if kind in ("stream", "channel"):
            target = json_param(params, "to", to) if to.startswith("[") else to
            if isinstance(target, list):
                target = target[0]
            stream = self.realm.stream(target)
            topic = params.get("topic", params.get("subject", ""))
            message = self.realm.post(sender, content, stream=stream, topic=topic)
        elif kind in ("private", "direct"):
            refs = json_param(params, "to", None) if to.startswith("[") else to.split(",")
            if not refs:
                raise ApiError("Missing 'to' argument")
            people = [self.realm.person(ref) for ref in refs]
            message = self.realm.post(sender, content, to=people)
        else:
            raise ApiError(f"Invalid message type '{kind}'" if kind else
                           "Missing 'type' argument")
        return self._ok(id=message.id)

    async def _submessage(self, request: web.Request) -> web.Response:
        params = await self._params(request)
        message_id = params.get("message_id", "")
        if not message_id.isdigit():
            raise ApiError("Missing 'message_id' argument" if not message_id
                           else "Invalid message(s)")
        self.realm.submit(request[USER], int(message_id), params.get("msg_type", ""),
                          params.get("content", ""))
        return self._ok()

    async def _messages(self, request: web.Request) -> web.Response:
        params = await self._params(request)
        viewer: User = request[USER]
        narrow = parse_narrow(json_param(params, "narrow", []))
        found = self.realm.history(viewer.user_id, narrow)
        before = int(json_param(params, "num_before", 0))
        after = int(json_param(params, "num_after", 0))
        include = bool(json_param(params, "include_anchor", True))
        anchor_text = params.get("anchor", "newest")
        ids = [m.id for m in found]
        if anchor_text == "newest":
            anchor = 10**12
        elif anchor_text in ("oldest", "first_unread"):
            anchor = 0
        elif anchor_text.isdigit():
            anchor = int(anchor_text)
        else:
            raise ApiError(f"Invalid anchor {anchor_text!r}")
        older = [m for m in found if m.id < anchor][-before:] if before else []
        at = [m for m in found if m.id == anchor and include]
        newer = [m for m in found if m.id > anchor][:after]
        chosen = [*older, *at, *newer]
        markdown = bool(json_param(params, "apply_markdown", True))
        return self._ok(
            messages=[m.as_json(viewer.user_id, apply_markdown=markdown) for m in chosen],
            anchor=anchor, found_anchor=anchor in ids,
            found_oldest=len(older) < before or not [m for m in found if m.id < anchor],
            found_newest=len([m for m in found if m.id > anchor]) <= after,
            history_limited=False)

    async def _upload(self, request: web.Request) -> web.Response:
        reader = await request.multipart()
        part = await reader.next()
        if part is None or not hasattr(part, "filename") or not part.filename:
            raise ApiError("You must specify a file to upload")
        data = await part.read(decode=False)  # type: ignore[union-attr]
        name = str(part.filename)
        path = f"/user_uploads/1/{secrets.token_hex(2)}/{secrets.token_hex(8)}/{name}"
        self.realm.uploads[path] = (part.headers.get("Content-Type",  # type: ignore[union-attr]
                                                     "application/octet-stream"), bytes(data))
        return self._ok(uri=path, url=path, filename=name)

    async def _download(self, request: web.Request) -> web.Response:
        found = self.realm.uploads.get(request.path)
        if found is None:
            raise ApiError("File not found", "BAD_REQUEST", 404)
        return web.Response(body=found[1], content_type=found[0].split(";")[0])

    async def _users(self, request: web.Request) -> web.Response:
        viewer = request[USER]
        return self._ok(members=[u.member(viewer) for u in self.realm.users.values()])

    async def _me(self, request: web.Request) -> web.Response:
        return self._ok(**request[USER].member(request[USER]))

    async def _user(self, request: web.Request) -> web.Response:
        user = self.realm.person(int(request.match_info["user_id"]))
        return self._ok(user=user.member(request[USER]))

    def _on_streams(self, handler: streams.Handler) -> Callable[..., Awaitable[web.Response]]:
        async def route(request: web.Request) -> web.Response:
            params = await self._params(request)
            return self._ok(**handler(self.realm, request[USER], params, request.match_info))

        return route


def _login(request: web.Request) -> str | None:
    try:
        return BasicAuth.decode(request.headers.get("Authorization", "")).login
    except ValueError:
        return None


async def _awaited(work: Awaitable[T]) -> T:
    return await work
