"""Channels and subscriptions in the Zulip API double, from the documented API
(zulip.com/api: subscribe, unsubscribe, get subscriptions, update and archive a
channel).

- `POST /users/me/subscriptions` creates the channels named that do not exist
  (`invite_only`: private, `description`), its creator administering them, and
  subscribes `principals` (user ids or e-mails; default: the caller). A private
  channel is reachable only by its subscribers and its administrators (the
  organization's, and its creator). A name is at most 60 characters and matched ignoring case.
- `DELETE /users/me/subscriptions`: unsubscribes; others only by an
  administrator of the organization or of the channel.
- `GET /users/me/subscriptions`: the caller's channels, archived ones left out.
- `PATCH /streams/{id}`: the description, by the channel's administrators.
- `DELETE /streams/{id}`: archives it, for organization administrators only.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from tests.zulip.realm import ADMINISTRATOR, ApiError, Realm, Stream, User, json_param

MAX_NAME_LENGTH = 60

Handler = Callable[[Realm, User, dict[str, str], Mapping[str, str]], dict[str, Any]]


def _named(realm: Realm, name: str) -> Stream | None:
    return next((s for s in realm.streams.values()
                 if s.name.lower() == name.lower() and not s.archived), None)


def _reachable(user: User, stream: Stream) -> bool:
    return (not stream.invite_only or user.user_id in stream.subscribers
            or _administers(user, stream))


def _administers(user: User, stream: Stream) -> bool:
    return user.role <= ADMINISTRATOR or stream.creator == user.user_id


def _people(realm: Realm, user: User, params: dict[str, str]) -> list[User]:
    principals = json_param(params, "principals", None)
    return [user] if principals is None else [realm.person(p) for p in principals]


def subscribe(realm: Realm, user: User, params: dict[str, str],
              _path: Mapping[str, str]) -> dict[str, Any]:
    invite_only = bool(json_param(params, "invite_only", False))
    people = _people(realm, user, params)
    subscribed: dict[str, list[str]] = {}
    already: dict[str, list[str]] = {}
    for item in json_param(params, "subscriptions", []):
        name = str(item["name"] if isinstance(item, dict) else item).strip()
        if len(name) > MAX_NAME_LENGTH:
            raise ApiError(f"Channel name too long (limit: {MAX_NAME_LENGTH} characters).")
        stream = _named(realm, name)
        if stream is None:
            stream = realm.add_stream(name)
            stream.invite_only, stream.creator = invite_only, user.user_id
            stream.description = str(item.get("description", "")) if isinstance(
                item, dict) else ""
        elif not _reachable(user, stream):
            raise ApiError(f"Unable to access channel ({name}).")
        for person in people:
            into = already if person.user_id in stream.subscribers else subscribed
            into.setdefault(str(person.user_id), []).append(stream.name)
            stream.subscribers.add(person.user_id)
    return {"subscribed": subscribed, "already_subscribed": already}


def unsubscribe(realm: Realm, user: User, params: dict[str, str],
                _path: Mapping[str, str]) -> dict[str, Any]:
    people = _people(realm, user, params)
    removed, not_removed = [], []
    for name in json_param(params, "subscriptions", []):
        stream = _named(realm, str(name))
        if stream is None or not _reachable(user, stream):
            raise ApiError(f"Channel(s) ({name}) do not exist")
        if any(p.user_id != user.user_id for p in people) and not _administers(user, stream):
            raise ApiError("Insufficient permission", "UNAUTHORIZED_PRINCIPAL")
        for person in people:
            (removed if person.user_id in stream.subscribers else not_removed).append(stream.name)
            stream.subscribers.discard(person.user_id)
    return {"removed": removed, "not_removed": not_removed}


def subscriptions(realm: Realm, user: User, _params: dict[str, str],
                  _path: Mapping[str, str]) -> dict[str, Any]:
    return {"subscriptions": [
        {"stream_id": s.stream_id, "name": s.name, "description": s.description,
         "invite_only": s.invite_only, "is_archived": False}
        for s in realm.streams.values() if user.user_id in s.subscribers and not s.archived]}


def _stream(realm: Realm, user: User, path: Mapping[str, str]) -> Stream:
    stream = realm.streams.get(int(path["stream_id"]))
    if stream is None or stream.archived or not _reachable(user, stream):
        raise ApiError("Invalid channel ID", "BAD_REQUEST")
    return stream


def update(realm: Realm, user: User, params: dict[str, str],
           path: Mapping[str, str]) -> dict[str, Any]:
    stream = _stream(realm, user, path)
    if not _administers(user, stream):
        raise ApiError("You do not have permission to administer this channel.")
    if "description" in params:
        stream.description = params["description"]
    return {}


def archive(realm: Realm, user: User, _params: dict[str, str],
            path: Mapping[str, str]) -> dict[str, Any]:
    stream = _stream(realm, user, path)
    if user.role > ADMINISTRATOR:
        raise ApiError("Must be an organization administrator")
    stream.archived = True
    return {}


ROUTES: tuple[tuple[str, str, Handler], ...] = (
    ("POST", "/api/v1/users/me/subscriptions", subscribe),
    ("DELETE", "/api/v1/users/me/subscriptions", unsubscribe),
    ("GET", "/api/v1/users/me/subscriptions", subscriptions),
    ("PATCH", "/api/v1/streams/{stream_id:\\d+}", update),
    ("DELETE", "/api/v1/streams/{stream_id:\\d+}", archive),
)
