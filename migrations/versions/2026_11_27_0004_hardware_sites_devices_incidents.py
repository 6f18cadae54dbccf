"""Recording hardware: sites, devices, device tokens (hashes), heartbeats, the state log,
incidents with their timeline, maintenance windows. Tenant tables behind RLS on PostgreSQL.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27 22:38:08.367279
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from migrations import rls_2026_11_28 as rls

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "hardware_device_tokens",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("device_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_hardware_device_tokens_tenant_id_tenants")
        ),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_hardware_device_tokens")),
    )
    with op.batch_alter_table("hardware_device_tokens", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_hardware_device_tokens_device_id"), ["device_id"], unique=False
        )

    op.create_table(
        "hardware_heartbeats",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("device_id", sa.Uuid(), nullable=False),
        sa.Column("taken_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("readings", sa.JSON(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_hardware_heartbeats_tenant_id_tenants"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint(
            "tenant_id", "device_id", "taken_at", name=op.f("pk_hardware_heartbeats")
        ),
    )
    op.create_table(
        "hardware_incident_events",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("incident_id", sa.Uuid(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_subject", sa.String(length=255), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("note", sa.String(length=1000), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_hardware_incident_events_tenant_id_tenants"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_hardware_incident_events")),
    )
    with op.batch_alter_table("hardware_incident_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_hardware_incident_events_tenant_id_incident_id_at"),
            ["tenant_id", "incident_id", "at"],
            unique=False,
        )

    op.create_table(
        "hardware_incidents",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("device_id", sa.Uuid(), nullable=True),
        sa.Column("site_id", sa.Uuid(), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("cause", sa.String(length=24), nullable=False),
        sa.Column("opened_automatically", sa.Boolean(), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolution", sa.String(length=500), nullable=True),
        sa.Column("funding", sa.String(length=4), nullable=True),
        sa.Column("reported_to_ministry_on", sa.Date(), nullable=True),
        sa.Column("ministry_reference", sa.String(length=120), nullable=True),
        sa.Column("expected_repair_on", sa.Date(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_hardware_incidents_tenant_id_tenants"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_hardware_incidents")),
    )
    with op.batch_alter_table("hardware_incidents", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_hardware_incidents_tenant_id_closed_at_opened_at"),
            ["tenant_id", "closed_at", "opened_at"],
            unique=False,
        )

    op.create_table(
        "hardware_maintenance",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("device_id", sa.Uuid(), nullable=True),
        sa.Column("site_id", sa.Uuid(), nullable=True),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.String(length=300), nullable=False),
        sa.Column("created_by", sa.String(length=255), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_hardware_maintenance_tenant_id_tenants"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_hardware_maintenance")),
    )
    op.create_table(
        "hardware_sites",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("kecamatan_code", sa.String(length=8), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["kecamatan_code"],
            ["kecamatan.code"],
            name=op.f("fk_hardware_sites_kecamatan_code_kecamatan"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_hardware_sites_tenant_id_tenants"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_hardware_sites")),
    )
    op.create_table(
        "hardware_state_changes",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("device_id", sa.Uuid(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_hardware_state_changes_tenant_id_tenants"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_hardware_state_changes")),
    )
    with op.batch_alter_table("hardware_state_changes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_hardware_state_changes_tenant_id_device_id_at"),
            ["tenant_id", "device_id", "at"],
            unique=False,
        )

    op.create_table(
        "hardware_devices",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("site_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("label", sa.String(length=120), nullable=False),
        sa.Column("serial", sa.String(length=80), nullable=True),
        sa.Column("asset_tag", sa.String(length=80), nullable=True),
        sa.Column("funding", sa.String(length=4), nullable=False),
        sa.Column("installed_on", sa.Date(), nullable=True),
        sa.Column("recording_set", sa.String(length=60), nullable=True),
        sa.Column("expected_interval_seconds", sa.Integer(), nullable=False),
        sa.Column("last_beat_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_status", sa.String(length=10), nullable=True),
        sa.Column("good_streak", sa.Integer(), nullable=False),
        sa.Column("recovering", sa.Boolean(), nullable=False),
        sa.Column("logged_state", sa.String(length=12), nullable=False),
        sa.Column("logged_state_since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "site_id"],
            ["hardware_sites.tenant_id", "hardware_sites.id"],
            name=op.f("fk_hardware_devices_tenant_id_site_id_hardware_sites"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_hardware_devices_tenant_id_tenants"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_hardware_devices")),
    )
    with op.batch_alter_table("hardware_devices", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_hardware_devices_tenant_id_site_id"),
            ["tenant_id", "site_id"],
            unique=False,
        )

    _secure()


TENANT_TABLES = (
    "hardware_sites",
    "hardware_devices",
    "hardware_heartbeats",
    "hardware_state_changes",
    "hardware_incidents",
    "hardware_incident_events",
    "hardware_maintenance",
)
APPEND_ONLY = ("hardware_heartbeats", "hardware_state_changes", "hardware_incident_events")


def _secure() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        # Token hashes are looked up before the tenant is known (the token names it).
        op.execute(f"GRANT SELECT, INSERT, UPDATE ON hardware_device_tokens TO {rls.APP_ROLE}")
    rls.secure_tenant_tables(op.execute, dialect, TENANT_TABLES, append_only=APPEND_ONLY)


def downgrade() -> None:
    with op.batch_alter_table("hardware_devices", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_hardware_devices_tenant_id_site_id"))

    op.drop_table("hardware_devices")
    with op.batch_alter_table("hardware_state_changes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_hardware_state_changes_tenant_id_device_id_at"))

    op.drop_table("hardware_state_changes")
    op.drop_table("hardware_sites")
    op.drop_table("hardware_maintenance")
    with op.batch_alter_table("hardware_incidents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_hardware_incidents_tenant_id_closed_at_opened_at"))

    op.drop_table("hardware_incidents")
    with op.batch_alter_table("hardware_incident_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_hardware_incident_events_tenant_id_incident_id_at"))

    op.drop_table("hardware_incident_events")
    op.drop_table("hardware_heartbeats")
    with op.batch_alter_table("hardware_device_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_hardware_device_tokens_device_id"))

    op.drop_table("hardware_device_tokens")
