"""RLS policies without a sub-select where Citus is installed, so that it can send them to the
shards (issue 18).

``tenant_id IN (SELECT unnest(...))`` (0011) is not propagated by Citus to the shards of a
distributed table; with RLS forced there, every insert was refused. On a database with the citus
extension the policies now read ``tenant_id = ANY(siaga_scope('app.read_tenant_ids'))``:
``siaga_scope`` is a STABLE SQL function (Citus creates it on the workers with the policies).

On plain PostgreSQL the policies stay as they are (the function is created, unused): with the
new form, wherever the planner filters rows instead of probing the tenant_id index, the scope's
string (514 ids for a national read) is parsed again for every row; the national benchmark's
app then took over a minute to warm up, against 2.9 s (benchmarks/README.md, 2026-12-03).
The SQL is written out: a migration keeps meaning what it meant.

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-03 12:30:00
"""

from collections.abc import Sequence

from alembic import op
from sqlalchemy import text

revision: str = "0026"
down_revision: str | None = "0025"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ACTIONS = ("read", "insert", "update", "delete")

CREATE_FUNCTION = """
CREATE OR REPLACE FUNCTION siaga_scope(setting text) RETURNS uuid[]
LANGUAGE sql STABLE PARALLEL SAFE
AS $$ SELECT coalesce(
    string_to_array(nullif(current_setting(setting, true), ''), ',')::uuid[], '{}'::uuid[]) $$
"""

NEW_SCOPE = "tenant_id = ANY(siaga_scope('app.{}_tenant_ids'))"
OLD_SCOPE = (
    "tenant_id IN (SELECT unnest(string_to_array("
    "nullif(current_setting('app.{}_tenant_ids', true), ''), ','))::uuid)"
)


def _policies(table: str, scope: str) -> list[str]:
    read_ok, write_ok = scope.format("read"), scope.format("write")
    return [f"DROP POLICY IF EXISTS {table}_{action} ON {table}" for action in ACTIONS] + [
        f"CREATE POLICY {table}_read ON {table} FOR SELECT USING ({read_ok})",
        f"CREATE POLICY {table}_insert ON {table} FOR INSERT WITH CHECK ({write_ok})",
        f"CREATE POLICY {table}_update ON {table} FOR UPDATE USING ({write_ok})"
        f" WITH CHECK ({write_ok})",
        f"CREATE POLICY {table}_delete ON {table} FOR DELETE USING ({write_ok})",
    ]


def _tenant_tables() -> list[str]:
    rows = op.get_bind().execute(
        text("SELECT DISTINCT tablename FROM pg_policies WHERE policyname = tablename || '_read'")
    )
    return sorted(table for (table,) in rows)


def _citus() -> bool:
    return bool(
        op.get_bind().scalar(text("SELECT count(*) FROM pg_extension WHERE extname = 'citus'"))
    )


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(CREATE_FUNCTION)
    if not _citus():
        return
    for table in _tenant_tables():
        for statement in _policies(table, NEW_SCOPE):
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    if _citus():
        for table in _tenant_tables():
            for statement in _policies(table, OLD_SCOPE):
                op.execute(statement)
    op.execute("DROP FUNCTION IF EXISTS siaga_scope(text)")
