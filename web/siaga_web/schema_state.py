"""Where the database stands against the migrations this code carries: ``siaga serve`` refuses
to start behind the head, ``/readyz`` reports it."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from alembic.config import Config
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy import inspect as sa_inspect
from sqlalchemy import select, table
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql import column

REPO_ROOT = Path(__file__).resolve().parents[2]
_version = table("alembic_version", column("version_num"))


def alembic_config(url: str | None = None) -> Config:
    config = Config(str(REPO_ROOT / "alembic.ini"))
    if url is not None:
        config.attributes["database_url"] = url
    return config


@lru_cache
def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None, "the migrations folder holds no revision"
    return head


@dataclass(frozen=True, slots=True)
class SchemaState:
    current: str | None  # None: never migrated
    head: str
    #: "current", "behind" (this code needs migrations not applied yet) or "ahead" (migrated
    #: by newer code: fine while its changes stay compatible, as a rolling deploy needs).
    verdict: str


def _verdict(current: str | None, head: str) -> str:
    if current == head:
        return "current"
    if current is None:
        return "behind"
    try:
        known = ScriptDirectory.from_config(alembic_config()).get_revision(current)
    except CommandError:
        known = None
    return "behind" if known is not None else "ahead"


async def schema_state(connection: AsyncConnection) -> SchemaState:
    tables = await connection.run_sync(lambda sync: sa_inspect(sync).get_table_names())
    current = None
    if "alembic_version" in tables:
        current = await connection.scalar(select(_version.c.version_num))
    head = head_revision()
    return SchemaState(current, head, _verdict(current, head))
