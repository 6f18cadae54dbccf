"""Citus: read policies that admit a national read without checking each row against the list
(issue 18).

On Citus the policies read ``tenant_id = ANY(siaga_scope('app.read_tenant_ids'))`` (0026): the
only form Citus sends to the shards, but PostgreSQL parses the scope's ids again for every row a
shard scans. For the national page's 514 ids that is 1,130 rows in 3 s on one shard, 14 s a page.
The read policies now start with ``current_setting('app.read_all_tenants', true) = 'on'``, which
the application sets only for a national read (``TenantScope.national``: the ORM wall still
filters to the listed regencies); OR stops there, one setting lookup per row. Every other read,
and every write, is checked against its list as before.

Plain PostgreSQL keeps 0011's sub-select policies (hashed once per statement): nothing changes
there. infra/citus/distribute.sql writes the same form (keep the two in step).

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-04 18:45:00
"""

from collections.abc import Sequence

from alembic import op
from sqlalchemy import text

revision: str = "0028"
down_revision: str | None = "0027"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Written out: a migration keeps meaning what it meant.
LISTED = "tenant_id = ANY(siaga_scope('app.read_tenant_ids'))"
NATIONAL_OR_LISTED = f"current_setting('app.read_all_tenants', true) = 'on' OR {LISTED}"


def _tenant_tables() -> list[str]:
    rows = op.get_bind().execute(
        text("SELECT DISTINCT tablename FROM pg_policies WHERE policyname = tablename || '_read'")
    )
    return sorted(table for (table,) in rows)


def _citus() -> bool:
    return bool(
        op.get_bind().scalar(text("SELECT count(*) FROM pg_extension WHERE extname = 'citus'"))
    )


def _read_policies(scope: str) -> None:
    for table in _tenant_tables():
        op.execute(f"DROP POLICY IF EXISTS {table}_read ON {table}")
        op.execute(f"CREATE POLICY {table}_read ON {table} FOR SELECT USING ({scope})")


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql" and _citus():
        _read_policies(NATIONAL_OR_LISTED)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql" and _citus():
        _read_policies(LISTED)
