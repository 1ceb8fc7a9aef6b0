"""The declarative base (naming convention, aware UTC datetimes) and column helpers
the table modules share."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import Enum, MetaData, text
from sqlalchemy.orm import DeclarativeBase

from bot.db.types import UTCDateTime

# Stable constraint names, so Alembic's batch mode can alter SQLite tables.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


# A column's `info`: it names someone or something (a user id, a room, a key, a
# token), never free text, so forget-me never rewrites it (bot/services/forget.py).
IDENTITY: dict[str, Any] = {"identity": True}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime()}


def stored_enum(cls: type[enum.Enum]) -> Enum:
    """Store an enum by its value, as a plain string column (portable, readable)."""
    return Enum(
        cls,
        native_enum=False,
        create_constraint=False,
        length=16,
        values_callable=lambda members: [m.value for m in members],
    )


def only_where(condition: str) -> dict[str, Any]:
    """A partial index's condition, the same on SQLite and PostgreSQL."""
    return {"sqlite_where": text(condition), "postgresql_where": text(condition)}
