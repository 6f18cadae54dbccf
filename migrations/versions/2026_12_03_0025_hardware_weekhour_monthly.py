"""Per-device sums of the hourly roll-ups per UTC month and place in the UTC week (week-hour,
0..167): office-hours uptime over whole months sums the office's week-hours of these instead of
every hour (a year of 100 devices: ~48,000 rows instead of ~876,000 scanned). Filled here from
the hours already rolled up; the worker keeps them with the hours (and drops them with them).
A tenant table behind RLS on PostgreSQL, written by the app's role.

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-03 12:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0025"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APP_ROLE = "siaga_app"  # written out: a migration keeps meaning what it meant
TABLE = "hardware_weekhour_monthly"
_SCOPE = (
    "tenant_id IN (SELECT unnest(string_to_array("
    "nullif(current_setting('app.{}_tenant_ids', true), ''), ','))::uuid)"
)
_MONTH = {
    "postgresql": "date_trunc('month', hour AT TIME ZONE 'UTC')::date",
    "sqlite": "date(hour, 'start of month')",
}
BACKFILL = (
    f"INSERT INTO {TABLE} (tenant_id, week_hour, month, device_id, up_seconds, counted_seconds)"
    " SELECT tenant_id, week_hour, {month}, device_id, sum(up_seconds), sum(counted_seconds)"
    " FROM hardware_hourly GROUP BY tenant_id, week_hour, {month}, device_id"
)


def upgrade() -> None:
    op.create_table(
        TABLE,
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("week_hour", sa.SmallInteger(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("device_id", sa.Uuid(), nullable=False),
        sa.Column("up_seconds", sa.Double(), nullable=False),
        sa.Column("counted_seconds", sa.Double(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_hardware_weekhour_monthly_tenant_id_tenants"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint(
            "tenant_id",
            "week_hour",
            "month",
            "device_id",
            name=op.f("pk_hardware_weekhour_monthly"),
        ),
    )
    dialect = op.get_bind().dialect.name
    postgresql = dialect == "postgresql"
    if postgresql:  # the owner reads every regency's hours only while the table is not FORCEd
        op.execute("ALTER TABLE hardware_hourly NO FORCE ROW LEVEL SECURITY")
    op.execute(BACKFILL.format(month=_MONTH[dialect]))
    if not postgresql:
        return
    op.execute("ALTER TABLE hardware_hourly FORCE ROW LEVEL SECURITY")
    read, write = _SCOPE.format("read"), _SCOPE.format("write")
    op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {TABLE} TO {APP_ROLE}")
    op.execute(f"ALTER TABLE {TABLE} ENABLE ROW LEVEL SECURITY")
    op.execute(f"ALTER TABLE {TABLE} FORCE ROW LEVEL SECURITY")
    op.execute(f"CREATE POLICY {TABLE}_read ON {TABLE} FOR SELECT USING ({read})")
    op.execute(f"CREATE POLICY {TABLE}_insert ON {TABLE} FOR INSERT WITH CHECK ({write})")
    op.execute(
        f"CREATE POLICY {TABLE}_update ON {TABLE} FOR UPDATE USING ({write}) WITH CHECK ({write})"
    )
    op.execute(f"CREATE POLICY {TABLE}_delete ON {TABLE} FOR DELETE USING ({write})")


def downgrade() -> None:
    op.drop_table(TABLE)
