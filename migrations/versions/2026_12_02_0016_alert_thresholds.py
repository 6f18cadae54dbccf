"""Alert thresholds: a regency's own values (tenant table, RLS) and a province's defaults
(keyed by province code, like the region reference tables).

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-02 05:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from migrations import rls_2026_11_28 as rls

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APP_ROLE = "siaga_app"  # written out: a migration keeps meaning what it meant


def upgrade() -> None:
    op.create_table(
        "alert_thresholds",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=120), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_alert_thresholds_tenant_id_tenants"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "name", name=op.f("pk_alert_thresholds")),
    )
    op.create_table(
        "province_alert_thresholds",
        sa.Column("province_code", sa.String(length=2), nullable=False),
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=120), nullable=False),
        sa.ForeignKeyConstraint(
            ["province_code"],
            ["provinces.code"],
            name=op.f("fk_province_alert_thresholds_province_code_provinces"),
        ),
        sa.PrimaryKeyConstraint("province_code", "name", name=op.f("pk_province_alert_thresholds")),
    )
    dialect = op.get_bind().dialect.name
    rls.secure_tenant_tables(op.execute, dialect, ("alert_thresholds",))
    if dialect == "postgresql":
        grants = "SELECT, INSERT, UPDATE, DELETE"
        op.execute(f"GRANT {grants} ON province_alert_thresholds TO {APP_ROLE}")


def downgrade() -> None:
    op.drop_table("province_alert_thresholds")
    op.drop_table("alert_thresholds")
