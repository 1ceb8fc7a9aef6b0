"""The Zulip API double's message edit: `PATCH /api/v1/messages/{message_id}` with
`content`, as the documented API answers it (the realm keeps the earlier contents)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from tests.zulip.mentions import notifying_mentions
from tests.zulip.realm import ApiError


async def edit_message(double: Any, request: web.Request) -> web.Response:
    from tests.zulip.double import USER

    params = await double._params(request)
    raw = request.match_info["message_id"]
    if not raw.isdigit():
        raise ApiError("Invalid message(s)")
    editor = request[USER]
    content = params.get("content")
    if editor.is_bot and content is not None and (found := notifying_mentions(content)):
        double.notifying.append(f"{found} in {content!r}")
    double.realm.edit(editor, int(raw), content)
    return double._ok()


def edits_of(double: Any) -> Callable[[web.Request], Awaitable[web.Response]]:
    """The double's handler of message edits."""

    async def handle(request: web.Request) -> web.Response:
        return await edit_message(double, request)

    return handle
