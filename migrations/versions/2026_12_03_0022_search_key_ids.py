"""Which search key made an application's NIK hash and name words, so `siaga keys rotate` can
rebuild them under a new one while the app serves. Rows written before carry the id a bare
``SIAGA_SEARCH_KEY`` value has (``s0``).

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-03 07:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BARE_SEARCH_KEY_ID = "s0"  # written out: a migration keeps meaning what it meant


def upgrade() -> None:
    # A constant default: PostgreSQL adds the column without rewriting the table.
    with op.batch_alter_table("applications") as table:
        table.add_column(
            sa.Column(
                "search_key_id",
                sa.String(32),
                nullable=False,
                server_default=BARE_SEARCH_KEY_ID,
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("applications") as table:
        table.drop_column("search_key_id")
