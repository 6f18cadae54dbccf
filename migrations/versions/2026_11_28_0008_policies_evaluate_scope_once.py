"""RLS policies read the scope's tenant list once per statement (a scalar subquery) instead
of once per row: the same rule, evaluated cheaply for wide read scopes (province, nation).

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-28 00:40:00
"""

from collections.abc import Sequence

from alembic import op

from migrations import rls_2026_11_28 as rls

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    rls.recreate_all_policies(op.get_bind(), op.execute)


def downgrade() -> None:
    # The older policies said the same thing, evaluated per row; nothing to undo.
    pass
