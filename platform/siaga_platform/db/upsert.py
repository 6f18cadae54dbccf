"""Counters kept in the same transaction as the event they count: one atomic statement
(INSERT ... ON CONFLICT DO UPDATE), safe under concurrency on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Executable
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import DeclarativeBase


def increment(
    dialect_name: str, model: type[DeclarativeBase], keys: dict[str, Any], column: str, delta: int
) -> Executable:
    insert = postgresql.insert if dialect_name == "postgresql" else sqlite.insert
    table = model.__table__
    statement = insert(model).values({**keys, column: delta})
    return statement.on_conflict_do_update(
        index_elements=list(keys), set_={column: table.c[column] + delta}
    )
