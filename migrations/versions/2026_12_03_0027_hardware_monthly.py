"""Per-device sums of the hourly roll-ups per UTC month, all hours and the office's
(``hardware_monthly``), and which months are summed, for which office hours
(``hardware_monthly_marks``): a year of uptime reads ~12 rows per device instead of ~365 days or
~480 week-hours, and the days at a range's edges by an index of their own (issue 17: the uptime
page over a year within 100 ms). Not filled here: the
worker sums the kept months a few per run, with the regency's office hours, which only the
application knows; until then pages read the days and the week-hours as before.
Tenant tables behind RLS on PostgreSQL, written by the app's role; where Citus is installed
their policies are written without a sub-select (as 0026 does), and a distributed database
distributes them by running infra/citus/distribute.sql again.

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-03 19:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy import text

revision: str = "0027"
down_revision: str | None = "0026"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APP_ROLE = "siaga_app"  # written out: a migration keeps meaning what it meant
MONTHS = "hardware_monthly"
MARKS = "hardware_monthly_marks"
_SUBSELECT_SCOPE = (
    "tenant_id IN (SELECT unnest(string_to_array("
    "nullif(current_setting('app.{}_tenant_ids', true), ''), ','))::uuid)"
)
_CITUS_SCOPE = "tenant_id = ANY(siaga_scope('app.{}_tenant_ids'))"


def _tenant_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["tenant_id"],
        ["tenants.id"],
        name=op.f(f"fk_{table}_tenant_id_tenants"),
        ondelete="RESTRICT",
    )


def _protect(table: str, scope: str) -> None:
    read, write = scope.format("read"), scope.format("write")
    op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {table} TO {APP_ROLE}")
    op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
    op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
    op.execute(f"CREATE POLICY {table}_read ON {table} FOR SELECT USING ({read})")
    op.execute(f"CREATE POLICY {table}_insert ON {table} FOR INSERT WITH CHECK ({write})")
    op.execute(
        f"CREATE POLICY {table}_update ON {table} FOR UPDATE USING ({write}) WITH CHECK ({write})"
    )
    op.execute(f"CREATE POLICY {table}_delete ON {table} FOR DELETE USING ({write})")


def upgrade() -> None:
    op.create_table(
        MONTHS,
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("device_id", sa.Uuid(), nullable=False),
        sa.Column("up_seconds", sa.Double(), nullable=False),
        sa.Column("counted_seconds", sa.Double(), nullable=False),
        sa.Column("office_up_seconds", sa.Double(), nullable=False),
        sa.Column("office_counted_seconds", sa.Double(), nullable=False),
        _tenant_fk(MONTHS),
        sa.PrimaryKeyConstraint("tenant_id", "month", "device_id", name=op.f(f"pk_{MONTHS}")),
    )
    op.create_table(
        MARKS,
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("office_utc_offset_hours", sa.SmallInteger(), nullable=True),
        sa.Column("office_opens", sa.SmallInteger(), nullable=True),
        sa.Column("office_closes", sa.SmallInteger(), nullable=True),
        _tenant_fk(MARKS),
        sa.PrimaryKeyConstraint("tenant_id", "month", name=op.f(f"pk_{MARKS}")),
    )
    op.create_index(op.f("ix_hardware_daily_tenant_id_day"), "hardware_daily", ["tenant_id", "day"])
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    citus = bind.scalar(text("SELECT count(*) FROM pg_extension WHERE extname = 'citus'"))
    for table in (MONTHS, MARKS):
        _protect(table, _CITUS_SCOPE if citus else _SUBSELECT_SCOPE)
    # On a database already distributed, infra/citus/distribute.sql run again distributes
    # these (it is idempotent and takes every tenant table not yet distributed).


def downgrade() -> None:
    op.drop_index(op.f("ix_hardware_daily_tenant_id_day"), table_name="hardware_daily")
    op.drop_table(MARKS)
    op.drop_table(MONTHS)
