"""Counters kept in the same transaction as the event they count: one atomic statement
(INSERT ... ON CONFLICT DO UPDATE), safe under concurrency on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Executable
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import DeclarativeBase


def add_to(
    dialect_name: str,
    model: type[Any] | type[DeclarativeBase],
    keys: dict[str, Any],
    deltas: dict[str, int],
    *,
    touch: dict[str, Any] | None = None,
) -> Executable:
    """Adds ``deltas`` to the row of ``keys`` (created with them if missing) and sets the
    ``touch`` columns (e.g. a last-changed time)."""
    insert = postgresql.insert if dialect_name == "postgresql" else sqlite.insert
    table = model.__table__
    touch = touch or {}
    statement = insert(model).values({**keys, **deltas, **touch})
    return statement.on_conflict_do_update(
        index_elements=list(keys),
        set_={**{c: table.c[c] + d for c, d in deltas.items()}, **touch},
    )


def increment(
    dialect_name: str, model: type[DeclarativeBase], keys: dict[str, Any], column: str, delta: int
) -> Executable:
    return add_to(dialect_name, model, keys, {column: delta})
