"""Frozen copy of the RLS, grant and append-only SQL, as of migration 0011 (2026-11-28).

Migrations must not import the application (``siaga_platform``, ``siaga_tenants``,
``siaga_web``): an old migration has to keep meaning what it meant when it was written, even
after the app's helpers change. This module is a dated snapshot of what
``siaga_platform.tenancy.rls`` produced when it was copied here (the ``IN (SELECT unnest(...))``
policies of migration 0011). Never edit it: a migration that needs different SQL gets a new,
dated snapshot module (``rls_YYYY_MM_DD.py``) next to this one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from sqlalchemy import text
from sqlalchemy.engine import Connection

#: The NOLOGIN group role the application's login role belongs to.
APP_ROLE = "siaga_app"
READ_SETTING = "app.read_tenant_ids"
WRITE_SETTING = "app.write_tenant_ids"


def _in_scope(setting: str) -> str:
    ids = f"unnest(string_to_array(nullif(current_setting('{setting}', true), ''), ','))"
    return f"tenant_id IN (SELECT {ids}::uuid)"


def tenant_policy_sql(table: str) -> list[str]:
    """Statements that put one tenant table behind RLS."""
    read_ok = _in_scope(READ_SETTING)
    write_ok = _in_scope(WRITE_SETTING)
    return [
        f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY",
        f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY",
        f"CREATE POLICY {table}_read ON {table} FOR SELECT USING ({read_ok})",
        f"CREATE POLICY {table}_insert ON {table} FOR INSERT WITH CHECK ({write_ok})",
        f"CREATE POLICY {table}_update ON {table} FOR UPDATE USING ({write_ok})"
        f" WITH CHECK ({write_ok})",
        f"CREATE POLICY {table}_delete ON {table} FOR DELETE USING ({write_ok})",
    ]


def recreate_policies_sql(table: str) -> list[str]:
    """Replace a table's policies with this snapshot's (RLS stays on throughout)."""
    drops = [
        f"DROP POLICY IF EXISTS {table}_{action} ON {table}"
        for action in ("read", "insert", "update", "delete")
    ]
    return drops + [s for s in tenant_policy_sql(table) if s.startswith("CREATE POLICY")]


def recreate_all_policies(connection: Connection, execute: Callable[[str], object]) -> None:
    """Every tenant table (one with a ``<table>_read`` policy) gets this snapshot's policies."""
    if connection.dialect.name != "postgresql":
        return
    tables = connection.execute(
        text("SELECT DISTINCT tablename FROM pg_policies WHERE policyname = tablename || '_read'")
    )
    for (table,) in tables.fetchall():
        for statement in recreate_policies_sql(table):
            execute(statement)


def ensure_app_role_sql() -> str:
    return (
        "DO $$ BEGIN "
        f"IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{APP_ROLE}') THEN "
        f"CREATE ROLE {APP_ROLE} NOLOGIN NOBYPASSRLS; END IF; END $$"
    )


def secure_tenant_tables(
    execute: Callable[[str], object],
    dialect: str,
    tables: Iterable[str],
    *,
    append_only: Iterable[str] = (),
) -> None:
    """On PostgreSQL, the app role's grants (SELECT and INSERT only on append-only tables) and
    RLS; on SQLite, triggers that refuse UPDATE and DELETE on append-only tables."""
    frozen = frozenset(append_only)
    if dialect == "postgresql":
        for table in tables:
            grants = "SELECT, INSERT" if table in frozen else "SELECT, INSERT, UPDATE, DELETE"
            execute(f"GRANT {grants} ON {table} TO {APP_ROLE}")
            for statement in tenant_policy_sql(table):
                execute(statement)
    elif dialect == "sqlite":
        for table in sorted(frozen):
            for event in ("UPDATE", "DELETE"):
                execute(
                    f"CREATE TRIGGER {table}_no_{event.lower()} BEFORE {event} ON {table} "
                    f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"
                )
