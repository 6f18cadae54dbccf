"""Foundation: region codes, tenants, memberships, tenant settings, the audit trail.

On PostgreSQL also the app role, its grants and row-level security on the tenant tables; on
SQLite, triggers that keep the audit trail append-only.

Revision ID: 0001
Revises:
Create Date: 2026-11-27 21:13:14.551812
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from migrations import rls_2026_11_28 as rls

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "provinces",
        sa.Column("code", sa.String(length=2), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("population", sa.Integer(), nullable=True),
        sa.Column("timezone", sa.String(length=4), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_provinces")),
    )
    op.create_table(
        "users",
        sa.Column("subject", sa.String(length=255), nullable=False),
        sa.Column("display_name", sa.String(length=160), nullable=False),
        sa.Column("email", sa.String(length=255), nullable=True),
        sa.Column("is_demo", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("subject", name=op.f("pk_users")),
    )
    op.create_table(
        "regencies",
        sa.Column("code", sa.String(length=5), nullable=False),
        sa.Column("province_code", sa.String(length=2), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("population", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["province_code"], ["provinces.code"], name=op.f("fk_regencies_province_code_provinces")
        ),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_regencies")),
    )
    with op.batch_alter_table("regencies", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_regencies_province_code"), ["province_code"], unique=False
        )

    op.create_table(
        "kecamatan",
        sa.Column("code", sa.String(length=8), nullable=False),
        sa.Column("regency_code", sa.String(length=5), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.ForeignKeyConstraint(
            ["regency_code"], ["regencies.code"], name=op.f("fk_kecamatan_regency_code_regencies")
        ),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_kecamatan")),
    )
    with op.batch_alter_table("kecamatan", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_kecamatan_regency_code"), ["regency_code"], unique=False
        )

    op.create_table(
        "tenants",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("code", sa.String(length=5), nullable=False),
        sa.Column("province_code", sa.String(length=2), nullable=False),
        sa.Column("name", sa.String(length=160), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("population", sa.Integer(), nullable=True),
        sa.Column("timezone", sa.String(length=4), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["code"], ["regencies.code"], name=op.f("fk_tenants_code_regencies")
        ),
        sa.ForeignKeyConstraint(
            ["province_code"], ["provinces.code"], name=op.f("fk_tenants_province_code_provinces")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tenants")),
        sa.UniqueConstraint("code", name=op.f("uq_tenants_code")),
    )
    with op.batch_alter_table("tenants", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_tenants_province_code"), ["province_code"], unique=False
        )

    op.create_table(
        "audit_events",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_subject", sa.String(length=255), nullable=False),
        sa.Column("action", sa.String(length=80), nullable=False),
        sa.Column("object_type", sa.String(length=80), nullable=False),
        sa.Column("object_id", sa.String(length=80), nullable=False),
        sa.Column("request_id", sa.String(length=64), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_audit_events_tenant_id_tenants"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_audit_events")),
    )
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_audit_events_tenant_id_object_type_object_id"),
            ["tenant_id", "object_type", "object_id"],
            unique=False,
        )

    op.create_table(
        "memberships",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_subject", sa.String(length=255), nullable=False),
        sa.Column("role", sa.String(length=24), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=True),
        sa.Column("province_code", sa.String(length=2), nullable=True),
        sa.Column("scope_key", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(role IN ('operator', 'kepala_dinas') AND tenant_id IS NOT NULL AND province_code IS NULL) OR (role = 'supervisor_provinsi' AND tenant_id IS NULL AND province_code IS NOT NULL) OR (role = 'admin_platform' AND tenant_id IS NULL AND province_code IS NULL)",
            name=op.f("ck_memberships_scope_matches_role"),
        ),
        sa.ForeignKeyConstraint(
            ["province_code"],
            ["provinces.code"],
            name=op.f("fk_memberships_province_code_provinces"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_memberships_tenant_id_tenants")
        ),
        sa.ForeignKeyConstraint(
            ["user_subject"], ["users.subject"], name=op.f("fk_memberships_user_subject_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_memberships")),
        sa.UniqueConstraint(
            "user_subject",
            "role",
            "scope_key",
            name=op.f("uq_memberships_user_subject_role_scope_key"),
        ),
    )
    with op.batch_alter_table("memberships", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_memberships_tenant_id"), ["tenant_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_memberships_user_subject"), ["user_subject"], unique=False
        )

    op.create_table(
        "tenant_settings",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("office_opens_hour", sa.Integer(), nullable=False),
        sa.Column("office_closes_hour", sa.Integer(), nullable=False),
        sa.Column("letter_validity_months", sa.Integer(), nullable=False),
        sa.Column("prr_waiting_alert_days", sa.Integer(), nullable=False),
        sa.Column("low_stock_days_of_cover", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "letter_validity_months > 0", name=op.f("ck_tenant_settings_letter_validity")
        ),
        sa.CheckConstraint(
            "office_opens_hour < office_closes_hour", name=op.f("ck_tenant_settings_office_hours")
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_tenant_settings_tenant_id_tenants"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("tenant_id", name=op.f("pk_tenant_settings")),
    )
    _secure()


# Reference and registry tables: every tenant reads them (Citus reference tables).
REGISTRY_TABLES = ("provinces", "regencies", "kecamatan", "tenants", "users")
TENANT_TABLES = ("audit_events", "tenant_settings")


def _secure() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        app = rls.APP_ROLE
        op.execute(rls.ensure_app_role_sql())
        op.execute(f"GRANT USAGE ON SCHEMA public TO {app}")
        for table in REGISTRY_TABLES:
            op.execute(f"GRANT SELECT, INSERT, UPDATE ON {table} TO {app}")
        op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON memberships TO {app}")
    # The audit trail: the app may add and read, never change or remove.
    rls.secure_tenant_tables(op.execute, dialect, TENANT_TABLES, append_only=("audit_events",))


def downgrade() -> None:
    op.drop_table("tenant_settings")
    with op.batch_alter_table("memberships", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_memberships_user_subject"))
        batch_op.drop_index(batch_op.f("ix_memberships_tenant_id"))

    op.drop_table("memberships")
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_events_tenant_id_object_type_object_id"))

    op.drop_table("audit_events")
    with op.batch_alter_table("tenants", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tenants_province_code"))

    op.drop_table("tenants")
    with op.batch_alter_table("kecamatan", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_kecamatan_regency_code"))

    op.drop_table("kecamatan")
    with op.batch_alter_table("regencies", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_regencies_province_code"))

    op.drop_table("regencies")
    op.drop_table("users")
    op.drop_table("provinces")
