"""PostgreSQL row-level security: the second wall.

The app connects as a role that owns nothing and is not BYPASSRLS. Each transaction carries the
unit of work's scope in two settings (``SET LOCAL``, see ``scope_statements``). Policies read
them through ``nullif(..., '')``: on a pooled connection a transaction-local setting comes back
as ``''`` (not NULL) in the next transaction, and ``''`` must mean "no tenant", i.e. no rows.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable

from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from siaga_platform.tenancy.scope import TenantScope

#: The NOLOGIN group role the application's login role belongs to.
APP_ROLE = "siaga_app"
READ_SETTING = "app.read_tenant_ids"
WRITE_SETTING = "app.write_tenant_ids"

#: Citus (issue 18): a ``set_config(..., true)`` stays on the coordinator, so a query on the
#: workers' shards would see no scope (0 rows). ``SET LOCAL`` is sent on to the workers when
#: ``citus.propagate_set_commands`` is ``'local'``; on plain PostgreSQL that name is an inert
#: placeholder setting, so the same statements serve both.
_PROPAGATE = "SET LOCAL citus.propagate_set_commands = 'local'"


def _joined(ids: frozenset[object]) -> str:
    # SET takes no bind parameters: the value is written into the statement, so every id is
    # parsed as a UUID first (anything else raises) and the result is made only of hex and '-'.
    return ",".join(sorted(str(uuid.UUID(str(i))) for i in ids))


def scope_statements(scope: TenantScope | None) -> str:
    """The statements that put a scope into the current transaction (one round trip)."""
    read_ids = _joined(frozenset(scope.read_tenant_ids)) if scope else ""
    write_ids = _joined(frozenset(scope.write_tenant_ids)) if scope else ""
    return (
        f"{_PROPAGATE}; SET LOCAL {READ_SETTING} = '{read_ids}';"
        f" SET LOCAL {WRITE_SETTING} = '{write_ids}'"
    )


def write_scope_settings(
    connection: Connection, scope: TenantScope | None, *, fresh_transaction: bool = False
) -> None:
    """Write the scope into the transaction's settings.

    A fresh transaction with no scope needs nothing: the settings are transaction-local
    (``SET LOCAL``), so a new transaction already reads ``''`` = no tenant.
    """
    if connection.dialect.name != "postgresql":
        return
    if scope is None and fresh_transaction:
        return
    connection.exec_driver_sql(scope_statements(scope))


def apply_scope_settings(session: Session, scope: TenantScope | None) -> None:
    write_scope_settings(session.connection(), scope)


def _in_scope(setting: str) -> str:
    # ``IN (SELECT unnest(...))``: PostgreSQL runs the subquery once per statement and looks
    # each row up in a hash of the ids ("hashed SubPlan"). ``= ANY(array)`` compared every row
    # with every id: a national read (514 ids) of 90,000 summary rows took 2 s that way.
    ids = f"unnest(string_to_array(nullif(current_setting('{setting}', true), ''), ','))"
    return f"tenant_id IN (SELECT {ids}::uuid)"


def tenant_policy_sql(table: str) -> list[str]:
    """Statements that put one tenant table behind RLS (used by migrations)."""
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
    """Replace a table's policies with the current ones (RLS stays on throughout)."""
    drops = [
        f"DROP POLICY IF EXISTS {table}_{action} ON {table}"
        for action in ("read", "insert", "update", "delete")
    ]
    return drops + [s for s in tenant_policy_sql(table) if s.startswith("CREATE POLICY")]


def recreate_all_policies(connection: Connection, execute: Callable[[str], object]) -> None:
    """Migrations that change the policy SQL: every tenant table gets the current policies."""
    if connection.dialect.name != "postgresql":
        return
    tables = connection.execute(
        text("SELECT DISTINCT tablename FROM pg_policies WHERE policyname = tablename || '_read'")
    )
    for (table,) in tables.fetchall():
        for statement in recreate_policies_sql(table):
            execute(statement)


def drop_tenant_policy_sql(table: str) -> list[str]:
    return [
        f"DROP POLICY IF EXISTS {table}_{action} ON {table}"
        for action in ("read", "insert", "update", "delete")
    ] + [
        f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY",
        f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY",
    ]


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
    """What every migration does for its tenant tables: on PostgreSQL, the app role's grants
    (SELECT and INSERT only on append-only tables) and RLS; on SQLite, triggers that refuse
    UPDATE and DELETE on append-only tables."""
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
