"""Incidents name what went down: a device, a recording set (new column) or a whole site;
the maintained per-regency hardware summary the province view reads (behind RLS).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28 00:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from migrations import rls_2026_11_28 as rls

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("hardware_incidents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("recording_set", sa.String(length=60), nullable=True))
    op.create_table(
        "hardware_summaries",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("working_sets", sa.Integer(), nullable=False),
        sa.Column("total_sets", sa.Integer(), nullable=False),
        sa.Column("recording_stopped_since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("devices_down", sa.Integer(), nullable=False),
        sa.Column("open_incidents", sa.Integer(), nullable=False),
        sa.Column("oldest_incident_title", sa.String(length=200), nullable=True),
        sa.Column("oldest_incident_cause", sa.String(length=24), nullable=True),
        sa.Column("oldest_incident_opened_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("uptime_30_days", sa.Double(), nullable=True),
        sa.Column("uptime_as_of", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_event_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_hardware_summaries_tenant_id_tenants"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("tenant_id", name=op.f("pk_hardware_summaries")),
    )
    rls.secure_tenant_tables(op.execute, op.get_bind().dialect.name, ["hardware_summaries"])


def downgrade() -> None:
    op.drop_table("hardware_summaries")  # its policies go with it
    with op.batch_alter_table("hardware_incidents", schema=None) as batch_op:
        batch_op.drop_column("recording_set")
