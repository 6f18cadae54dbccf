"""Alembic environment: one history for SQLite and PostgreSQL, run synchronously.

On PostgreSQL, migrations run as the schema owner (SIAGA_MIGRATION_DATABASE_URL); the app's
own role owns nothing and is not BYPASSRLS.
"""

from __future__ import annotations

import os
import re

from alembic import context
from sqlalchemy import Connection, create_engine, pool

from siaga_platform.config import get_settings
from siaga_platform.db.engine import ensure_sqlite_dir, sync_url
from siaga_tenants.all_models import metadata

config = context.config
HEARTBEAT_PARTITION = re.compile(r"^hardware_heartbeats_(p\d{8}|default)$")


def _database_url() -> str:
    explicit = config.attributes.get("database_url") or os.environ.get(
        "SIAGA_MIGRATION_DATABASE_URL"
    )
    return sync_url(explicit or get_settings().database_url)


def include_object(
    obj: object, name: str | None, type_: str, reflected: bool, compare_to: object
) -> bool:
    """The job queue's tables belong to procrastinate (migration 0013), not to our models; the
    heartbeats' day partitions (migration 0020) are made and dropped by the worker."""
    if type_ != "table":
        return True
    return not (name or "").startswith("procrastinate_") and not HEARTBEAT_PARTITION.match(
        name or ""
    )


def run_migrations_offline() -> None:
    context.configure(
        url=_database_url(),
        target_metadata=metadata,
        literal_binds=True,
        render_as_batch=True,
        compare_type=True,
        include_object=include_object,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = _database_url()
    ensure_sqlite_dir(url)
    # Data migrations move personal data too: no parameters in an error's text.
    engine = create_engine(url, poolclass=pool.NullPool, hide_parameters=True)
    with engine.connect() as connection:
        _run(connection)
    engine.dispose()


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=True,
        compare_type=True,
        include_object=include_object,
    )
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            # A migration waiting on a busy table's lock would queue every request behind
            # it: give up after the setting's seconds instead (run the deploy step again).
            seconds = int(get_settings().migration_lock_timeout_seconds)
            context.execute(f"SET LOCAL lock_timeout = '{seconds}s'")
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
