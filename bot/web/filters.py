"""The room list's filters (`?mode=`, `?lang=`, `?country=`), read as the chat reads them.

A language or country may be given as a code or an English name (`lang=Norwegian`,
`country=norway`), and a phone's dash is a hyphen (`mode=in—person`); a value that
names nothing is a 400 saying what is accepted, never an empty list that looks
like "no rooms".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from aiohttp import web

from bot.countries import country_code
from bot.services.listing import PublicRoom
from bot.text import clip
from bot.values import Language, dashes

MODES = (("in-person", "in person"), ("online", "online"))


@dataclass(frozen=True)
class Filters:
    """What was chosen, each as stored ("" for any)."""

    mode: str = ""
    lang: str = ""
    country: str = ""

    def keep(self, room: PublicRoom) -> bool:
        return (
            (not self.mode or room.mode == self.mode)
            and (not self.lang or room.language == self.lang)
            and (not self.country or country_of(room) == self.country)
        )


def country_of(room: PublicRoom) -> str:
    """A room's country as a filter value: its code, or text stored before codes as it is."""
    return country_code(room.country) or room.country if room.country else ""


def read(query: Mapping[str, str], rooms: Sequence[PublicRoom]) -> Filters:
    """The filters of a query; HTTPBadRequest naming what is accepted for a value that
    names nothing."""
    given = {key: " ".join(query.get(key, "").split()) for key in ("mode", "lang", "country")}
    mode = dashes(given["mode"]).lower()
    if mode not in ("", *dict(MODES)):
        raise web.HTTPBadRequest(text="mode must be in-person or online.")
    lang = ""
    if given["lang"]:
        try:
            lang = Language.parse(given["lang"])
        except ValueError:
            raise web.HTTPBadRequest(text=_refused("lang", given["lang"], (
                "an ISO 639-1 language code or its English name, e.g. en, de, no or Norwegian"
            ))) from None
    country = ""
    if given["country"]:
        # Text stored before countries were codes is chosen as it is listed.
        listed = {country_of(room).casefold(): country_of(room) for room in rooms}
        country = country_code(given["country"]) or listed.get(given["country"].casefold(), "")
        if not country:
            raise web.HTTPBadRequest(text=_refused("country", given["country"], (
                "an ISO 3166 country code or its English name, e.g. NO, DE or Norway"
            )))
    return Filters(mode, lang, country)


def _refused(key: str, value: str, accepted: str) -> str:
    return f"{key}= takes {accepted}; “{clip(value, 40)}” is not one."
