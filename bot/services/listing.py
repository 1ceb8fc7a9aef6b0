"""The public list of local rooms, for the workshop's web page.

Only rooms whose hosts consented (`public=yes`) and that are not withdrawn are
listed, and only what a web page needs: no people, no capacities.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import asdict, dataclass
from typing import Literal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import LocalRoom, RoomStatus, Workshop
from bot.services import rooms, seats
from bot.values import format_days

Format = Literal["md", "json", "csv"]
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
            days=format_days(rooms.covered_days(room)),
            who_may_join=room.who_may_join or "",
            signup_url=room.signup_url or "",
            seats_left=taken[room.id].seats_left(room),
        )
        for room in listed
    ]


def render(entries: list[PublicRoom], fmt: Format) -> str:
    rows = [asdict(entry) for entry in entries]
    fields = list(PublicRoom.__dataclass_fields__)
    if fmt == "json":
        return json.dumps(rows, ensure_ascii=False, indent=2) + "\n"
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        return out.getvalue()
    header = "| " + " | ".join(fields) + " |\n" + "|" + " --- |" * len(fields) + "\n"
    return header + "".join(
        "| " + " | ".join(_cell(row[f]) for f in fields) + " |\n" for row in rows
    )


def _cell(value: object) -> str:
    """A Markdown table cell: pipes and line breaks would break the table."""
    return str(value).replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")
