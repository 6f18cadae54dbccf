"""What every command shares: one line instead of a traceback (``fail``), the settings, the
database that is down, one unit of work, the schema that is behind."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import NoReturn, TypeVar

import typer
from pydantic import ValidationError
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncSession

from siaga_platform.config import Settings, SettingsRefused, get_settings
from siaga_platform.config import settings_error_line as _settings_error_line
from siaga_platform.db.engine import create_engine
from siaga_platform.errors import DomainError
from siaga_platform.tenancy.unit_of_work import create_session_factory, unit_of_work

T = TypeVar("T")
CLI_ACTOR = "system:cli"
# What a database that is down, refusing us or not there looks like from here.
UNREACHABLE = (OperationalError, InterfaceError, OSError)


def fail(message: str, code: int = 1) -> NoReturn:
    typer.echo(f"siaga: {message}", err=True)
    raise typer.Exit(code)


def load_settings() -> Settings:
    try:
        get_settings.cache_clear()
        return get_settings()
    except (ValidationError, SettingsRefused) as error:
        fail(_settings_error_line(error), code=2)


def database_down_message(error: Exception) -> str:
    reason = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
    return (
        f"database tidak dapat dihubungi ({reason}). "
        "Periksa SIAGA_DATABASE_URL dan pastikan databasenya berjalan."
    )


def run_in_unit_of_work(url: str, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    async def main() -> T:
        engine = create_engine(url)
        try:
            async with unit_of_work(create_session_factory(engine)) as session:
                return await work(session)
        finally:
            await engine.dispose()

    try:
        return asyncio.run(main())
    except DomainError as error:
        fail(error.message)
    except UNREACHABLE as error:
        fail(database_down_message(error))


def schema_verdict(url: str) -> str:
    """One line when the database is not ready for this code, else ``""``."""
    from siaga_web.schema_state import schema_state

    async def check() -> str:
        engine = create_engine(url)
        try:
            async with engine.connect() as connection:
                state = await schema_state(connection)
        finally:
            await engine.dispose()
        if state.verdict != "behind":
            return ""
        if state.current is None:
            return "database belum disiapkan: jalankan `siaga db upgrade` dahulu."
        return (
            f"database pada migrasi {state.current}, kode ini memerlukan {state.head}: "
            "jalankan `siaga db upgrade` dahulu."
        )

    try:
        return asyncio.run(check())
    except UNREACHABLE as error:
        fail(database_down_message(error))
