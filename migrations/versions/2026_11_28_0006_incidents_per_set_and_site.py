"""Incidents name what went down: a device, a recording set (new column) or a whole site.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28 00:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("hardware_incidents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("recording_set", sa.String(length=60), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("hardware_incidents", schema=None) as batch_op:
        batch_op.drop_column("recording_set")
