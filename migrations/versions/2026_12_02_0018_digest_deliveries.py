"""The morning digest's rows: one per (province, day, supervisor, channel), the claim that
sends it once and its log (keyed by province, like the province's alert defaults); and the
app's role may read the schema's revision (the readiness check and `siaga serve` compare it).

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-02 17:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APP_ROLE = "siaga_app"  # written out: a migration keeps meaning what it meant


def upgrade() -> None:
    op.create_table(
        "digest_deliveries",
        sa.Column("province_code", sa.String(length=2), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("recipient", sa.String(length=255), nullable=False),
        sa.Column("channel", sa.String(length=12), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(length=400), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["province_code"],
            ["provinces.code"],
            name=op.f("fk_digest_deliveries_province_code_provinces"),
        ),
        sa.PrimaryKeyConstraint(
            "province_code", "day", "recipient", "channel", name=op.f("pk_digest_deliveries")
        ),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON digest_deliveries TO {APP_ROLE}")
        # `siaga serve` and /readyz compare the database's revision with the code's head.
        op.execute(f"GRANT SELECT ON alembic_version TO {APP_ROLE}")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"REVOKE SELECT ON alembic_version FROM {APP_ROLE}")
    op.drop_table("digest_deliveries")
