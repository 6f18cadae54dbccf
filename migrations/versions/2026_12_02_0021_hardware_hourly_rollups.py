"""Per-device hourly roll-ups (and their daily sums) of the heartbeats and of uptime (kept two years, filled by the
worker before raw days are dropped) and each regency's roll-up mark. Tenant tables behind RLS
on PostgreSQL, written by the app's role (the worker rewrites an hour when late beats or a
planned maintenance change it, and removes hours older than two years).

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-02 18:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APP_ROLE = "siaga_app"  # written out: a migration keeps meaning what it meant
TABLES = ("hardware_hourly", "hardware_daily", "hardware_hourly_marks")
_SCOPE = (
    "tenant_id IN (SELECT unnest(string_to_array("
    "nullif(current_setting('app.{}_tenant_ids', true), ''), ','))::uuid)"
)


def upgrade() -> None:
    op.create_table(
        "hardware_hourly",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("device_id", sa.Uuid(), nullable=False),
        sa.Column("hour", sa.DateTime(timezone=True), nullable=False),
        sa.Column("week_hour", sa.SmallInteger(), nullable=False),
        sa.Column("beats", sa.Integer(), nullable=False),
        sa.Column("ok", sa.Integer(), nullable=False),
        sa.Column("degraded", sa.Integer(), nullable=False),
        sa.Column("fault", sa.Integer(), nullable=False),
        sa.Column("up_seconds", sa.Double(), nullable=False),
        sa.Column("counted_seconds", sa.Double(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_hardware_hourly_tenant_id_tenants"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "device_id", "hour", name=op.f("pk_hardware_hourly")),
    )
    with op.batch_alter_table("hardware_hourly", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_hardware_hourly_tenant_id_hour"), ["tenant_id", "hour"], unique=False
        )
    op.create_table(
        "hardware_daily",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("device_id", sa.Uuid(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("beats", sa.Integer(), nullable=False),
        sa.Column("up_seconds", sa.Double(), nullable=False),
        sa.Column("counted_seconds", sa.Double(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_hardware_daily_tenant_id_tenants"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "device_id", "day", name=op.f("pk_hardware_daily")),
    )
    op.create_table(
        "hardware_hourly_marks",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("rolled_until", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_hardware_hourly_marks_tenant_id_tenants"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("tenant_id", name=op.f("pk_hardware_hourly_marks")),
    )
    if op.get_bind().dialect.name != "postgresql":
        return
    read, write = _SCOPE.format("read"), _SCOPE.format("write")
    for table in TABLES:
        op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {table} TO {APP_ROLE}")
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        op.execute(f"CREATE POLICY {table}_read ON {table} FOR SELECT USING ({read})")
        op.execute(f"CREATE POLICY {table}_insert ON {table} FOR INSERT WITH CHECK ({write})")
        op.execute(
            f"CREATE POLICY {table}_update ON {table} FOR UPDATE USING ({write})"
            f" WITH CHECK ({write})"
        )
        op.execute(f"CREATE POLICY {table}_delete ON {table} FOR DELETE USING ({write})")


def downgrade() -> None:
    op.drop_table("hardware_hourly_marks")
    op.drop_table("hardware_daily")
    op.drop_table("hardware_hourly")
