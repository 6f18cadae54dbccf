"""e-KTP applications: the register, the append-only timeline, name-word index, maintained
counts and durations, CSV imports. Tenant tables behind RLS on PostgreSQL.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27 22:13:39.497913
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from migrations import rls_2026_11_28 as rls

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "application_durations",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("metric", sa.String(length=20), nullable=False),
        sa.Column("days", sa.Integer(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_application_durations_tenant_id_tenants"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint(
            "tenant_id", "day", "metric", "days", name=op.f("pk_application_durations")
        ),
    )
    op.create_table(
        "application_events",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("application_id", sa.Uuid(), nullable=False),
        sa.Column("from_status", sa.String(length=20), nullable=True),
        sa.Column("to_status", sa.String(length=20), nullable=False),
        sa.Column("actor_subject", sa.String(length=255), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_application_events_tenant_id_tenants"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_application_events")),
    )
    with op.batch_alter_table("application_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_application_events_tenant_id_application_id_occurred_at"),
            ["tenant_id", "application_id", "occurred_at"],
            unique=False,
        )

    op.create_table(
        "application_imports",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("total_rows", sa.Integer(), nullable=False),
        sa.Column("processed_rows", sa.Integer(), nullable=False),
        sa.Column("created_count", sa.Integer(), nullable=False),
        sa.Column("duplicate_count", sa.Integer(), nullable=False),
        sa.Column("error_count", sa.Integer(), nullable=False),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("created_by", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_application_imports_tenant_id_tenants"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_application_imports")),
    )
    op.create_table(
        "application_name_words",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("word_hash", sa.String(length=40), nullable=False),
        sa.Column("application_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_application_name_words_tenant_id_tenants"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint(
            "tenant_id", "word_hash", "application_id", name=op.f("pk_application_name_words")
        ),
    )
    op.create_table(
        "application_status_counts",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_application_status_counts_tenant_id_tenants"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "status", name=op.f("pk_application_status_counts")),
    )
    op.create_table(
        "applications",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("nik_hash", sa.String(length=40), nullable=False),
        sa.Column("nik_ciphertext", sa.LargeBinary(), nullable=False),
        sa.Column("nik_masked", sa.String(length=16), nullable=False),
        sa.Column("name_ciphertext", sa.LargeBinary(), nullable=False),
        sa.Column("key_id", sa.String(length=32), nullable=False),
        sa.Column("birth_place", sa.String(length=80), nullable=False),
        sa.Column("birth_date", sa.Date(), nullable=False),
        sa.Column("sex", sa.String(length=1), nullable=False),
        sa.Column("kecamatan_code", sa.String(length=8), nullable=False),
        sa.Column("desa", sa.String(length=80), nullable=False),
        sa.Column("reason", sa.String(length=16), nullable=False),
        sa.Column("priority", sa.String(length=20), nullable=False),
        sa.Column("recording_site", sa.String(length=120), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("status_since", sa.DateTime(timezone=True), nullable=False),
        sa.Column("registered_on", sa.Date(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("prr_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("printed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("import_job_id", sa.Uuid(), nullable=True),
        sa.Column("created_by", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["kecamatan_code"],
            ["kecamatan.code"],
            name=op.f("fk_applications_kecamatan_code_kecamatan"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_applications_tenant_id_tenants"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_applications")),
    )
    with op.batch_alter_table("applications", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_applications_tenant_id_kecamatan_code_id"),
            ["tenant_id", "kecamatan_code", "id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_applications_tenant_id_nik_hash"),
            ["tenant_id", "nik_hash"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_applications_tenant_id_status_id"),
            ["tenant_id", "status", "id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_applications_tenant_id_status_status_since"),
            ["tenant_id", "status", "status_since"],
            unique=False,
        )
        batch_op.create_index(
            "uq_applications_open_nik",
            ["tenant_id", "nik_hash"],
            unique=True,
            sqlite_where=sa.text("status NOT IN ('cancelled', 'issued')"),
            postgresql_where=sa.text("status NOT IN ('cancelled', 'issued')"),
        )

    op.create_table(
        "application_import_errors",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("job_id", sa.Uuid(), nullable=False),
        sa.Column("row_number", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "job_id"],
            ["application_imports.tenant_id", "application_imports.id"],
            name=op.f("fk_application_import_errors_tenant_id_job_id_application_imports"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_application_import_errors_tenant_id_tenants"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint(
            "tenant_id", "job_id", "row_number", name=op.f("pk_application_import_errors")
        ),
    )

    _secure()


TENANT_TABLES = (
    "applications",
    "application_events",
    "application_name_words",
    "application_status_counts",
    "application_durations",
    "application_imports",
    "application_import_errors",
)
APPEND_ONLY = ("application_events",)


def _secure() -> None:
    rls.secure_tenant_tables(
        op.execute, op.get_bind().dialect.name, TENANT_TABLES, append_only=APPEND_ONLY
    )


def downgrade() -> None:
    op.drop_table("application_import_errors")
    with op.batch_alter_table("applications", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_applications_open_nik",
            sqlite_where=sa.text("status NOT IN ('cancelled', 'issued')"),
            postgresql_where=sa.text("status NOT IN ('cancelled', 'issued')"),
        )
        batch_op.drop_index(batch_op.f("ix_applications_tenant_id_status_status_since"))
        batch_op.drop_index(batch_op.f("ix_applications_tenant_id_status_id"))
        batch_op.drop_index(batch_op.f("ix_applications_tenant_id_nik_hash"))
        batch_op.drop_index(batch_op.f("ix_applications_tenant_id_kecamatan_code_id"))

    op.drop_table("applications")
    op.drop_table("application_status_counts")
    op.drop_table("application_name_words")
    op.drop_table("application_imports")
    with op.batch_alter_table("application_events", schema=None) as batch_op:
        batch_op.drop_index(
            batch_op.f("ix_application_events_tenant_id_application_id_occurred_at")
        )

    op.drop_table("application_events")
    op.drop_table("application_durations")
