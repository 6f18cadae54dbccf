"""PostgreSQL row-level security: the second wall.

The app connects as a role that owns nothing and is not BYPASSRLS. Each transaction carries the
unit of work's scope in two settings (``SET LOCAL``, see ``scope_statements``). Policies read
them through ``nullif(..., '')``: on a pooled connection a transaction-local setting comes back
as ``''`` (not NULL) in the next transaction, and ``''`` must mean "no tenant", i.e. no rows.
"""

from __future__ import annotations

import uuid
from typing import Protocol

from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session


class ScopeIds(Protocol):
    """What the settings are made of: a ``TenantScope`` (tenancy/scope.py, which imports this
    module to write them; a protocol here, so the two do not import each other)."""

    @property
    def read_tenant_ids(self) -> frozenset[uuid.UUID]: ...
    @property
    def write_tenant_ids(self) -> frozenset[uuid.UUID]: ...
    @property
    def whole_nation(self) -> bool: ...


READ_SETTING = "app.read_tenant_ids"
WRITE_SETTING = "app.write_tenant_ids"
#: ``'on'`` for a national read (``TenantScope.national``). Only Citus's read policies look at
#: it (migration 0028, infra/citus/distribute.sql): their ``tenant_id = ANY(siaga_scope(...))``
#: parses the list again for every row a shard scans (14 s for the national page), and a
#: policy with a sub-select, which PostgreSQL evaluates once, is not sent to the shards. Plain
#: PostgreSQL keeps 0011's hashed sub-select and ignores the flag.
NATIONAL_SETTING = "app.read_all_tenants"

#: Citus (issue 18): a ``set_config(..., true)`` stays on the coordinator, so a query on the
#: workers' shards would see no scope (0 rows). ``SET LOCAL`` is sent on to the workers when
#: ``citus.propagate_set_commands`` is ``'local'``; on plain PostgreSQL that name is an inert
#: placeholder setting, so the same statements serve both.
_PROPAGATE = "SET LOCAL citus.propagate_set_commands = 'local'"


def _joined(ids: frozenset[object]) -> str:
    # SET takes no bind parameters: the value is written into the statement, so every id is
    # parsed as a UUID first (anything else raises) and the result is made only of hex and '-'.
    return ",".join(sorted(str(uuid.UUID(str(i))) for i in ids))


def scope_statement_list(scope: ScopeIds | None) -> list[str]:
    """The statements that put a scope into the current transaction, one by one (a driver
    pipeline sends them in one round trip: its extended protocol takes one statement each)."""
    read_ids = _joined(frozenset(scope.read_tenant_ids)) if scope else ""
    write_ids = _joined(frozenset(scope.write_tenant_ids)) if scope else ""
    national = "on" if scope and scope.whole_nation else ""
    return [
        _PROPAGATE,
        f"SET LOCAL {READ_SETTING} = '{read_ids}'",
        f"SET LOCAL {WRITE_SETTING} = '{write_ids}'",
        f"SET LOCAL {NATIONAL_SETTING} = '{national}'",
    ]


def scope_statements(scope: ScopeIds | None) -> str:
    """The statements that put a scope into the current transaction (one round trip)."""
    return "; ".join(scope_statement_list(scope))


def write_scope_settings(
    connection: Connection, scope: ScopeIds | None, *, fresh_transaction: bool = False
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


def apply_scope_settings(session: Session, scope: ScopeIds | None) -> None:
    write_scope_settings(session.connection(), scope)
