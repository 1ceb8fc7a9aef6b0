"""Countries as people type them: an ISO 3166-1 code or an English name, stored as the
code and shown with its name (`Norway (NO)`)."""

from __future__ import annotations

import difflib
import functools
import re
from typing import Self

import pycountry

from bot.text import quoted
from bot.values import dashes, fold

# English names people use that ISO 3166 spells otherwise (or not at all).
_COUNTRY_ALIASES = {
    "uk": "GB", "great britain": "GB", "britain": "GB", "england": "GB", "scotland": "GB",
    "wales": "GB", "northern ireland": "GB", "russia": "RU", "turkey": "TR",
    "ivory coast": "CI", "palestine": "PS", "macedonia": "MK", "north macedonia": "MK",
    "swaziland": "SZ", "eswatini": "SZ", "cape verde": "CV", "holland": "NL",
    "czech republic": "CZ", "vatican": "VA", "dr congo": "CD",
    "democratic republic of the congo": "CD", "republic of the congo": "CG",
    "north korea": "KP", "brunei": "BN", "micronesia": "FM", "burma": "MM",
    "east timor": "TL", "uae": "AE", "america": "US",
}


@functools.cache
def _country_names() -> dict[str, str]:
    """Folded English names and alpha-3 codes -> the alpha-2 code."""
    found: dict[str, str] = {}
    for country in pycountry.countries:
        for attribute in ("alpha_3", "name", "common_name", "official_name"):
            if name := getattr(country, attribute, None):
                found.setdefault(fold(name), country.alpha_2)
    return found | _COUNTRY_ALIASES


class Country(str):
    """A country as its ISO 3166-1 alpha-2 code (`NO`), also given by its English name
    (`Norway`, `norway`, `South Korea`) or alpha-3 code (`NOR`)."""

    metavar = "NO"
    what = "the country"

    @classmethod
    def parse(cls, text: str) -> Self:
        cleaned = " ".join(dashes(text).split())
        if re.fullmatch(r"[A-Za-z]{2}", cleaned):
            found = pycountry.countries.get(alpha_2=cleaned.upper())
            if found is not None:
                return cls(found.alpha_2)
        folded = fold(cleaned)
        if len(folded) <= 60 and (code := _country_names().get(folded)):
            return cls(code)
        close = difflib.get_close_matches(folded[:60], _country_names(), n=1, cutoff=0.8)
        hint = f" Did you mean {country_name(_country_names()[close[0]])}?" if close else ""
        raise ValueError(
            f"{quoted(text)} is not a country I know; use an ISO 3166 code or the English "
            f"name, e.g. NO, DE or Norway.{hint}"
        )


@functools.lru_cache(maxsize=1024)  # a listing names a country for every room
def country_name(stored: str) -> str:
    """`Norway (NO)`: a stored country code with its English name; text stored before
    countries were codes is shown as it is."""
    found = pycountry.countries.get(alpha_2=stored) if re.fullmatch(r"[A-Z]{2}", stored) else None
    if found is None:
        return stored
    return f"{getattr(found, 'common_name', None) or found.name} ({stored})"


def country_code(stored: str) -> str | None:
    """The code of a stored country, also of one stored as a name before countries were
    codes (`Norway` -> NO); None for text that names no country."""
    try:
        return Country.parse(stored)
    except ValueError:
        return None
