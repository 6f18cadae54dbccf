"""Webhook secrets stored sealed with the field keys: the column grows to hold the sealed form,
and a secret saved as typed before this is cleared (a migration holds no keys to seal it): the
webhook channel is switched off and flagged on the person's profile page to enter it again.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-02 16:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("notify_preferences") as table:
        table.alter_column(
            "webhook_secret", existing_type=sa.String(length=200), type_=sa.String(length=400)
        )
    op.execute(
        sa.text(
            "UPDATE notify_preferences SET webhook_secret = NULL, webhook_on = false, "
            "webhook_failing_since = CURRENT_TIMESTAMP, last_failure = :why "
            "WHERE webhook_secret IS NOT NULL AND webhook_secret NOT LIKE 'sealed:%'"
        ).bindparams(
            why="Kunci rahasia webhook kini disimpan terenkripsi: isi ulang kuncinya lalu "
            "nyalakan lagi webhook."
        )
    )


def downgrade() -> None:
    # Sealed secrets mean nothing to the old code: cleared, like the upgrade clears plain ones.
    op.execute(sa.text("UPDATE notify_preferences SET webhook_secret = NULL, webhook_on = false"))
    with op.batch_alter_table("notify_preferences") as table:
        table.alter_column(
            "webhook_secret", existing_type=sa.String(length=400), type_=sa.String(length=200)
        )
