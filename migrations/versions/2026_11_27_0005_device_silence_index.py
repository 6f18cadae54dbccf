"""When each device counts as silent (indexed): the sweep reads only the devices past it.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27 23:19:06.150200
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("hardware_devices", schema=None) as batch_op:
        batch_op.add_column(sa.Column("silent_after", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_hardware_devices_tenant_id_silent_after"),
            ["tenant_id", "silent_after"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("hardware_devices", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_hardware_devices_tenant_id_silent_after"))
        batch_op.drop_column("silent_after")
