"""INSERT ... ON CONFLICT on SQLite and PostgreSQL: the dialect's insert, rows that replace those
written before (roll-ups), and counters kept in the same transaction as the event they count
(one atomic statement, safe under concurrency)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Executable
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import DeclarativeBase


def insert_for(db: AsyncSession) -> Any:
    """The session's dialect's ``insert`` (both have ``on_conflict_do_*``)."""
    return postgresql.insert if db.get_bind().dialect.name == "postgresql" else sqlite.insert


def replacing(
    db: AsyncSession, model: type[Any], keys: list[str], columns: Sequence[str]
) -> Executable:
    """An insert of ``model`` rows (executed with a list of them) where a row whose ``keys``
    exist already replaces that row's ``columns``."""
    statement = insert_for(db)(model)
    return statement.on_conflict_do_update(  # type: ignore[no-any-return]
        index_elements=keys, set_={name: statement.excluded[name] for name in columns}
    )


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
