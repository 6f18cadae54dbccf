"""Engines: URLs, drivers, pools, SQLite pragmas, errors without row values. (Sessions, which
carry the tenant wall, and the unit of work: ``tenancy/unit_of_work.py``.)"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import ExceptionContext, make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    create_async_engine,
)

_SYNC_DRIVERS = {"sqlite+aiosqlite": "sqlite+pysqlite", "postgresql+asyncpg": "postgresql+psycopg"}


def sync_url(url: str) -> str:
    """The same database for synchronous tools (Alembic, admin scripts)."""
    parsed = make_url(url)
    driver = _SYNC_DRIVERS.get(parsed.drivername, parsed.drivername)
    return parsed.set(drivername=driver).render_as_string(hide_password=False)


def async_url(url: str) -> str:
    parsed = make_url(url)
    if parsed.drivername in ("sqlite", "sqlite+pysqlite"):
        parsed = parsed.set(drivername="sqlite+aiosqlite")
    elif parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def driver_dsn(url: str) -> str:
    """The PostgreSQL URL as the driver itself takes it (for a pool outside SQLAlchemy)."""
    parsed = make_url(url).set(drivername="postgresql")
    return parsed.render_as_string(hide_password=False)


def _prepare_sqlite(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transactions into our own hands (the driver's implicit BEGIN is deferred).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        # IMMEDIATE: writers queue for the lock up front instead of failing with
        # "database is locked" when a read transaction later wants to write.
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def ensure_sqlite_dir(url: str) -> None:
    """A SQLite file under ``var/`` needs its folder before the first connection."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)


# SQLSTATE classes whose primary message names objects (constraint, table, column), never the
# values at hand; other classes (22 data exceptions, P0 raised by functions, ...) may quote them.
_MESSAGE_NAMES_ONLY = ("08", "23", "25", "40", "42", "53", "54", "55", "57", "58")
WITHHELD = "details withheld: they may hold personal data"


def _withhold_row_values(context: ExceptionContext) -> None:
    """PostgreSQL's error text carries the row at hand ("Key (nik_hash)=(…) already exists",
    "Failing row contains (…)", CONTEXT lines quoting data): keep only the primary message,
    and only where it names objects, so that no log line or error report holds personal data.
    The diagnostics (``orig.diag``, ``sqlstate``) stay whole for code that reads them."""
    original = context.original_exception
    diag: Any = getattr(original, "diag", None)
    sqlstate = getattr(diag, "sqlstate", None)
    if diag is None or not sqlstate:  # not the server's (a refused connection, client-side)
        return
    primary = diag.message_primary if sqlstate[:2] in _MESSAGE_NAMES_ONLY else None
    names = [
        f"{label} {value}"
        for label, value in (
            ("constraint", diag.constraint_name),
            ("table", diag.table_name),
            ("column", diag.column_name),
        )
        if value
    ]
    text = f"{primary or f'SQLSTATE {sqlstate}'} ({'; '.join([*names, WITHHELD])})"
    original.args = (text,)
    wrapped = context.sqlalchemy_exception
    if wrapped is not None:
        # The wrapper copied the driver's text when it was built (SQLAlchemy's own format).
        kind = type(original)
        wrapped.args = (f"({kind.__module__}.{kind.__name__}) {text}",)


def create_engine(url: str, **kwargs: Any) -> AsyncEngine:
    url = async_url(url)
    ensure_sqlite_dir(url)
    # A statement's parameters are personal data (birth date and place, sex, village, the NIK's
    # hash): never in an exception's text, hence never in a log line or an error report.
    kwargs.setdefault("hide_parameters", True)
    if url.startswith("sqlite"):
        if importlib.util.find_spec("aiosqlite") is None:
            raise RuntimeError(
                "SQLite needs the aiosqlite package: pip install -e '.[sqlite]' (make run does), "
                "or point SIAGA_DATABASE_URL at PostgreSQL"
            )
        for postgresql_only in ("pool_size", "max_overflow", "pool_pre_ping", "pool_use_lifo"):
            kwargs.pop(postgresql_only, None)
        engine = create_async_engine(url, connect_args={"timeout": 30}, **kwargs)
        _prepare_sqlite(engine)
        return engine
    # Each pooled connection is checked before use: after the database restarted, a stale
    # connection is replaced instead of failing the request it was handed to.
    kwargs.setdefault("pool_pre_ping", True)
    # The most recently used connection first: the one the startup warm-up prepared serves the
    # first request (and a quiet server keeps using the same few connections).
    kwargs.setdefault("pool_use_lifo", True)
    engine = create_async_engine(url, **kwargs)
    event.listen(engine.sync_engine, "handle_error", _withhold_row_values)
    return engine
