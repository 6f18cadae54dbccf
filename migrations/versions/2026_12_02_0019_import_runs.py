"""Imports run by the worker: each run counted and its last sign of life kept, so a run that
died with its worker is resumed (or, after too many tries, marked failed with the reason)
instead of staying "running".

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-02 17:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("application_imports") as table:
        table.add_column(
            sa.Column("attempts", sa.Integer(), nullable=False, server_default=sa.text("0"))
        )
        table.add_column(sa.Column("progress_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("application_imports") as table:
        table.alter_column("attempts", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("application_imports") as table:
        table.drop_column("progress_at")
        table.drop_column("attempts")
