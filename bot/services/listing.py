"""The public list of local rooms, for the workshop's web page.

Only rooms whose hosts consented (`public=yes`) and that are not withdrawn are
listed, and only what a web page needs: no people, no capacities.

Every field is text that someone typed, so each format makes it inert where it
lands: Markdown cells are HTML-escaped and then Markdown-escaped (a room named
`<script>` shows as text on the web page), and CSV cells that a spreadsheet
would run as a formula get a leading `'` (OWASP, "CSV injection").
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import asdict, dataclass
from typing import Literal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.countries import country_name
from bot.db.models import LocalRoom, RoomStatus, Workshop
from bot.services import rooms, seats
from bot.services.cells import spreadsheet_cell
from bot.text import escape

Format = Literal["md", "json", "csv"]
# The chat command and the command line both default to this.
DEFAULT_FORMAT: Format = "md"
CONTENT_TYPES: dict[str, str] = {
    "md": "text/markdown",
    "json": "application/json",
    "csv": "text/csv",
}


@dataclass(frozen=True)
class PublicRoom:
    id: str
    name: str
    organization: str
    mode: str
    city: str
    country: str
    language: str
    days: str
    who_may_join: str
    signup_url: str
    seats_left: int


async def public_rooms(session: AsyncSession, workshop: Workshop) -> list[PublicRoom]:
    listed = list(
        await session.scalars(
            select(LocalRoom)
            .where(
                LocalRoom.workshop_id == workshop.id,
                LocalRoom.public,
                LocalRoom.status != RoomStatus.WITHDRAWN,
            )
            .order_by(LocalRoom.id)
        )
    )
    taken = await seats.occupancy(session, [r.id for r in listed])
    return [
        PublicRoom(
            id=room.code,
            name=room.name,
            organization=room.organization,
            mode=room.mode.value,
            city=room.city or "",
            country=room.country or "",
            language=room.language,
            days=readable_days(workshop, rooms.covered_days(room)),
            who_may_join=room.who_may_join or "",
            signup_url=room.signup_url or "",
            seats_left=taken[room.id].seats_left(room),
        )
        for room in listed
    ]


def readable_days(workshop: Workshop, numbers: frozenset[int]) -> str:
    """`Tue 17 Mar, Wed 18 Mar`: the workshop's dates of the covered day numbers."""
    dates = [day.local_date for day in workshop.days if day.number in numbers]
    return ", ".join(f"{d:%a} {d.day} {d:%b}" for d in dates)


def render(entries: list[PublicRoom], fmt: Format) -> str:
    rows = [asdict(entry) for entry in entries]
    fields = list(PublicRoom.__dataclass_fields__)
    if fmt == "json":
        return json.dumps(rows, ensure_ascii=False, indent=2) + "\n"
    if fmt == "csv":
        out = io.StringIO()
        # Every text cell quoted, so a separator inside a value never starts a cell.
        writer = csv.writer(out, lineterminator="\n", quoting=csv.QUOTE_NONNUMERIC)
        writer.writerow(fields)
        writer.writerows([spreadsheet_cell(row[f]) for f in fields] for row in rows)
        return out.getvalue()
    # A table people read names the country; JSON and CSV keep the code for programs.
    rows = [row | {"country": country_name(row["country"])} for row in rows]
    header = "| " + " | ".join(fields) + " |\n" + "|" + " --- |" * len(fields) + "\n"
    return header + "".join(
        "| " + " | ".join(_markdown_cell(row[f]) for f in fields) + " |\n" for row in rows
    )


# `escape`'s escapes of the characters HTML reads, as the references every Markdown
# knows: Markdown without `\\<` (Python-Markdown's, for one) would pass `<img ...>`
# through where a page allows raw HTML.
_HTML_ESCAPES = re.compile(r"\\([<>&])")
_REFERENCES = {"<": "&lt;", ">": "&gt;", "&": "&amp;"}


def _markdown_cell(value: object) -> str:
    """Literal text in a Markdown table cell, safe where the page allows raw HTML.

    `escape` disarms emphasis, links, code and the cell's `|`, and its escapes of
    `<`, `>` and `&` become references. Line breaks would end the table row.
    """
    text = escape(" ".join(str(value).splitlines()))
    return _HTML_ESCAPES.sub(lambda m: _REFERENCES[m[1]], text)
